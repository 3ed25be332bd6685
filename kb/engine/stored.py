"""Stored fields compressed a block of documents at a time.

whoosh3 keeps each document's stored fields as a zlib stream of its own (a PickleColumn over a
CompressedBytesColumn).  A document's pickle is a few hundred bytes, mostly the same key names
and values much like its neighbours', and deflate on its own finds little to share: at 145,000
passages that is about 280 bytes a document, a quarter of the index.  Here consecutive documents
share one zlib stream, as Lucene's stored fields share a compressed chunk: a block closes at
BLOCK_DOCS documents or BLOCK_BYTES of pickles, whichever comes first, and the same passages take
about 30 bytes each.

Reading one document inflates its block (a few KB, about as long as unpickling the document
takes); the last block read is kept, so reading documents in order (all_stored_fields, a merge)
inflates each block once.

Column layout: the blocks, then the first document number of every block (uint32) and every
block's start (uint64, from the column's start), each with one more entry (the documents written,
the end of the last block), then the trailer (block count, magic).  A block inflates to the
pickles' lengths (varints, one a document of the block, 0 for a document without stored fields)
followed by the pickles.
"""

import pickle
import struct
import zlib
from array import array
from bisect import bisect_right

from whoosh.codec.whoosh3 import W3PerDocReader, W3PerDocWriter
from whoosh.columns import Column, ColumnReader, ColumnWriter

from kb.engine.varint import read_varint, varint

BLOCK_DOCS = 16
BLOCK_BYTES = 8 * 1024
LEVEL = 6
_TRAILER = struct.Struct("<I4s")  # blocks, magic
MAGIC = b"KBS1"


class BlockStoredColumn(Column):
    """Stored-fields dicts, pickled, deflated a block at a time.  Stable import path (a codec of
    this module's segments reads it)."""

    _default = None
    reversible = False

    def writer(self, dbfile):
        return BlockStoredWriter(dbfile)

    def reader(self, dbfile, basepos, length, doccount):
        return BlockStoredReader(dbfile, basepos, length, doccount)


class BlockStoredWriter(ColumnWriter):
    def __init__(self, dbfile):
        super().__init__(dbfile)
        self._start = dbfile.tell()
        self._firsts = array("I")
        self._offsets = array("Q")
        self._pending = []  # pickles of the open block, one per document from its first
        self._pending_bytes = 0
        self._first = 0  # document number of the open block's first entry

    def add(self, docnum, value):
        if docnum < self._first + len(self._pending):
            raise ValueError(f"stored fields of document {docnum} after a later one")
        while self._first + len(self._pending) < docnum:  # documents without stored fields
            self._append(b"")
        self._append(b"" if value is None else pickle.dumps(value, 2))

    def _append(self, pickled):
        self._pending.append(pickled)
        self._pending_bytes += len(pickled)
        if len(self._pending) >= BLOCK_DOCS or self._pending_bytes >= BLOCK_BYTES:
            self._flush()

    def _flush(self):
        if not self._pending:
            return
        raw = b"".join([varint(len(p)) for p in self._pending] + self._pending)
        self._firsts.append(self._first)
        self._offsets.append(self._dbfile.tell() - self._start)
        self._dbfile.write(zlib.compress(raw, LEVEL))
        self._first += len(self._pending)
        self._pending, self._pending_bytes = [], 0

    def finish(self, doccount):
        self._flush()
        self._firsts.append(self._first)
        self._offsets.append(self._dbfile.tell() - self._start)
        firsts, offsets = self._firsts, self._offsets
        if struct.pack("=I", 1) != struct.pack("<I", 1):  # big-endian machine: store little-endian
            firsts, offsets = array("I", firsts), array("Q", offsets)
            firsts.byteswap()
            offsets.byteswap()
        self._dbfile.write(firsts.tobytes())
        self._dbfile.write(offsets.tobytes())
        self._dbfile.write(_TRAILER.pack(len(self._firsts) - 1, MAGIC))


class BlockStoredReader(ColumnReader):
    def __init__(self, dbfile, basepos, length, doccount):
        super().__init__(dbfile, basepos, length, doccount)
        blocks, magic = _TRAILER.unpack(dbfile.get(basepos + length - _TRAILER.size, _TRAILER.size))
        if magic != MAGIC:
            raise ValueError(f"not a block stored-fields column (magic {magic!r})")
        tables = basepos + length - _TRAILER.size - (blocks + 1) * 12
        self._firsts = array("I", dbfile.get(tables, (blocks + 1) * 4))
        self._offsets = array("Q", dbfile.get(tables + (blocks + 1) * 4, (blocks + 1) * 8))
        if struct.pack("=I", 1) != struct.pack("<I", 1):
            self._firsts.byteswap()
            self._offsets.byteswap()
        self._last = (-1, ())  # (block number, its pickles): reading in order inflates a block once

    def _block(self, j):
        last = self._last
        if last[0] == j:
            return last[1]
        start, end = self._offsets[j], self._offsets[j + 1]
        raw = zlib.decompress(self._dbfile.get(self._basepos + start, end - start))
        lengths, i = [], 0
        for _ in range(self._firsts[j + 1] - self._firsts[j]):
            length, i = read_varint(raw, i)
            lengths.append(length)
        pickles = []
        for length in lengths:
            pickles.append(raw[i : i + length])
            i += length
        self._last = (j, pickles)
        return pickles

    def __getitem__(self, docnum):
        if not 0 <= docnum < self._doccount:
            raise IndexError(f"document {docnum} of {self._doccount}")
        if docnum >= self._firsts[-1]:  # after the last document with stored fields
            return None
        j = bisect_right(self._firsts, docnum) - 1
        pickles = self._block(j)
        k = docnum - self._firsts[j]
        if not pickles[k]:
            return None
        return pickle.loads(pickles[k])

    def __iter__(self):
        for docnum in range(self._doccount):
            yield self[docnum]


STORED = BlockStoredColumn()


class BlockStoredPerDocWriter(W3PerDocWriter):
    """whoosh3's per-document writer with the stored fields in a BlockStoredColumn."""

    def _create_column(self, fieldname, column):
        super()._create_column(fieldname, STORED if fieldname == "_stored" else column)


class BlockStoredPerDocReader(W3PerDocReader):
    """whoosh3's per-document reader of a segment whose stored fields are a BlockStoredColumn."""

    def stored_fields(self, docnum):
        reader = self._cached_reader("_stored", STORED)
        value = reader[docnum] if reader is not None else None
        return {} if value is None else value
