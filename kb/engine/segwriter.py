"""Writing a segment without Whoosh's per-posting Python.

Whoosh's SegmentWriter sends every posting through a sorting pool as a tuple,
sorts them all, then hands them one at a time to the whoosh3 postings writer,
which looks up the document's field length in the column it has just written
(about 25 µs a posting in all; 1.4 million postings for 600 laws).  Here:

- postings are grouped by field and term as documents arrive (a dict of lists:
  no sort of millions of tuples, no pickled runs);
- field lengths are read back once per field as one block of bytes;
- each term's whole postings list is encoded at once: with CompactCodec as one
  kb.engine.extents extent (id gaps, weights and values in sections numpy reads,
  about half the bytes of whoosh3's blocks; kb.engine.terms gives Whoosh's
  queries a matcher over it), else in whoosh3's own block format (pickled id
  deltas, weights and values, 128 postings a block, each stored uncompressed
  when zlib would not make it smaller);
- postings lists shorter than INLINE_BELOW are kept inside the term's entry
  (whoosh3's "inlined" postings, which it reads but never writes; see fixes.py):
  most terms occur in one or two documents, and a list of its own costs them
  about 60 bytes of block headers plus a 12-byte pointer.

Segments written here are whoosh3 segments with kb's compact terms file
(kb.engine.terms.CompactCodec); merges (store.tidy) go through this writer too.
"""

import pickle
import struct
import zlib
from array import array
from operator import sub

from whoosh.analysis import IDTokenizer
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3TermInfo,
    _lenfield,
)
from whoosh.fields import ID
from whoosh.formats import Existence
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from kb.engine import extents
from kb.engine.columns import column_bytes
from kb.engine.terms import CompactCodec

BLOCK = 128  # postings a block, as whoosh3 writes them
INLINE_BELOW = 12  # postings lists shorter than this live in the term's entry (no extent head, no pointer)
# Pickle protocol of blocks and inlined postings: whoosh3 writes protocol 2, where each bytes value (a
# posting's positions) becomes a call to _codecs.encode, about 40 bytes; 3 stores bytes as they are
# (4 and 5 add a 9-byte frame header).  Readers unpickle any protocol.
PICKLE = 3
CODEC = CompactCodec  # codec of new segments (whoosh.codec.whoosh3.W3Codec: whoosh3's own terms file)


def supports(schema):
    """True when every field of `schema` can be written here (no term vectors, no spelling fields)."""
    return not any(field.vector or field.separate_spelling() for _, field in schema.items())


