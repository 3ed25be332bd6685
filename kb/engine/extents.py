"""kb's postings extents: one term's postings list as three numpy-readable sections.

whoosh3 stores a postings list as blocks of 128 postings, each a pickled tuple (id deltas, weights,
values) compressed with zlib, after a pickled block header.  Reading one for scoring means
unpickling and inflating every block.  An extent here is

    MAGIC  varint count  ids kind  weights kind  values kind  varint ids size  varint weights size
    ids section  weights section  values section

so the bulk scorer (kb.engine.postings) reads the ids and weights as numpy arrays without touching
the positions, and Whoosh's matchers (phrases, highlighting, merges) get a ListMatcher over the
same postings (kb.engine.terms).

- ids: deltas (the first from 0), `_U8` one byte each with 255 marking an exception, `_U16` two
  bytes with 65535 marking one (the exceptions follow as uint32), or `_U32`; each term takes the
  smallest.
- weights: `_ONES` (no data), `_CONST` (one float32), `_U8`/`_U16` when every weight is a whole
  number (term counts, times the title's boost of 3), else `_F32`: the float32 values Whoosh keeps.
- values (a posting's positions, VarintPositions bytes): `_NONE` when no posting has one, else
  the lengths (a `_FIXED` length, or as the ids, without deltas) then the concatenated bytes.
Any section's kind may carry `_ZLIB`: the section compressed, kept only when it saves enough
(`ZLIB_KEEP` of ids and weights, which every scoring reads; any saving for the values).
Little-endian throughout.  Writing needs no numpy (`kb index update`'s quick phase commits before
numpy is imported); reading imports it.  Segments written before keep their whoosh3 blocks: readers dispatch
on the extent's first bytes (whoosh3's begin with b"W3Bl").
"""

import sys
import zlib
from array import array
from operator import sub

MAGIC = b"KP"  # an extent of this format (whoosh3's extents start with b"W3Bl")
HEAD_MAX = 2 + 5 + 3 + 5 + 5  # the most bytes before the ids section

# section kinds (low bits), _ZLIB may be added
_NONE, _ONES, _CONST, _U8, _U16, _U32, _F32, _FIXED = range(8)
_ZLIB = 0x80
ZLIB_KEEP = 0.6  # ids and weights compressed only when that leaves at most this share of their bytes
ZLIB_LEVEL = 6

_ESCAPE = {_U8: 0xFF, _U16: 0xFFFF}
_DTYPE = {_U8: "u1", _U16: "<u2", _U32: "<u4", _F32: "<f4"}
_WIDTH = {_U8: 1, _U16: 2, _U32: 4}
_SMALL = [bytes((i,)) for i in range(128)]
_BIG_ENDIAN = sys.byteorder == "big"


def varint(n):
    """An unsigned varint: 7 bits a byte, low group first, the high bit on all but the last byte
    (the terms file's too, kb/engine/terms.py)."""
    if n < 128:
        return _SMALL[n]
    out = bytearray()
    while n >= 128:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(buf, i):
    """(value, index after it) of the varint at buf[i]."""
    b = buf[i]
    if b < 128:
        return b, i + 1
    n, shift = b & 127, 7
    while True:
        i += 1
        b = buf[i]
        n |= (b & 127) << shift
        if b < 128:
            return n, i + 1
        shift += 7


# writing


def encode(ids, weights, values):
    """The extent of one postings list: `ids` ascending docnums, `weights` floats (stored as float32,
    as whoosh3 does), `values` bytes or None per posting (None or an empty sequence: no values).
    Plain Python and arrays: most lists are short, where numpy's per-call cost would dominate."""
    count = len(ids)
    if count == 0:
        raise ValueError("an extent holds at least one posting")
    ids = list(ids)
    deltas = list(map(sub, ids, [0, *ids[:-1]]))
    if deltas[0] < 0 or min(deltas[1:], default=1) <= 0:
        raise ValueError("postings ids must ascend")
    idkind, idbytes = _compress(*_unsigned(deltas), ZLIB_KEEP)
    wkind, wbytes = _compress(*_weights(weights), ZLIB_KEEP)
    vkind, vbytes = _compress(*_values(values, count), 1.0)
    head = MAGIC + varint(count) + bytes((idkind, wkind, vkind)) + varint(len(idbytes))
    return b"".join((head, varint(len(wbytes)), idbytes, wbytes, vbytes))


def _packed(typecode, numbers):
    packed = array(typecode, numbers)
    if _BIG_ENDIAN:
        packed.byteswap()
    return packed.tobytes()


def _unsigned(numbers):
    """(kind, bytes) of non-negative integers: the narrowest of one byte, two bytes (each with an
    escape value and uint32 exceptions after) and four bytes."""
    count = len(numbers)
    if min(numbers) < 0 or max(numbers) >= 2**32:
        raise ValueError("ids and lengths must fit in 32 bits")
    big = [n for n in numbers if n >= 0xFF]
    if not big:
        return _U8, bytes(numbers)
    bigger = [n for n in big if n >= 0xFFFF]
    u8, u16, u32 = count + 4 * len(big), 2 * count + 4 * len(bigger), 4 * count
    if u8 <= u16 and u8 < u32:
        return _U8, bytes([n if n < 0xFF else 0xFF for n in numbers]) + _packed("I", big)
    if u16 < u32:
        return _U16, _packed("H", [n if n < 0xFFFF else 0xFFFF for n in numbers]) + _packed("I", bigger)
    return _U32, _packed("I", numbers)


