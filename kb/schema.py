"""The Whoosh schema, defined once."""

from collections import Counter
from pickle import dumps

from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.formats import Positions
from whoosh.system import pack_uint

from kb.analysis import BigramAnalyzer, ChineseAnalyzer, pair_list, term_positions

FACETS = ("type", "section", "source", "issue", "year", "date")  # filter, facet and sort columns
NUMBER_LISTS = ("standards", "plan_numbers", "patents", "doc_numbers", "inventors")  # canonical, for display


class BigramField(TEXT):
    """Character bigrams, counted in C (re + Counter) rather than token by token: the field holds
    about as many tokens as there are Chinese characters.  Stable import path (pickled)."""

    def index(self, value, **kwargs):
        for gram, count in Counter(pair_list(value)).items():
            yield gram.encode("utf-8"), count, float(count), pack_uint(count)

    def add_postings(self, value, docnum, boost, terms):
        """index() grouped straight into kb.engine.segwriter's {term: [docnum, weight, value, …]}
        (same postings, no tuple a term); returns the field length, or None when not handled here."""
        if not isinstance(value, str):
            return None
        pairs = pair_list(value)
        get = terms.get
        for gram, count in Counter(pairs).items():
            tbytes = gram.encode("utf-8")
            weight = float(count) * boost
            vbytes = _COUNTS[count] if count < 256 else pack_uint(count)
            postings = get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, weight, vbytes]
            else:
                postings += (docnum, weight, vbytes)
        return len(pairs)


class ChineseField(TEXT):
    """jieba words with positions (title, body): the postings Whoosh's TEXT field makes from
    ChineseTokenizer, built from kb.analysis.term_positions instead of one Token per term.
    Stable import path (pickled)."""

    def index(self, value, **kwargs):
        if not isinstance(value, str) or kwargs or type(self.format) is not Positions:
            yield from super().index(value, **kwargs)
            return
        boost = self.format.field_boost
        for term, positions in term_positions(value).items():
            yield term.encode("utf-8"), len(positions), len(positions) * boost, _encode_positions(positions)

    def add_postings(self, value, docnum, boost, terms):
        """index() grouped straight into kb.engine.segwriter's {term: [docnum, weight, value, …]}
        (same postings, no tuple a term); returns the field length, or None when not handled here."""
        if not isinstance(value, str) or type(self.format) is not Positions:
            return None
        field_boost = self.format.field_boost
        encode, one = _encode_positions, _ONE_POSITION.get
        get = terms.get
        length = 0
        for term, positions in term_positions(value).items():
            count = len(positions)
            length += count
            tbytes = term.encode("utf-8")
            weight = count * field_boost * boost
            vbytes = (count == 1 and one(positions[0])) or encode(positions)
            postings = get(tbytes)
            if postings is None:
                terms[tbytes] = [docnum, weight, vbytes]
            else:
                postings += (docnum, weight, vbytes)
        return length


class TextColumn(COLUMN):
    """A text kept only as a per-document column: read back whole (kb.engine.column_texts), never
    searched, so it costs no term in the term table.  Stable import path (pickled)."""

    def to_column_value(self, value):
        return value.encode("utf-8") if isinstance(value, str) else value

    def from_column_value(self, value):
        return value.decode("utf-8") if isinstance(value, bytes) else value


_COUNTS = [pack_uint(count) for count in range(256)]


def _encode_positions(positions):
    """whoosh.formats.Positions.encode: the count, then the pickled deltas."""
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
        "body": ChineseField(analyzer=analyzer, stored=True),
        # character bigrams of title and body, for words cut differently and one-character typos;
        # no positions (only the fallback passes read it, as bags of pairs)
        "grams": BigramField(analyzer=BigramAnalyzer(), phrase=False),
        "numbers": KEYWORD(commas=True, lowercase=True),  # every number's search keys
        "meta": STORED(),
        # what `kb index update` compares with content/, read from columns without loading documents
        "path": ID(stored=True, sortable=True),
        "hash": TextColumn(),
        "stamp": TextColumn(),  # mtime_ns:size, so unchanged files are not even hashed
    }
    fields.update({name: ID(stored=True, sortable=True) for name in FACETS})
    fields.update({name: KEYWORD(commas=True, stored=True) for name in NUMBER_LISTS})
    return Schema(**fields)
