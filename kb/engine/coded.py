"""A dictionary-coded column: a segment's distinct values once, sorted, and a small code per document.

For the facet, filter and sort columns (type, section, source, issue, year, date), which hold a few
distinct values over tens of thousands of documents: Whoosh's VarBytesColumn keeps every value again
(about 50 bytes a document for six columns), its RefBytesColumn keeps codes but in order of first
appearance, at most 65,535 values (more are silently dropped), and not sorted.  Here the values are
sorted, so a code is also the value's rank in its segment (a sort key and a facet's bin at once:
kb.engine.columns reads the codes with numpy and counts them with one bincount), and there is no limit
on how many there are.

Layout of the column's bytes:

    codes     one per document, big-endian unsigned, 1, 2 or 4 bytes (the typecode says which)
    values    the distinct values concatenated, ascending (bytes order); b"" (the default, a document
              without a value) among them only when some document has it
    lengths   one per value, big-endian unsigned, 1, 2 or 4 bytes (the narrowest for the longest)
    footer    the number of values (uint32), the codes' typecode and the lengths' ("B", "H" or "I")

Stable import path (pickled with the schema).
"""

import struct
import sys
from array import array

from whoosh.columns import Column, ColumnReader, ColumnWriter

FOOTER = struct.Struct("!Icc")
_SWAP = sys.byteorder == "little"  # arrays are written big-endian, as Whoosh writes its own


def typecode_for(count):
    """The narrowest unsigned typecode that holds 0..count-1."""
    return "B" if count <= 1 << 8 else "H" if count <= 1 << 16 else "I"


def _big_endian(values):
    if _SWAP and values.itemsize > 1:
        values = array(values.typecode, values)
        values.byteswap()
    return values.tobytes()


class CodedColumn(Column):
    """Variable-length byte values, dictionary-coded per segment (see the module's text)."""

    reversible = False  # codes are ranks within one segment only: sort keys are the values
    _default = b""

    def writer(self, dbfile):
        return self.Writer(dbfile)

    def reader(self, dbfile, basepos, length, doccount):
        return self.Reader(dbfile, basepos, length, doccount)

    class Writer(ColumnWriter):
        def __init__(self, dbfile):
            self._dbfile = dbfile
            self._ids = {b"": 0}  # value -> id in order of first appearance (the default first)
            self._refs = array("I")  # each document's id, remapped to sorted codes at the end

        def __repr__(self):
            return "<Coded.Writer>"

        def fill(self, docnum):
            missing = docnum - len(self._refs)
            if missing > 0:
                self._refs.frombytes(bytes(missing * self._refs.itemsize))

        def add(self, docnum, value):
            if docnum > len(self._refs):
                self.fill(docnum)
            ids = self._ids
            ref = ids.get(value)
            if ref is None:
                ref = ids[value] = len(ids)
            self._refs.append(ref)

        def finish(self, doccount):
            self.fill(doccount)
            ids = self._ids
            values = sorted(ids)
            if len(ids) > 1 and 0 not in self._refs:  # every document has a value: no b"" in the table
                values.remove(b"")
            rank = [0] * len(ids)
            for code, value in enumerate(values):
                rank[ids[value]] = code
            typecode = typecode_for(len(values))
            refs = self._refs[:doccount]
            if typecode == "B":  # every id below 256 too: one translate over the ids as bytes
                codes = array("B", refs).tobytes().translate(bytes(rank + [0] * (256 - len(rank))))
            else:
                codes = _big_endian(array(typecode, map(rank.__getitem__, refs)))
            dbfile = self._dbfile
            dbfile.write(codes)
            dbfile.write(b"".join(values))
            lengths = list(map(len, values))
            sizes = typecode_for(max(lengths) + 1)
            dbfile.write(_big_endian(array(sizes, lengths)))
            dbfile.write(FOOTER.pack(len(values), typecode.encode("ascii"), sizes.encode("ascii")))

    class Reader(ColumnReader):
        def __init__(self, dbfile, basepos, length, doccount):
            self._dbfile = dbfile
            self._basepos = basepos
            self._doccount = doccount
            self.count, self.typecode, self.values = read_table(dbfile, basepos, length, doccount)
            self._itemsize = struct.calcsize(self.typecode)
            self._codes = None

        def __repr__(self):
            return "<Coded.Reader>"

        def __len__(self):
            return self._doccount

        def codes_bytes(self):
            """The codes of every document as raw big-endian bytes (one read)."""
            return bytes(self._dbfile.get(self._basepos, self._doccount * self._itemsize))

        def _all_codes(self):
            if self._codes is None:
                codes = array(self.typecode, self.codes_bytes())
                if _SWAP and codes.itemsize > 1:
                    codes.byteswap()
                self._codes = codes
            return self._codes

        def __getitem__(self, docnum):
            return self.values[self._all_codes()[docnum]]

        def sort_key(self, docnum):
            return self[docnum]

        def __iter__(self):
            values = self.values
            return iter([values[code] for code in self._all_codes()])

        def load(self):
            return list(self)


def read_table(dbfile, basepos, length, doccount):
    """(number of values, codes' typecode, [distinct values as bytes, ascending]) of a coded column."""
    end = basepos + length
    count, typecode, sizes = FOOTER.unpack(bytes(dbfile.get(end - FOOTER.size, FOOTER.size)))
    typecode, sizes = typecode.decode("ascii"), sizes.decode("ascii")
    width = struct.calcsize(sizes)
    lengths = array(sizes, bytes(dbfile.get(end - FOOTER.size - width * count, width * count)))
    if _SWAP and width > 1:
        lengths.byteswap()
    start = basepos + doccount * struct.calcsize(typecode)
    data = bytes(dbfile.get(start, sum(lengths)))
    values, offset = [], 0
    for size in lengths:
        values.append(data[offset : offset + size])
        offset += size
    return count, typecode, values
