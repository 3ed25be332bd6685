"""The Whoosh schema, defined once."""

import struct
from collections import Counter
from itertools import accumulate
from pickle import dumps

from whoosh.columns import FixedBytesColumn
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Frequency, Positions
from whoosh.system import pack_uint

from kb.analysis import BigramAnalyzer, ChineseAnalyzer, pair_list, term_positions
from kb.engine.blocktext import BlockTextColumn
from kb.engine.coded import CodedColumn

FACETS = ("type", "section", "source", "issue", "year", "date")  # filter, facet and sort columns
NUMBER_LISTS = ("standards", "plan_numbers", "patents", "doc_numbers", "inventors")  # canonical, for display


class GramCounts(Frequency):
    """Frequency without a value per posting: a bigram's count is its posting's weight, which every
    reader (kb's bulk scorer, Whoosh's matchers and scorers) takes from the block's weights; Whoosh's
    Frequency repeats it as a 4-byte value, about a quarter of the field's postings and inlined term
    entries.  Stable import path (pickled)."""

    posting_size = 0  # no values: blocks and inlined entries hold None, as for Existence

    def word_values(self, value, analyzer, **kwargs):
        for word, freq, weight, _ in super().word_values(value, analyzer, **kwargs):
            yield word, freq, weight, b""


class BigramField(TEXT):
    """Character bigrams, counted in C (re + Counter) rather than token by token: the field holds
    about as many tokens as there are Chinese characters.  Counts as weights only (GramCounts; an
    index written before keeps Frequency's values).  Stable import path (pickled)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.format) is Frequency:
            self.format = GramCounts(field_boost=self.format.field_boost)

    def index(self, value, **kwargs):
        value_of = pack_uint if type(self.format) is Frequency else _NO_VALUE
        for gram, count in Counter(pair_list(value)).items():
            yield gram.encode("utf-8"), count, float(count), value_of(count)

    def add_postings(self, value, docnum, boost, terms):
        """index() grouped straight into kb.engine.segwriter's {term: [docnum, weight, value, …]}
        (same postings, no tuple a term); returns the field length, or None when not handled here."""
        if not isinstance(value, str):
            return None
        counted = type(self.format) is Frequency  # an index written before GramCounts
        pairs = pair_list(value)
        get = terms.get
        for gram, count in Counter(pairs).items():
            tbytes = gram.encode("utf-8")
            weight = float(count) * boost
            vbytes = (_COUNTS[count] if count < 256 else pack_uint(count)) if counted else b""
            postings = get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, weight, vbytes]
            else:
                postings += (docnum, weight, vbytes)
        return len(pairs)


def _NO_VALUE(count):
    return b""


class VarintPositions(Positions):
    """Positions as varint gaps (7 bits a byte, the high bit set on all but a gap's last byte): one
    position below 128 is one byte, where Positions writes a 4-byte count and a pickled list (about
    13).  The frequency is the number of gaps.  Whoosh's matchers (phrases, spans) decode values
    through the format, so they read these as they read Positions.  Stable import path (pickled)."""

    def encode(self, poslist):
        gaps = [b - a for a, b in zip([0, *poslist[:-1]], poslist, strict=False)]
        if max(gaps) < 128:
            return bytes(gaps)
        out = bytearray()
        for gap in gaps:
            while gap >= 128:
                out.append(gap & 127 | 128)
                gap >>= 7
            out.append(gap)
        return bytes(out)

    def decode_positions(self, valuestring):
        if valuestring.isascii():  # every gap below 128: one byte each
            return list(accumulate(valuestring))
        positions, position, gap, shift = [], 0, 0, 0
        for byte in valuestring:
            gap |= (byte & 127) << shift
            if byte & 128:
                shift += 7
            else:
                position += gap
                positions.append(position)
                gap = shift = 0
        return positions

    def decode_frequency(self, valuestring):
        return len(valuestring.translate(None, _HIGH))  # bytes without the high bit end a gap

    def decode_weight(self, valuestring):
        return self.decode_frequency(valuestring) * self.field_boost


_HIGH = bytes(range(128, 256))


class ChineseField(TEXT):
    """jieba words with positions (title, body): the postings Whoosh's TEXT field makes from
    ChineseTokenizer, built from kb.analysis.term_positions instead of one Token per term; positions
    in VarintPositions (an index written before keeps its pickled Positions: the schema is stored
    with the index).  Stable import path (pickled)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if type(self.format) is Positions:
            self.format = VarintPositions(field_boost=self.format.field_boost)

    def index(self, value, **kwargs):
        kind = type(self.format)
        if not isinstance(value, str) or kwargs or kind not in (Positions, VarintPositions):
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        encode = _encode_positions if kind is Positions else _encode_varint
        for term, positions in term_positions(value).items():
            yield term.encode("utf-8"), len(positions), len(positions) * boost, encode(positions)

    def add_postings(self, value, docnum, boost, terms):
        """index() grouped straight into kb.engine.segwriter's {term: [docnum, weight, value, …]}
        (same postings, no tuple a term); returns the field length, or None when not handled here."""
        kind = type(self.format)
        if not isinstance(value, str) or kind not in (Positions, VarintPositions):
            return None
        field_boost = self.format.field_boost
        encode = _encode_positions if kind is Positions else _encode_varint
        get = terms.get
        length = 0
        for term, positions in term_positions(value).items():
            count = len(positions)
            length += count
            tbytes = term.encode("utf-8")
            weight = count * field_boost * boost
            vbytes = encode(positions)
            postings = get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, weight, vbytes]
            else:
                postings += (docnum, weight, vbytes)
        return length


