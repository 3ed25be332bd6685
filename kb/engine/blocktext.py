"""A column of texts compressed a block of documents at a time (the `path` column).

Every document has its own path, so a table of distinct values (kb/engine/coded.py) saves nothing;
but documents are written in path order, and neighbours share most of their path (`2024-01/…`,
`articles/doc-00474ee7-1…`).  Whoosh's VarBytesColumn keeps each path whole with a length and an
offset (about 32 bytes a passage at 145,000); deflating BLOCK_DOCS consecutive values together keeps
about 5.  A hit reads its path by inflating one block (a few KB); `kb index update` reads the whole
column a block at a time and cuts it with numpy (kb.engine.columns), no Python step per document.

Layout: the blocks, each a zlib stream of [typecode byte, one length a document in that width
(big-endian), the values concatenated]; then each block's start and the end of the last one (uint64,
from the column's start); then the trailer (block count, documents a block, magic).
"""

import struct
import sys
import zlib
from array import array

from whoosh.columns import Column, ColumnReader, ColumnWriter

BLOCK_DOCS = 128
LEVEL = 6
TRAILER = struct.Struct("!II4s")  # blocks, documents a block, magic
MAGIC = b"KBT1"
_SWAP = sys.byteorder == "little"


def _pack(values):
    """One block's bytes before deflating."""
    lengths = list(map(len, values))
    longest = max(lengths, default=0)
    typecode = "B" if longest < 1 << 8 else "H" if longest < 1 << 16 else "I"
    widths = array(typecode, lengths)
    if _SWAP and widths.itemsize > 1:
        widths.byteswap()
    return typecode.encode("ascii") + widths.tobytes() + b"".join(values)


def _unpack(raw, count):
    """(lengths as an array, the values' bytes) of one inflated block of `count` documents."""
    typecode = chr(raw[0])
    size = struct.calcsize(typecode) * count
    lengths = array(typecode, raw[1 : 1 + size])
    if _SWAP and lengths.itemsize > 1:
        lengths.byteswap()
    return lengths, raw[1 + size :]


class BlockTextColumn(Column):
    """Byte values deflated BLOCK_DOCS documents at a time.  Stable import path (pickled)."""

    reversible = False
    _default = b""

    def __init__(self, block_docs=BLOCK_DOCS, level=LEVEL):
        self._block_docs = block_docs
        self._level = level

    def writer(self, dbfile):
        return self.Writer(dbfile, self._block_docs, self._level)

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(ColumnWriter):
        def __init__(self, dbfile, block_docs, level):
            self._dbfile = dbfile
            self._start = dbfile.tell()
            self._block_docs = block_docs
            self._level = level
            self._values = []
            self._starts = array("Q")
            self._count = 0

        def __repr__(self):
            return "<BlockText.Writer>"

        def fill(self, docnum):
            while self._count < docnum:
                self._append(b"")

        def add(self, docnum, value):
            self.fill(docnum)
            self._append(value)

        def _append(self, value):
            self._values.append(value)
            self._count += 1
            if len(self._values) == self._block_docs:
                self._flush()

        def _flush(self):
            if self._values:
                self._starts.append(self._dbfile.tell() - self._start)
                self._dbfile.write(zlib.compress(_pack(self._values), self._level))
                self._values = []

        def finish(self, doccount):
            self.fill(doccount)
            self._flush()
            starts = array("Q", self._starts)
            starts.append(self._dbfile.tell() - self._start)
            if _SWAP:
                starts.byteswap()
            self._dbfile.write(starts.tobytes())
            self._dbfile.write(TRAILER.pack(len(self._starts), self._block_docs, MAGIC))

    class Reader(ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            self._dbfile = dbfile
            self._basepos = basepos
            self._doccount = doccount
            end = basepos + length
            blocks, self._block_docs, magic = TRAILER.unpack(
                bytes(dbfile.get(end - TRAILER.size, TRAILER.size))
            )
            if magic != MAGIC:
                raise ValueError(f"not a block text column (magic {magic!r})")
            size = 8 * (blocks + 1)
            starts = array("Q", bytes(dbfile.get(end - TRAILER.size - size, size)))
            if _SWAP:
                starts.byteswap()
            self._starts = starts
            self._last = (None, None, None)  # (block number, lengths' offsets, values' bytes)

        def __repr__(self):
            return "<BlockText.Reader>"

        def __len__(self):
            return self._doccount

        def _documents_in(self, number):
            return min(self._block_docs, self._doccount - number * self._block_docs)

        def _inflate(self, number):
            start, end = self._starts[number], self._starts[number + 1]
            raw = zlib.decompress(bytes(self._dbfile.get(self._basepos + start, end - start)))
            return _unpack(raw, self._documents_in(number))

        def _block(self, number):
            if self._last[0] != number:
                lengths, data = self._inflate(number)
                offsets = [0]
                for size in lengths:
                    offsets.append(offsets[-1] + size)
                self._last = (number, offsets, data)
            return self._last[1], self._last[2]

        def __getitem__(self, docnum):
            if not 0 <= docnum < self._doccount:
                raise IndexError(docnum)
            offsets, data = self._block(docnum // self._block_docs)
            within = docnum % self._block_docs
            return data[offsets[within] : offsets[within + 1]]

        def sort_key(self, docnum):
            return self[docnum]

        def __iter__(self):
            for number in range(len(self._starts) - 1):
                lengths, data = self._inflate(number)
                position = 0
                for size in lengths:
                    yield data[position : position + size]
                    position += size

        def load(self):
            return list(self)

        def whole(self):
            """(every value's bytes concatenated, int64 numpy lengths): each block inflated once."""
            import numpy as np

            parts, lengths = [], []
            for number in range(len(self._starts) - 1):
                sizes, data = self._inflate(number)
                parts.append(data)
                lengths.append(np.asarray(sizes, dtype=np.int64))
            if not lengths:
                return b"", np.zeros(0, dtype=np.int64)
            return b"".join(parts), np.concatenate(lengths)