class FastSegmentWriter(SegmentWriter):
    """A SegmentWriter whose postings go to a grouping pool and are written term by term."""

    def __init__(self, ix, compression=3, inline_below=None, **kwargs):
        inline_below = INLINE_BELOW if inline_below is None else inline_below
        codec = CODEC(compression=compression, inlinelimit=inline_below)
        super().__init__(ix, codec=codec, **kwargs)
        self.pool = _GroupingPool()
        self.inline_below = inline_below
        self.compression = compression
        self._whole_values = {name for name, field in self.schema.items() if _indexes_whole_value(field)}
        # fields that group their own postings (kb.schema's word and bigram fields: no tuple a term)
        self._grouping = {
            name: field.add_postings for name, field in self.schema.items() if hasattr(field, "add_postings")
        }
        # fields whose analyzer makes no term of "" (KEYWORD, TEXT): an empty value is skipped at once
        self._empty_is_nothing = {
            name
            for name, field in self.schema.items()
            if field.indexed and name not in self._whole_values and _indexes_nothing(field, "")
        }
        self._names = {}  # the document's keys -> (its field names sorted, whether any starts with _)
        # per-document column values (field lengths, sortable values), written a column at a time
        # when the segment is flushed: {column name: (column type, docnums, values)}
        self._columns = {}

    def add_document(self, **fields):
        self._check_state()
        perdoc = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        groups = self.pool.groups
        docboost = float(fields.get("_boost", 1.0))
        keys = tuple(fields)
        known = self._names.get(keys)
        if known is None:
            names = sorted(name for name in fields if not name.startswith("_"))
            self._check_fields(schema, names)
            known = self._names[keys] = (names, len(names) != len(keys))
        names, extras = known
        whole_values, grouping, empty_is_nothing = self._whole_values, self._grouping, self._empty_is_nothing
        perdoc.start_doc(docnum)
        stored_fields, field_lengths, columns = perdoc._storedfields, perdoc._fieldlengths, self._columns
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = 0
                if field.indexed:
                    terms = groups.get(name)
                    if terms is None:  # (an empty one too: the field still gets its number in the table)
                        terms = groups[name] = {}
                if field.indexed and not (value == "" and name in empty_is_nothing):
                    boost = float(fields.get(f"_{name}_boost", docboost)) if extras else docboost
                    if name in whole_values and isinstance(value, str):  # ID: one term, the value
                        tbytes = value.encode("utf-8")
                        postings = terms.get(tbytes)
                        weight = field.format.field_boost * boost
                        if postings is None:
                            terms[tbytes] = [docnum, weight, b""]
                        else:
                            postings += (docnum, weight, b"")
                        if field.scorable:
                            length = 1
                    else:
                        grouped = grouping.get(name)
                        counted = None if grouped is None else grouped(value, docnum, boost, terms)
                        if counted is None:
                            length = _group(field.index(value), docnum, boost, terms)
                        else:
                            length = counted
                        if not field.scorable:
                            length = 0
                stored = fields.get(f"_stored_{name}", value) if extras else value
                if stored is not None and field.stored:  # (W3PerDocWriter.add_field, lengths deferred)
                    stored_fields[name] = stored
                if length:
                    lengths = columns.get(_lenfield(name)) or self._column(_lenfield(name), LENGTHS_COLUMN)
                    lengths[1].append(docnum)
                    lengths[2].append(_byte(length))
                    field_lengths[name] += length
                if field.column_type and stored is not None:
                    values = columns.get(name) or self._column(name, field.column_type)
                    values[1].append(docnum)
                    values[2].append(field.to_column_value(stored))
        except Exception:
            for _, docnums, values in columns.values():  # this document's column values go too
                while docnums and docnums[-1] == docnum:
                    docnums.pop()
                    values.pop()
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _column(self, name, column):
        entry = self._columns[name] = (column, [], [])
        return entry

    def _write_columns(self):
        """The column values added so far, each column in one go, in document order."""
        perdoc = self.perdocwriter
        for name, (column, docnums, values) in self._columns.items():
            if not perdoc._has_column(name):
                perdoc._create_column(name, column)
            add = perdoc._get_column(name).add
            for docnum, value in zip(docnums, values, strict=True):
                add(docnum, value)
        self._columns = {}

    def add_reader(self, reader):
        self._write_columns()  # a merged reader's documents come after those added here
        super().add_reader(reader)

    def _flush_segment(self):
        self._write_columns()
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            write_postings(
                self.fieldwriter,
                self.schema,
                self.pool.groups,
                lengths,
                self.docnum,
                self.compression,
                self.inline_below,
            )
        finally:
            lengths.close()
        self.fieldwriter.close()


def _group(items, docnum, boost, terms):
    """Whoosh's index() items (term bytes, freq, weight, value bytes) into `terms`; returns the sum of
    the freqs (the field length when the field is scorable)."""
    length = 0
    get = terms.get
    for tbytes, freq, weight, vbytes in items:
        length += freq
        postings = get(tbytes)
        if postings is None:
            terms[tbytes] = [docnum, weight * boost, vbytes]
        else:
            postings += (docnum, weight * boost, vbytes)
    return length


def _indexes_nothing(field, value):
    """True when `field` makes no term of `value` (False also when it cannot index it at all)."""
    try:
        return not any(True for _ in field.index(value))
    except Exception:  # noqa: BLE001 - e.g. NUMERIC refuses "": the document's own call will say why
        return False


def _indexes_whole_value(field):
    """True for Whoosh's plain ID field, which indexes its whole value as one term, once."""
    return (
        type(field) is ID
        and type(field.analyzer) is IDTokenizer
        and type(field.format) is Existence
        and not field.vector
        and not field.separate_spelling()
    )


class _GroupingPool:
    """Postings by field, then term: {field: {tbytes: [docnum, weight, vbytes, docnum, …]}}."""

    def __init__(self):
        self.groups = {}

    @property
    def fieldnames(self):
        return set(self.groups)

    def add(self, item):  # Whoosh's pool interface (add_reader): docnums arrive in order per term
        name, tbytes, docnum, weight, vbytes = item
        terms = self.groups.setdefault(name, {})
        postings = terms.get(tbytes)
        if postings is None:
            terms[tbytes] = [docnum, weight, vbytes]
        else:
            postings += (docnum, weight, vbytes)

    def cleanup(self):
        self.groups = {}


def _decoded_lengths(reader, name, doc_count):
    """Each document's length of field `name` as whoosh3 reads it back (byte-coded; 0 for none)."""
    column = reader._cached_reader(_lenfield(name), LENGTHS_COLUMN)
    if column is None:
        return None
    table = [0] + [byte_to_length(b) for b in range(1, 256)]
    return [table[b] for b in column_bytes(column, doc_count)]


