"""A compact term dictionary: whoosh3's segments with a front-coded, block-indexed terms file.

whoosh3 keeps a segment's terms in an OrderedHashWriter: per term an 8-byte record header, the
whole key (2-byte field number + UTF-8 term), a 23-byte W3TermInfo head with the postings
pointer or the pickled inlined postings, plus hash buckets and an order index: about 80 bytes a
term.  CompactCodec writes the same terms and term infos, in the same order, in blocks:

- keys sorted, BLOCK of them a block, each key front-coded against the one before it
  (varint shared-prefix length, varint suffix length, varint info length, suffix, info);
- term info packed: a flags byte, varint doc frequency, the min/max length bytes, total and
  max weight as varints when whole numbers (else float32), first id and the id span as varints,
  then the postings pointer (varint offset from the block's base offset, varint length) or the
  inlined postings (id deltas, weights as varints or floats, values as length-prefixed bytes);
- a footer: the field map, each block's first key and each block's start offset.

Opening a segment reads only the footer (a list of first keys and one of offsets, one entry a
block).  A lookup bisects the first keys and scans one block.  term_info() returns W3TermInfo
objects with the same fields as whoosh3's, so Whoosh's matchers and kb.engine.postings read them
as before.  The codec is pickled with each segment in the TOC: segments written with W3Codec keep
opening with it, segments written here name CompactCodec (kb.engine.terms.CompactCodec).
A postings extent is either whoosh3's blocks (segments written before) or kb.engine.extents' form
(kb.engine.segwriter writes it since): matcher() looks at its first bytes.
"""

import json
import pickle
import struct
from bisect import bisect_right

from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3TermInfo
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

from kb.engine import extents
from kb.engine.extents import read_varint as _read_varint
from kb.engine.extents import varint as _varint
from kb.engine.matcher import Decoded, extent_matcher
from kb.engine.stored import BlockStoredPerDocReader, BlockStoredPerDocWriter

MAGIC = b"KBT2"  # what this writer writes; KBT1 files (kb before it) are still read
MAGIC_V1 = b"KBT1"
BLOCK = 16  # terms a block: a lookup scans half of one on average

_W3HEAD = struct.Struct("!BfIBBfII")  # W3TermInfo._struct
_W3EXTENT = struct.Struct("!qi")  # whoosh3's pack_long + pack_int of a postings pointer
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")
_TRAILER = struct.Struct("<QQQII4s")  # fieldmap at, keys at, offsets at, blocks, terms, magic
_TRAILER_V2 = struct.Struct("<QQQIIB4s")  # … terms, the footer's offset width (4 or 8), magic
_NO_ID = 0xFFFFFFFF

# flags of a term's info
_INLINED = 1
_WEIGHT_WHOLE = 2  # total weight is a whole number: a varint, else float32
_MAX_SAME = 4  # max weight == total weight
_MAX_WHOLE = 8
_NO_IDS = 16  # no first/last id (an empty postings list)
_LENGTH_SAME = 32  # max length byte == min length byte
_VALUES = 64  # inlined postings carry values
_IMPLIED = 128  # one inlined posting whose weight is the total weight
# inlined weights: a byte saying how they are stored, unless _IMPLIED
_WEIGHTS_INT, _WEIGHTS_F64 = 0, 1

_SMALL = [bytes((i,)) for i in range(128)]


def _whole(w):
    return w.is_integer() and 0 <= w < 2**53


class Missing(TermNotFound, KeyError):
    """A term the segment lacks: Whoosh's readers catch KeyError from frequency() and doc_frequency(),
    TermNotFound from term_info() (whoosh3 raises one or the other)."""


class CompactCodec(W3Codec):
    """whoosh3 with kb's compact terms file, stored fields deflated a block of documents at a time
    (kb.engine.stored) and, for postings lists kb.engine.segwriter writes, kb.engine.extents'
    extents; columns as whoosh3.  A codec pickled before block stored fields (no `stored_blocks`
    attribute) reads its segments' stored fields as whoosh3 wrote them.  `extents`: whether new
    segments get kb's extents (readers take either form, extent by extent)."""

    extents = True

    def __init__(self, blocklimit=128, compression=3, inlinelimit=1, termblock=BLOCK):
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)
        self._termblock = termblock
        self.stored_blocks = True

    def per_document_writer(self, storage, segment):
        if getattr(self, "stored_blocks", False):
            return BlockStoredPerDocWriter(self, storage, segment)
        return super().per_document_writer(storage, segment)

    def per_document_reader(self, storage, segment):
        if getattr(self, "stored_blocks", False):
            return BlockStoredPerDocReader(storage, segment)
        return super().per_document_reader(storage, segment)

    def field_writer(self, storage, segment):
        return CompactFieldWriter(self, storage, segment)

    def terms_reader(self, storage, segment):
        tiname = segment.make_filename(self.TERMS_EXT)
        tilen = storage.file_length(tiname)
        tifile = storage.open_file(tiname)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return CompactTermsReader(self, tifile, tilen, postfile)