_VARINT = VarintPositions()


def _encode_varint(positions):
    if len(positions) == 1:  # most terms of a passage occur once: one object per position
        position = positions[0]
        value = _ONE_VARINT.get(position)
        if value is None:
            value = _ONE_VARINT[position] = _VARINT.encode(positions)
        return value
    return _VARINT.encode(positions)


_ONE_VARINT = {}


class TextColumn(COLUMN):
    """A text kept only as a per-document column: read back whole (kb.engine.column_texts), never
    searched, so it costs no term in the term table.  Stable import path (pickled)."""

    def to_column_value(self, value):
        return value.encode("utf-8") if isinstance(value, str) else value

    def from_column_value(self, value):
        return value.decode("utf-8") if isinstance(value, bytes) else value


class DigestColumn(COLUMN):
    """A SHA-1 digest kept as its 20 raw bytes (not 40 hex characters and a length), given and read
    back as lowercase hex; "" (none) is 20 zero bytes, the column's default.  Stable import path
    (pickled)."""

    SIZE = 20

    def __init__(self):
        super().__init__(FixedBytesColumn(self.SIZE))

    def to_column_value(self, value):
        if not value:
            return bytes(self.SIZE)
        raw = bytes.fromhex(value) if isinstance(value, str) else bytes(value)
        if len(raw) != self.SIZE:
            raise ValueError(f"not a {self.SIZE}-byte digest: {value!r}")
        return raw

    def from_column_value(self, value):
        return "" if not value or not any(value) else value.hex()

    def from_column_block(self, raw):
        """Every document's value from the column's bytes read whole (kb.engine.column_values)."""
        size = self.SIZE * 2
        text = raw.hex()
        none = "0" * size
        values = [text[i : i + size] for i in range(0, len(text), size)]
        return [value if value != none else "" for value in values]


class StampColumn(COLUMN):
    """A file's stamp (kb.content.stat_stamp: modification time in ns, size) as two packed integers,
    12 bytes; None (no stamp) and sizes from 4 GiB up are kept as none, which never equals a file's
    stamp, so such a file is hashed (the stamp only lets an unchanged file skip its hash).  Stable
    import path (pickled)."""

    PACK = struct.Struct(">qI")
    NONE = 0xFFFFFFFF

    def __init__(self):
        super().__init__(FixedBytesColumn(self.PACK.size, default=self.PACK.pack(0, self.NONE)))

    def to_column_value(self, value):
        if not value:
            return self.column_type._default
        mtime_ns, size = value
        return self.PACK.pack(mtime_ns, min(size, self.NONE))

    def from_column_value(self, value):
        mtime_ns, size = self.PACK.unpack(value)
        return None if size == self.NONE else (mtime_ns, size)

    def from_column_block(self, raw):
        none = self.NONE
        return [None if size == none else (mtime_ns, size) for mtime_ns, size in self.PACK.iter_unpack(raw)]