def _weights(weights):
    weights = array("f", weights)  # as whoosh3 keeps them
    count = len(weights)
    first = weights[0]
    if weights.count(first) == count:
        return (_ONES, b"") if first == 1.0 else (_CONST, _packed("f", weights[:1]))
    if min(weights) >= 0 and all(map(float.is_integer, weights)):
        top = max(weights)
        if top < 256:
            return _U8, bytes(map(int, weights))
        if top < 65536:
            return _U16, _packed("H", map(int, weights))
    return _F32, _packed("f", weights)


def _values(values, count):
    if values is None or not any(values):
        return _NONE, b""
    if len(values) != count:
        raise ValueError(f"{len(values)} values for {count} postings")
    values = [v or b"" for v in values]
    lengths = list(map(len, values))
    data = b"".join(values)
    if lengths.count(lengths[0]) == count:
        return _FIXED, varint(lengths[0]) + data
    kind, packed = _unsigned(lengths)
    return kind, packed + data


def _compress(kind, data, keep):
    if kind in (_NONE, _ONES, _CONST) or len(data) < 32:
        return kind, data
    packed = zlib.compress(data, ZLIB_LEVEL)
    if len(packed) < len(data) * keep:
        return kind | _ZLIB, packed
    return kind, data


# reading


class Extent:
    """One extent's head: `count`, each section's kind and (start, end) within the extent."""

    __slots__ = ("count", "kinds", "ids", "weights", "values_at")

    def __init__(self, head):
        if head[:2] != MAGIC:
            raise ValueError("not a kb postings extent")
        count, i = read_varint(head, 2)
        kinds = head[i], head[i + 1], head[i + 2]
        idsize, i = read_varint(head, i + 3)
        wsize, i = read_varint(head, i)
        self.count = count
        self.kinds = kinds
        self.ids = (i, i + idsize)
        self.weights = (i + idsize, i + idsize + wsize)
        self.values_at = i + idsize + wsize


def is_extent(head):
    return head[:2] == MAGIC


def _section(buf, at, span, kind):
    start, end = span
    data = buf[at + start : at + end]
    if kind & _ZLIB:
        return zlib.decompress(data)
    return data


def _decode_unsigned(data, kind, count):
    """(int64 numbers, bytes they took) of _unsigned's bytes."""
    import numpy as np

    kind &= ~_ZLIB
    narrow = np.frombuffer(data, dtype=_DTYPE[kind], count=count)
    numbers = narrow.astype(np.int64)
    size = count * _WIDTH[kind]
    if kind == _U32:
        return numbers, size
    escaped = np.flatnonzero(narrow == _ESCAPE[kind])
    if len(escaped):
        numbers[escaped] = np.frombuffer(data, dtype="<u4", count=len(escaped), offset=size)
    return numbers, size + 4 * len(escaped)


def _decode_weights(data, kind, count):
    import numpy as np

    kind &= ~_ZLIB
    if kind == _ONES:
        return np.ones(count)
    if kind == _CONST:
        return np.full(count, float(np.frombuffer(data, dtype="<f4", count=1)[0]))
    return np.frombuffer(data, dtype=_DTYPE[kind], count=count).astype(np.float64)


def ids_and_weights(buf, at=0):
    """(docnums int32, weights float64) of the extent at buf[at:] (bytes or a memoryview)."""
    return _ids_and_weights(buf, at, Extent(bytes(buf[at : at + HEAD_MAX])))


def _ids_and_weights(buf, at, extent):
    import numpy as np

    count = extent.count
    idkind, wkind, _ = extent.kinds
    deltas = _decode_unsigned(_section(buf, at, extent.ids, idkind), idkind, count)[0]
    ids = np.cumsum(deltas).astype(np.int32)
    return ids, _decode_weights(_section(buf, at, extent.weights, wkind), wkind, count)


def postings(buf, at=0, length=None):
    """(ids list, weights list, values) of the extent at buf[at:]: values a sequence of bytes, or None
    when the postings carry none."""
    extent = Extent(bytes(buf[at : at + HEAD_MAX]))
    ids, weights = _ids_and_weights(buf, at, extent)
    vkind = extent.kinds[2]
    if vkind & ~_ZLIB == _NONE:
        values = None
    else:
        end = len(buf) if length is None else at + length
        data = buf[at + extent.values_at : end]
        values = Values(zlib.decompress(data) if vkind & _ZLIB else bytes(data), vkind & ~_ZLIB, extent.count)
    return ids.tolist(), weights.tolist(), values


class Values:
    """The postings' values, sliced from the section on demand (ListMatcher reads values[i])."""

    __slots__ = ("_data", "_starts")

    def __init__(self, data, kind, count):
        import numpy as np

        if kind == _FIXED:
            size, i = read_varint(data, 0)
            starts = np.arange(count + 1, dtype=np.int64) * size + i
        else:
            lengths, skip = _decode_unsigned(data, kind, count)
            starts = np.empty(count + 1, dtype=np.int64)
            starts[0] = skip
            np.cumsum(lengths, out=starts[1:])
            starts[1:] += skip
        self._data = data
        self._starts = starts.tolist()

    def __len__(self):
        return len(self._starts) - 1

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self._starts) - 1:
            raise IndexError(i)
        return self._data[self._starts[i] : self._starts[i + 1]]

    def __iter__(self):
        data, starts = self._data, self._starts
        return (data[a:b] for a, b in zip(starts, starts[1:], strict=False))
