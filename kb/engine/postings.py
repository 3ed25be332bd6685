"""A term's whole postings list as numpy arrays, read straight from whoosh3's posting blocks.

Whoosh's matcher decodes a block into Python tuples and is walked one posting at a time; it also
reads through the segment file's sequential interface, which copies the whole postings sub-file
into memory the first time (fixes.py makes that copy lazy, this reader never triggers it).  Here a
term's extent is sliced once from the mapped file and each block's pickled arrays become one
numpy array: docnums by a cumulative sum of the deltas, weights as float64 (the float32 values
Whoosh stores, exactly).  kb's own extents (kb.engine.extents, which new segments get) are read
as numpy arrays directly, without their values.  Another codec falls back to Whoosh's matcher; the
answer is the same.
"""

import io
import pickle
import struct
import zlib

import numpy as np
from whoosh.reading import TermNotFound

from kb.engine import extents

_MAGIC = b"W3Bl"  # whoosh3's WHOOSH3_HEADER_MAGIC
_INT = struct.Struct("!i")
_EMPTY = (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.float64))


def term_postings(reader, field, tbytes):
    """(docnums int32, weights float64) of one term in one segment reader; empty when absent."""
    terms = getattr(reader, "_terms", None)
    postfile = getattr(terms, "_postfile", None)
    if terms is None or postfile is None or not hasattr(terms, "term_info"):
        return _by_matcher(reader, field, tbytes)
    try:
        info = terms.term_info(field, tbytes)
    except TermNotFound:
        return _EMPTY
    if info.is_inlined():
        ids, weights, _ = info.inlined_postings()
        return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float64)
    offset, length = getattr(info, "_offset", None), getattr(info, "_length", None)
    if isinstance(length, tuple):  # whoosh3 decodes the extent's length as a 1-tuple
        length = length[0]
    if offset is None or not isinstance(length, int) or not hasattr(postfile, "get"):
        return _by_matcher(reader, field, tbytes)
    buf = getattr(postfile, "_buf", None)  # a mapped segment: numpy reads the view, no copy
    if isinstance(buf, memoryview) and offset + length <= len(buf):
        if extents.is_extent(buf[offset : offset + 2]):
            return extents.ids_and_weights(buf[offset : offset + length])
    extent = postfile.get(offset, length)
    if extents.is_extent(extent):
        return extents.ids_and_weights(extent)
    if extent[:4] != _MAGIC:
        return _by_matcher(reader, field, tbytes)
    return _decode_blocks(extent)


def _decode_blocks(extent):
    """Every block of one extent: [length][pickled info][zlib'd pickled (id deltas, weights, values)]."""
    stream = io.BytesIO(extent)
    load = pickle.Unpickler(stream).load
    deltas, weights = [], []
    position, last_id = 4, 0
    while True:
        length = _INT.unpack_from(extent, position)[0]
        stream.seek(position + 4)
        count, max_id, _, compression, _, _ = load()
        end = position + 4 + abs(length)
        packed = extent[stream.tell() : end]
        # the ids and weights come first: inflate only as much as they can take (the positions
        # after them are most of a block)
        head = zlib.decompressobj().decompress(packed, 14 * count + 16) if compression else packed
        try:
            parsed = _ids_and_weights(head, count)
        except IndexError:  # a block shorter than its opcodes say: Whoosh's unpickling decides
            parsed = None
        if parsed is None:
            parsed = pickle.loads(zlib.decompress(packed) if compression else packed)[:2]
        block_ids, block_weights = parsed
        block_ids = np.array(block_ids, dtype=np.int64)  # (a copy: the first id is changed)
        block_ids[0] -= last_id  # each block starts from 0: make its first id a delta too
        deltas.append(block_ids)
        if block_weights is None:
            weights.append(np.ones(count))
        elif isinstance(block_weights, float):
            weights.append(np.full(count, block_weights))
        else:
            weights.append(np.asarray(block_weights, dtype=np.float64))
        last_id = max_id
        if length < 0:  # the last block
            break
        position = end
    ids = np.cumsum(np.concatenate(deltas)).astype(np.int32)
    return ids, np.concatenate(weights)


_K, _M, _J = 0x4B, 0x4D, 0x4A  # pickle's BININT1, BININT2, BININT
_MARK, _TUPLE, _BINPUT, _LONG_BINPUT, _BINFLOAT, _NONE = 0x28, 0x74, 0x71, 0x72, 0x47, 0x4E
_FLOATS = np.dtype(">f8")


def _ids_and_weights(data, count):
    """(id deltas, weights) read from a block's pickle (protocol 2 or 3) without its values.

    Whoosh pickles each posting's positions with protocol 2, where a bytes value becomes a call
    to _codecs.encode: unpickling a body block costs about 65 µs, nearly all of it those values,
    which scoring never reads.  The ids (one BININT opcode each) and the weights (BINFLOATs, or
    None, or one float) come first and are read here directly, about 5 times faster.  Anything
    unexpected returns None and the block is unpickled as usual."""
    if count <= 3 or len(data) < 4 or data[0] != 0x80 or data[1] not in (2, 3) or data[2] != _MARK:
        return None  # (tuples of up to 3 items are pickled without MARK)
    raw = np.frombuffer(data, dtype=np.uint8)
    ids = np.empty(count, dtype=np.int64)
    i, p = 0, 3
    while i < count:
        op = data[p]
        if op == _K:  # a run of one-byte ids (small deltas: most of a common word's list) at once
            ops = raw[p : p + 2 * (count - i) : 2]
            other = np.flatnonzero(ops != _K)
            run = int(other[0]) if len(other) else len(ops)
            ids[i : i + run] = raw[p + 1 : p + 2 * run : 2]
            i += run
            p += 2 * run
        elif op == _M:
            ids[i] = data[p + 1] | data[p + 2] << 8
            i += 1
            p += 3
        elif op == _J:
            ids[i] = int.from_bytes(data[p + 1 : p + 5], "little", signed=True)
            i += 1
            p += 5
        else:
            return None
    if data[p] != _TUPLE:
        return None
    p += 1
    p += 2 if data[p] == _BINPUT else 5 if data[p] == _LONG_BINPUT else 0
    op = data[p]
    if op == _MARK:  # a tuple of floats
        end = p + 1 + 9 * count
        if end >= len(data) or data[end] != _TUPLE:
            return None
        raw = np.frombuffer(data, dtype=np.uint8, count=end - p - 1, offset=p + 1)
        if not (raw[::9] == _BINFLOAT).all():
            return None
        return ids, np.ndarray((count,), dtype=_FLOATS, buffer=data, offset=p + 2, strides=(9,))
    if op == _NONE:
        return ids, None
    if op == _BINFLOAT:
        return ids, struct.unpack_from(">d", data, p + 1)[0]
    return None


def _by_matcher(reader, field, tbytes):
    if (field, tbytes) not in reader:
        return _EMPTY
    matcher = reader.postings(field, tbytes)
    ids, weights = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.asarray(ids, dtype=np.int32), np.asarray(weights, dtype=np.float64)