_COUNTS = [pack_uint(count) for count in range(256)]


def _encode_positions(positions):
    """whoosh.formats.Positions.encode (indexes written before VarintPositions): the count, then the
    pickled deltas."""
    if len(positions) == 1:  # most terms of a passage occur once
        position = positions[0]
        value = _ONE_POSITION.get(position)
        if value is None:
            value = _ONE_POSITION[position] = pack_uint(1) + dumps([position], 2)
        return value
    gaps = [b - a for a, b in zip([0] + positions[:-1], positions, strict=False)]
    return pack_uint(len(positions)) + dumps(gaps, 2)


_ONE_POSITION = {}


def make_schema():
    analyzer = ChineseAnalyzer()
    fields = {
        "id": ID(stored=True, unique=True),
        "title": ChineseField(analyzer=analyzer, stored=True, field_boost=3.0),
        # not stored: content/ holds the text; a hit's body is read from its file (kb/hittext.py)
        "body": ChineseField(analyzer=analyzer),
        # character bigrams of title and body, for words cut differently and one-character typos;
        # no positions (only the fallback passes read it, as bags of pairs)
        "grams": BigramField(analyzer=BigramAnalyzer(), phrase=False),
        "numbers": KEYWORD(commas=True, lowercase=True),  # every number's search keys
        "meta": STORED(),
        # what `kb index update` compares with content/, read from columns without loading documents
        # relative to content/ (kb.relpaths), deflated a block of documents at a time
        # (kb/engine/blocktext.py); not stored: a hit reads it from the column (kb/search.py)
        "path": ID(sortable=BlockTextColumn()),
        "hash": DigestColumn(),
        "stamp": StampColumn(),  # (mtime_ns, size), so unchanged files are not even hashed
    }
    # few distinct values: a table of them and a code per document (kb/engine/coded.py)
    fields.update({name: ID(stored=True, sortable=CodedColumn()) for name in FACETS})
    fields.update({name: KEYWORD(commas=True, stored=True) for name in NUMBER_LISTS})
    return Schema(**fields)


REQUIRED = ("id", "title", "type", "path", "hash", "stamp")  # always written, even when empty


def compact_document(document):
    """`document` (kb.indexer.to_document) without its empty values: an empty string indexes nothing,
    and a field left out reads back as absent (readers take .get(name) or "") and as the column's
    default, the empty string.  In `meta`, empty lists and mappings and the issue's unset (None)
    entries are left out too.  Each stored document is pickled and compressed on its own, so every
    key written costs its name again: at 145,000 passages this is about a third of the stored
    fields."""
    out = {name: value for name, value in document.items() if value != "" or name in REQUIRED}
    meta = out.get("meta")
    if isinstance(meta, dict):
        meta = {key: value for key, value in meta.items() if value not in (None, [], {}, "")}
        if isinstance(meta.get("issue"), dict):
            meta["issue"] = {key: value for key, value in meta["issue"].items() if value is not None}
        out["meta"] = meta
    return out


def layout(schema):
    """What decides how an index is written and read back, field by field: the field's kind, how its
    postings are encoded, whether it is stored, and its column.  Two schemas of one layout make
    indexes an update can extend; another layout (an index written by an older kb) needs a build."""
    return {
        name: (
            type(field).__name__,
            type(field.format).__name__ if getattr(field, "format", None) is not None else None,
            bool(field.stored),
            type(field.column_type).__name__ if field.column_type else None,
        )
        for name, field in schema.items()
    }