def write_postings(fieldwriter, schema, groups, lengths_reader, doc_count, compression, inline_below):
    """Every field's terms, in field then term order, with their postings lists."""
    postfile = fieldwriter._postfile
    extents = getattr(fieldwriter, "extents", False)  # kb.engine.terms' field writer: kb's extents
    for name in sorted(groups):
        field = schema[name]
        fieldwriter.start_field(name, field)
        prefix = pack_ushort(fieldwriter._fieldid)
        fixed = field.format.fixed_value_size()
        lengths = _decoded_lengths(lengths_reader, name, doc_count)
        terms = groups[name]
        entries = [
            (
                prefix + tbytes,
                encode_term(terms[tbytes], lengths, fixed, postfile, compression, inline_below, extents),
            )
            for tbytes in sorted(terms)
        ]
        add = getattr(fieldwriter, "add_entries", None)  # kb.engine.terms' compact table
        if add is not None:
            add(entries)
        else:
            _add_entries(fieldwriter._tindex, entries)
        fieldwriter.finish_field()


_KEY_VALUE_LENGTHS = struct.Struct("!ii")  # whoosh.filedb.filetables' record header


def _add_entries(table, entries):
    """OrderedHashWriter.add for each (key, value) of `entries` (keys ascending, above the table's
    last key), with the same records, hash buckets and order index, written in one go."""
    if not entries:
        return
    if entries[0][0] <= table.lastkey:
        raise ValueError(f"Keys must increase: {table.lastkey!r}..{entries[0][0]!r}")
    dbfile, buckets, hashfn, pack = table.dbfile, table.buckets, table.hashfn, _KEY_VALUE_LENGTHS.pack
    position = dbfile.tell()
    positions, parts = [], []
    for key, value in entries:
        positions.append(position)
        digest = hashfn(key)
        buckets[digest & 255].append((digest, position))
        parts += (pack(len(key), len(value)), key, value)
        position += 8 + len(key) + len(value)
    table.index.extend(positions)
    dbfile.write(b"".join(parts))
    table.lastkey = entries[-1][0]


def encode_term(postings, lengths, fixed, postfile, compression=3, inline_below=INLINE_BELOW, extents=False):
    """Write one term's postings ([docnum, weight, vbytes, …], docnums ascending) to `postfile`, as a
    kb.engine.extents extent when `extents`, else in whoosh3's block format, or inline them; returns
    the term's entry (W3TermInfo bytes)."""
    if len(postings) == 3:  # one posting: most terms of a segment
        return _single(postings, lengths)
    ids = postings[0::3]
    weights = postings[1::3]
    values = postings[2::3]
    count = len(ids)
    info = W3TermInfo()
    info._df = count
    info._minid, info._maxid = ids[0], ids[-1]
    if count < inline_below:
        stats = _block_stats(ids, weights, lengths)
        info._weight, info._maxweight, info._minlength, info._maxlength = stats
        # no values (Existence format): Nones, as whoosh3's block reader gives them
        inlined = (tuple(ids), _exact(array("f", weights)), tuple(values) if any(values) else (None,) * count)
        return _entry(info, pickle.dumps(inlined, PICKLE), inlined=True)
    if extents:
        blob = _extent(ids, weights, values, lengths, fixed, info)
    else:
        blob = _w3_blocks(ids, weights, values, lengths, fixed, compression, info)
    offset = postfile.tell()
    postfile.write(blob)
    return _entry(info, pack_long(offset) + pack_int(len(blob)), inlined=False)


def _extent(ids, weights, values, lengths, fixed, info):
    """kb.engine.extents' form of a postings list; sets `info`'s totals as _w3_blocks does."""
    weights32 = array("f", weights)
    if all(map(float.is_integer, weights32)):  # whole numbers: every partial sum is exact, in any order
        total = sum(weights32)
        maxweight = max(0, max(weights))
        present = list(filter(None, map(lengths.__getitem__, ids))) if lengths is not None else None
        minlength, maxlength = (min(present), max(present)) if present else (None, 0)
    else:  # sums of 128-posting blocks, as whoosh3's blocks add them up
        total, maxweight, minlength, maxlength = _blockwise_stats(ids, weights, lengths)
    info._weight, info._maxweight, info._minlength, info._maxlength = total, maxweight, minlength, maxlength
    return extents.encode(ids, weights32, None if fixed == 0 else values)


def _blockwise_stats(ids, weights, lengths):
    stats = _NO_STATS
    for start in range(0, len(ids), BLOCK):
        end = min(start + BLOCK, len(ids))
        stats = _add_block(stats, _block_stats(ids[start:end], weights[start:end], lengths))
    return stats