class CompactFieldWriter(W3FieldWriter):
    """W3FieldWriter whose term table is a CompactTermsWriter; `add_entries` takes (key, W3TermInfo
    bytes) pairs in key order, as kb.engine.segwriter makes them."""

    def __init__(self, codec, storage, segment):
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = None
        self._fieldid = None
        self._btext = None
        self._fieldobj = None
        self._format = None
        self._tindex = CompactTermsWriter(
            self._create_file(W3Codec.TERMS_EXT), getattr(codec, "_termblock", BLOCK)
        )
        self._fieldmap = self._tindex.fieldmap
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False
        self.extents = getattr(codec, "extents", False)  # kb.engine.segwriter writes kb's extents

    def add_entries(self, entries):
        self._tindex.add_entries(entries)


class CompactTermsWriter:
    """Writes (key, W3TermInfo bytes) pairs, keys ascending, as front-coded blocks."""

    def __init__(self, dbfile, blocksize=BLOCK, version=2):
        self.dbfile = dbfile
        self.blocksize = blocksize
        self.version = version  # 1: KBT1, as kb wrote before (kept to test that it still reads)
        self.fieldmap = {}
        self.lastkey = b""
        self._pending = []  # (key, decoded info) of the block being filled
        self._firsts = []
        self._starts = []
        self._count = 0
        dbfile.write(MAGIC if version == 2 else MAGIC_V1)
        self._position = len(MAGIC)

    def add(self, key, value):
        self.add_entries(((key, value),))

    def add_entries(self, entries):
        pending, size = self._pending, self.blocksize
        lastkey = self.lastkey
        for key, value in entries:
            if lastkey and key <= lastkey:
                raise ValueError(f"Keys must increase: {lastkey[:40]!r}..{key[:40]!r}")
            lastkey = key
            pending.append((key, _decode_w3(value)))
            if len(pending) >= size:
                self._flush()
        self.lastkey = lastkey

    def _flush(self):
        pending = self._pending
        if not pending:
            return
        extents = [info[-1] for _, info in pending if not info[0] & _INLINED]
        base = min(offset for offset, _ in extents) if extents else 0
        parts = [_varint(base)]
        v2 = self.version == 2
        previous = pending[0][0] if v2 else b""  # KBT2: the footer holds each block's first key
        for key, info in pending:
            shared = 0
            limit = min(len(key), len(previous))
            while shared < limit and key[shared] == previous[shared]:
                shared += 1
            data = _encode_info(info, base, first_implied=v2)
            parts += (_varint(shared), _varint(len(key) - shared), _varint(len(data)), key[shared:], data)
            previous = key
        blob = b"".join(parts)
        self._firsts.append(pending[0][0])
        self._starts.append(self._position)
        self.dbfile.write(blob)
        self._position += len(blob)
        self._count += len(pending)
        pending.clear()

    def close(self):
        self._flush()
        self._starts.append(self._position)
        fieldmap = json.dumps(self.fieldmap, ensure_ascii=False).encode("utf-8")
        ends, end = [], 0
        for first in self._firsts:
            end += len(first)
            ends.append(end)
        width = "Q" if self.version == 1 or max(self._position, end) >= 1 << 32 else "I"
        keys = b"".join(self._firsts) + struct.pack(f"<{len(ends)}{width}", *ends)
        offsets = struct.pack(f"<{len(self._starts)}{width}", *self._starts)
        at = self._position
        self.dbfile.write(fieldmap + keys + offsets)
        places = (at, at + len(fieldmap), at + len(fieldmap) + len(keys), len(self._firsts), self._count)
        if self.version == 1:
            self.dbfile.write(_TRAILER.pack(*places, MAGIC_V1))
        else:
            self.dbfile.write(_TRAILER_V2.pack(*places, struct.calcsize(width), MAGIC))
        self.dbfile.close()


