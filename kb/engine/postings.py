"""A term's whole postings list as numpy arrays, read straight from whoosh3's posting blocks.

Whoosh's matcher decodes a block into Python tuples and is walked one posting at a time; it also
reads through the segment file's sequential interface, which copies the whole postings sub-file
into memory the first time (fixes.py makes that copy lazy, this reader never triggers it).  Here a
term's extent is sliced once from the mapped file and each block's pickled arrays become one
numpy array: docnums by a cumulative sum of the deltas, weights as float64 (the float32 values
Whoosh stores, exactly).  Another codec falls back to Whoosh's matcher; the answer is the same.
"""

import io
import pickle
import struct
import zlib

import numpy as np
from whoosh.reading import TermNotFound

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
    extent = postfile.get(offset, length)
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
        data = extent[stream.tell():end]
        block_ids, block_weights, _ = pickle.loads(zlib.decompress(data) if compression else data)
        first = len(deltas)
        deltas.extend(block_ids)
        deltas[first] -= last_id  # each block starts from 0: make its first id a delta too
        if block_weights is None:
            weights.extend([1.0] * count)
        elif isinstance(block_weights, float):
            weights.extend([block_weights] * count)
        else:
            weights.extend(block_weights)
        last_id = max_id
        if length < 0:  # the last block
            break
        position = end
    ids = np.cumsum(np.asarray(deltas, dtype=np.int64)).astype(np.int32)
    return ids, np.asarray(weights, dtype=np.float64)


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