_NO_STATS = (0.0, 0, None, 0)  # total weight, max weight, min length, max length


def _add_block(stats, block):
    """`stats` with one block's (_block_stats) added, as whoosh3 sums its blocks."""
    total, maxweight, minlength, maxlength = stats
    weight, block_max, block_min_len, block_max_len = block
    if block_max > maxweight:
        maxweight = block_max
    if block_min_len is not None:
        minlength = block_min_len if minlength is None else min(minlength, block_min_len)
    if block_max_len > maxlength:
        maxlength = block_max_len
    return total + weight, maxweight, minlength, maxlength


def _w3_blocks(ids, weights, values, lengths, fixed, compression, info):
    """whoosh3's block form of a postings list (each block's ids, weights and values pickled)."""
    count = len(ids)
    out = [WHOOSH3_HEADER_MAGIC]
    stats = _NO_STATS
    compress, dumps = zlib.compress, pickle.dumps
    for start in range(0, count, BLOCK):
        end = min(start + BLOCK, count)
        block_ids, block_weights = ids[start:end], weights[start:end]
        block = _block_stats(block_ids, block_weights, lengths)
        _, block_max, block_min_len, block_max_len = block
        stats = _add_block(stats, block)
        data = dumps(
            (
                tuple(map(sub, block_ids, [0, *block_ids[:-1]])),  # id deltas
                _mini_weights(block_weights),
                _mini_values(values[start:end], fixed),
            ),
            PICKLE,
        )
        level = compression
        if level:
            packed = compress(data, level)
            if len(packed) < len(data):
                data = packed
            else:
                level = 0
        head = dumps(
            (end - start, block_ids[-1], block_max, level, _byte(block_min_len), _byte(block_max_len)), PICKLE
        )
        size = len(head) + len(data)
        out += (pack_int(-size if end == count else size), head, data)
    info._weight, info._maxweight, info._minlength, info._maxlength = stats
    return b"".join(out)


_ENTRY = W3TermInfo._struct.pack
_FLOAT32 = {}  # weight -> (its float32 value, as a reader gets it back, as pickled)
_BYTES = {}  # field length -> length_to_byte (a few thousand distinct lengths at most)


def _float32(weight):
    pair = _FLOAT32.get(weight)
    if pair is None:
        weight32 = array("f", (weight,))[0]
        pair = _FLOAT32[weight] = (weight32, int(weight32) if weight32.is_integer() else weight32)
    return pair


def _byte(length):
    code = _BYTES.get(length)
    if code is None:
        code = _BYTES[length] = length_to_byte(length)
    return code


def _single(postings, lengths):
    """encode_term for a list of one posting, inlined."""
    docnum, weight, value = postings
    weight32, pickled = _FLOAT32.get(weight) or _float32(weight)
    code = _byte(lengths[docnum]) if lengths is not None else 0
    inlined = ((docnum,), (pickled,), (value or None,))
    return _ENTRY(True, weight32, 1, code, code, max(0, weight), docnum, docnum) + pickle.dumps(
        inlined, PICKLE
    )


def _entry(info, tail, inlined):
    """W3TermInfo.to_bytes, with inlined postings pickled by PICKLE rather than protocol 2."""
    head = W3TermInfo._struct.pack(
        inlined,
        info._weight,
        info._df,
        length_to_byte(info._minlength),
        length_to_byte(info._maxlength),
        info._maxweight,
        info._minid,
        info._maxid,
    )
    return head + tail


def _block_stats(ids, weights, lengths):
    """(total weight as float32 sums, max weight, min length or None, max length) of one block."""
    total = sum(array("f", weights))
    maxweight = max(0, max(weights))
    if lengths is None:
        return total, maxweight, None, 0
    present = list(filter(None, map(lengths.__getitem__, ids)))
    if not present:
        return total, maxweight, None, 0
    return total, maxweight, min(present), max(present)


def _mini_weights(weights):
    weights = array("f", weights)
    count = len(weights)
    if weights.count(1.0) == count:
        return None
    first = weights[0]
    if weights.count(first) == count:
        return first
    return _exact(weights)


def _exact(weights):
    """Weights as a tuple, whole numbers as ints: a pickled int under 256 takes 2 bytes, a float 9, and
    every reader turns them into the same float (term counts are whole numbers)."""
    if all(map(float.is_integer, weights)):
        return tuple(map(int, weights))
    return tuple(weights)


def _mini_values(values, fixed):
    values = list(filter(None, values))
    if fixed is None or fixed < 0:
        return tuple(values)
    if fixed == 0:
        return None
    return b"".join(values)