def _decode_w3(value):
    """(flags, weight, df, minlength byte, maxlength byte, maxweight, minid, maxid, tail) of W3TermInfo
    bytes; tail: the inlined (ids, weights, values) or the (offset, length) extent."""
    flags, weight, df, minlb, maxlb, maxweight, minid, maxid = _W3HEAD.unpack_from(value)
    if flags:
        tail = pickle.loads(value[_W3HEAD.size :])
        flags = _INLINED
    else:
        tail = _W3EXTENT.unpack_from(value, _W3HEAD.size)
    return flags, weight, df, minlb, maxlb, maxweight, minid, maxid, tail


def _packed_weight(weight):
    """(whether it is a whole number, its bytes): a varint when whole, else float32."""
    if _whole(weight):
        return True, _varint(int(weight))
    return False, _F32.pack(weight)


def _encode_info(info, base, first_implied=True):
    """The packed info; `first_implied` (KBT2): inlined ids leave out the first, the info's first id."""
    flags, weight, df, minlb, maxlb, maxweight, minid, maxid, tail = info
    whole, packed = _packed_weight(weight)
    flags |= _WEIGHT_WHOLE if whole else 0
    out = [packed]
    if maxweight == weight:
        flags |= _MAX_SAME
    else:
        whole, packed = _packed_weight(maxweight)
        flags |= _MAX_WHOLE if whole else 0
        out.append(packed)
    if minid == _NO_ID:
        flags |= _NO_IDS
        if maxid != _NO_ID:
            raise ValueError("a term info with a last id but no first id")
    else:
        out.append(_varint(minid))
        if df != 1 or maxid != minid:
            out.append(_varint(maxid - minid))
    if maxlb == minlb:
        flags |= _LENGTH_SAME
        lengths = bytes((minlb,))
    else:
        lengths = bytes((minlb, maxlb))
    if flags & _INLINED:
        ids, weights, values = tail
        count = len(ids)
        if count != df:
            raise ValueError(f"inlined postings: {count} ids for a doc frequency of {df}")
        previous = minid if count and minid != _NO_ID else 0
        implied = first_implied and count and minid != _NO_ID
        if implied and ids[0] != minid:
            raise ValueError(f"inlined postings: first id {ids[0]} is not the first id {minid}")
        for docnum in ids[1:] if implied else ids:
            out.append(_varint(docnum - previous))
            previous = docnum
        if count == 1 and float(weights[0]) == weight:
            flags |= _IMPLIED
        elif all(_whole(float(w)) for w in weights):
            out.append(_SMALL[_WEIGHTS_INT])
            out += [_varint(int(w)) for w in weights]
        else:
            out.append(_SMALL[_WEIGHTS_F64])
            out += [_F64.pack(w) for w in weights]
        if any(v is not None for v in values):
            flags |= _VALUES
            for v in values:
                out.append(_SMALL[0] if v is None else _varint(len(v) + 1) + v)
    else:
        offset, length = tail
        if offset < base:
            raise ValueError("postings offsets must not decrease within a block")
        out.append(_varint(offset - base))
        out.append(_varint(length))
    return bytes((flags,)) + _varint(df) + lengths + b"".join(out)


def _decode_info(buf, i, base, first_implied=False):
    """W3TermInfo from the info at buf[i]; `first_implied`: a KBT2 file (inlined ids after the
    first id, which is the info's)."""
    flags = buf[i]
    df = buf[i + 1]
    if df < 128:
        i += 2
    else:
        df, i = _read_varint(buf, i + 1)
    info = W3TermInfo.__new__(W3TermInfo)
    info._df = df
    minlb = buf[i]
    info._minlength = byte_to_length(minlb)
    if flags & _LENGTH_SAME:
        info._maxlength = info._minlength
        i += 1
    else:
        info._maxlength = byte_to_length(buf[i + 1])
        i += 2
    if flags & _WEIGHT_WHOLE:
        weight = buf[i]
        if weight < 128:
            i += 1
        else:
            weight, i = _read_varint(buf, i)
        weight = float(weight)
    else:
        weight = _F32.unpack_from(buf, i)[0]
        i += 4
    info._weight = weight
    if flags & _MAX_SAME:
        info._maxweight = weight
    elif flags & _MAX_WHOLE:
        maxweight, i = _read_varint(buf, i)
        info._maxweight = float(maxweight)
    else:
        info._maxweight = _F32.unpack_from(buf, i)[0]
        i += 4
    if flags & _NO_IDS:
        minid = maxid = None
    else:
        minid, i = _read_varint(buf, i)
        if df == 1:
            maxid = minid
        else:
            span, i = _read_varint(buf, i)
            maxid = minid + span
    info._minid, info._maxid = minid, maxid
    if flags & _INLINED:
        if first_implied and minid is not None:
            ids = [minid]
            previous = minid
            for _ in range(df - 1):
                delta, i = _read_varint(buf, i)
                previous += delta
                ids.append(previous)
        elif df == 1 and buf[i] == 0:  # one posting: its id is the first id
            ids = (minid,)
            i += 1
        else:
            ids = []
            previous = minid or 0
            for _ in range(df):
                delta, i = _read_varint(buf, i)
                previous += delta
                ids.append(previous)
        if flags & _IMPLIED:
            weights = (int(weight) if flags & _WEIGHT_WHOLE else weight,)
        else:
            kind = buf[i]
            i += 1
            if kind == _WEIGHTS_INT:
                weights = []
                for _ in range(df):
                    w, i = _read_varint(buf, i)
                    weights.append(w)
            else:
                weights = [_F64.unpack_from(buf, i + 8 * n)[0] for n in range(df)]
                i += 8 * df
        if flags & _VALUES:
            values = []
            for _ in range(df):
                n, i = _read_varint(buf, i)
                if n:
                    values.append(buf[i : i + n - 1])
                    i += n - 1
                else:
                    values.append(None)
        else:
            values = (None,) * df
        info._inlined = (tuple(ids), tuple(weights), tuple(values))
        info._offset = info._length = None
    else:
        info._inlined = None
        offset, i = _read_varint(buf, i)
        info._offset = base + offset
        info._length, i = _read_varint(buf, i)
    return info


class CompactTermsReader:
    """The TermsReader of a CompactCodec segment (Whoosh's base.TermsReader interface)."""

    def __init__(self, codec, dbfile, length, postfile):
        self._codec = codec
        self._dbfile = dbfile
        self._postfile = postfile
        magic = dbfile.get(length - 4, 4)
        if magic == MAGIC:
            trailer = dbfile.get(length - _TRAILER_V2.size, _TRAILER_V2.size)
            fields_at, keys_at, offsets_at, blocks, count, width, _ = _TRAILER_V2.unpack(trailer)
        elif magic == MAGIC_V1:
            trailer = dbfile.get(length - _TRAILER.size, _TRAILER.size)
            fields_at, keys_at, offsets_at, blocks, count, _ = _TRAILER.unpack(trailer)
            width = 8
        else:
            raise ValueError("not a kb compact terms file")
        if dbfile.get(0, 4) != magic or width not in (4, 8):
            raise ValueError("not a kb compact terms file")
        # KBT2: a block's first key is only in the footer, inlined ids leave out the first id
        self._implied = magic == MAGIC
        self._fieldmap = json.loads(dbfile.get(fields_at, keys_at - fields_at).decode("utf-8"))
        self._fieldunmap = {num: name for name, num in self._fieldmap.items()}
        keys = dbfile.get(keys_at, offsets_at - keys_at)
        code = "<%d" + ("I" if width == 4 else "Q")
        ends = struct.unpack_from(code % blocks, keys, len(keys) - width * blocks)
        self._firsts = [keys[a:b] for a, b in zip((0, *ends), ends, strict=False)]  # each block's first key
        self._starts = struct.unpack(code % (blocks + 1), dbfile.get(offsets_at, width * (blocks + 1)))
        # a mapped file (a compound segment's sub-file) is sliced directly, without a call to get()
        buf = getattr(dbfile, "_buf", None)
        self._buf = buf if isinstance(buf, memoryview | bytes) else None
        self._count = count
        self._decoded = Decoded()  # the last few kb extents decoded for Whoosh's matchers

    def __len__(self):
        return self._count

    # keys

    def _key(self, fieldname, tbytes):
        return self._fieldmap.get(fieldname, 65535).to_bytes(2, "big") + tbytes

    def _decode_key(self, key):
        return self._fieldunmap.get(int.from_bytes(key[:2], "big")), key[2:]

    def _block(self, j):
        start, end = self._starts[j], self._starts[j + 1]
        if self._buf is not None:
            return bytes(self._buf[start:end])
        return self._dbfile.get(start, end - start)

    def _find(self, key):
        """(block bytes, info position, base offset) of `key`, or None."""
        j = bisect_right(self._firsts, key) - 1
        if j < 0:
            return None
        start, stop = self._starts[j], self._starts[j + 1]
        buf = bytes(self._buf[start:stop]) if self._buf is not None else self._dbfile.get(start, stop - start)
        base, i = _read_varint(buf, 0)
        end = len(buf)
        current = self._firsts[j] if self._implied else b""
        while i < end:
            shared = buf[i]
            if shared < 128:
                i += 1
            else:
                shared, i = _read_varint(buf, i)
            size = buf[i]
            if size < 128:
                i += 1
            else:
                size, i = _read_varint(buf, i)
            infolen = buf[i]
            if infolen < 128:
                i += 1
            else:
                infolen, i = _read_varint(buf, i)
            current = current[:shared] + buf[i : i + size]
            i += size
            if current == key:
                return buf, i, base, self._implied
            if current > key:
                return None
            i += infolen
        return None

    def _entries(self, j, start_key=None):
        """(key, block bytes, info position, base) of every term from block j on, keys >= start_key."""
        blocks = len(self._firsts)
        while j < blocks:
            buf = self._block(j)
            base, i = _read_varint(buf, 0)
            end = len(buf)
            current = self._firsts[j] if self._implied else b""
            while i < end:
                shared, i = _read_varint(buf, i)
                size, i = _read_varint(buf, i)
                infolen, i = _read_varint(buf, i)
                current = current[:shared] + buf[i : i + size]
                i += size
                if start_key is None or current >= start_key:
                    start_key = None
                    yield current, buf, i, base
                i += infolen
            j += 1

    def _entries_from(self, key):
        return self._entries(max(0, bisect_right(self._firsts, key) - 1), key)

    # TermsReader

    def __contains__(self, term):
        fieldname, tbytes = term
        return self._find(self._key(fieldname, tbytes)) is not None

    def indexed_field_names(self):
        return self._fieldmap.keys()

    def cursor(self, fieldname, fieldobj):
        return CompactFieldCursor(self, fieldname, fieldobj)

    def terms(self):
        decode = self._decode_key
        return (decode(key) for key, _, _, _ in self._entries(0))

    def terms_from(self, fieldname, prefix):
        decode = self._decode_key
        return (decode(key) for key, _, _, _ in self._entries_from(self._key(fieldname, prefix)))

    def items(self):
        decode = self._decode_key
        implied = self._implied
        return ((decode(key), _decode_info(buf, i, base, implied)) for key, buf, i, base in self._entries(0))

    def items_from(self, fieldname, prefix):
        decode = self._decode_key
        entries = self._entries_from(self._key(fieldname, prefix))
        implied = self._implied
        return ((decode(key), _decode_info(buf, i, base, implied)) for key, buf, i, base in entries)

    def term_info(self, fieldname, tbytes):
        found = self._find(self._key(fieldname, tbytes))
        if found is None:
            raise Missing(f"No term {fieldname}:{tbytes!r}")
        return _decode_info(*found)

    def frequency(self, fieldname, tbytes):
        return self.term_info(fieldname, tbytes).weight()

    def doc_frequency(self, fieldname, tbytes):
        return self.term_info(fieldname, tbytes).doc_frequency()

    def matcher(self, fieldname, tbytes, format_, scorer=None):
        terminfo = self.term_info(fieldname, tbytes)
        term = (fieldname, tbytes)
        if not terminfo.is_inlined():
            offset, length = terminfo.extent()
            if extents.is_extent(self._postfile.get(offset, len(extents.MAGIC))):
                postfile, cache = self._postfile, self._decoded
                return extent_matcher(postfile, offset, length, format_, scorer, term, terminfo, cache)
        return self._codec.postings_reader(self._postfile, terminfo, format_, term=term, scorer=scorer)

    def close(self):
        self._dbfile.close()
        self._postfile.close()


class CompactFieldCursor:
    """Whoosh's FieldCursor over one field of a CompactTermsReader (used by fuzzy term queries)."""

    def __init__(self, reader, fieldname, fieldobj):
        self._reader = reader
        self._fieldname = fieldname
        self._fieldobj = fieldobj
        self._prefix = reader._key(fieldname, b"")
        self.first()

    def _start(self, key):
        self._entries = self._reader._entries_from(key)
        return self.next()

    def first(self):
        return self._start(self._prefix)

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        return self._start(self._prefix + term)

    def next(self):
        for key, buf, i, base in self._entries:
            if key.startswith(self._prefix):
                self._current = (buf, i, base, self._reader._implied)
                self._text = self._fieldobj.from_bytes(key[len(self._prefix) :])
                return self._text
            break
        self._entries = iter(())
        self._current = self._text = None
        return None

    def text(self):
        return self._text

    def term_info(self):
        return None if self._current is None else _decode_info(*self._current)

    def is_valid(self):
        return self._text is not None
