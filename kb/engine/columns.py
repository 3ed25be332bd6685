"""Whole Whoosh columns read in one go.

Whoosh hands out column values one Python call at a time (a seek, a read and a
decode each), about 4 µs a value: 1.2 s for six facet columns over 140,000
documents.  Here a column's data is read as one block of bytes and cut in
memory.  Columns of another kind
fall back to Whoosh's own reader, so the answer is always the same.
"""

import struct

from whoosh.columns import FixedBytesColumn, VarBytesColumn

from kb.engine.coded import CodedColumn, read_table


def column_texts(reader, field, doc_count=None):
    """Every document's value of a text column as a list of str ("" where none was stored)."""
    doc_count = reader.doc_count_all() if doc_count is None else doc_count
    coded = _coded(reader, field, doc_count)
    if coded is not None:
        codes, values = coded
        return [values[code] for code in codes.tolist()]
    whole = _varbytes(reader, field)
    column = None
    if whole is None:
        column = reader.column_reader(field, translate=False)
        whole = _whole_of(column)
    values = _split(*whole) if whole is not None else None
    if values is None:  # another kind of column, or a value holding a zero byte: value by value
        column = column or reader.column_reader(field, translate=False)
        values = list(map(_text, column))
    return values + [""] * (doc_count - len(values))


def column_values(reader, field, doc_count=None):
    """Every document's value of a column as the field reads it back: a fixed-width column through
    its field's from_column_block (one read, one decode), any other as text (column_texts)."""
    decode = getattr(reader.schema[field], "from_column_block", None) if field in reader.schema else None
    if decode is not None:
        raw = column_fixed(reader, field, doc_count)
        if raw is not None:
            return decode(raw)
        doc_count = reader.doc_count_all() if doc_count is None else doc_count
        column = reader.column_reader(field, translate=True)
        return [column[docnum] for docnum in range(doc_count)]
    return column_texts(reader, field, doc_count)


def _column_file(reader, field, kind):
    """(column file, start, length) of a column of type `kind` of one segment, or None when the
    column is of another kind or the segment has none."""
    perdoc = getattr(reader, "_perdoc", None)
    files = getattr(perdoc, "_colfiles", None)
    if files is None or field not in reader.schema or not perdoc.has_column(field):
        return None
    if type(reader.schema[field].column_type) is not kind:
        return None
    if field not in files:
        files[field] = perdoc._get_column_file(field)
    return files[field]


def _coded(reader, field, doc_count):
    """(int32 code per document, sorted distinct values as str) of a kb.engine.coded column, read
    as two blocks of bytes; None when the column is of another kind."""
    import numpy as np

    found = _column_file(reader, field, CodedColumn)
    if found is None:
        return None
    colfile, base, length = found
    count = reader.doc_count_all()
    _, typecode, values = read_table(colfile, base, length, count)
    raw = bytes(colfile.get(base, count * struct.calcsize(typecode)))
    codes = np.frombuffer(raw, dtype=f">u{struct.calcsize(typecode)}").astype(np.int32)
    if len(codes) < doc_count:  # (never in practice) documents past the column's end hold ""
        codes = np.concatenate([codes, np.zeros(doc_count - len(codes), dtype=np.int32)])
    return codes[:doc_count], [value.decode("utf-8") for value in values]


def column_fixed(reader, field, doc_count=None):
    """Every document's value of a fixed-width column (Whoosh's FixedBytesColumn) as one block of
    bytes, width bytes a document, the column's default where none was written; None when the
    column is of another kind or the segment has none."""
    doc_count = reader.doc_count_all() if doc_count is None else doc_count
    found = _column_file(reader, field, FixedBytesColumn)
    if found is None:
        return None
    colfile, base, length = found
    column = reader.schema[field].column_type
    width = column._fixedlen
    written = min(length // width, doc_count)
    raw = bytes(colfile.get(base, written * width))
    return raw + column._default * (doc_count - written)


def _varbytes(reader, field):
    """(data bytes, lengths) of a plain VarBytes column read straight from its file: Whoosh's own
    column reader derives every offset in a Python loop (15 ms per 70,000 values) before the first
    read.  None when the column is of another kind or the segment has none."""
    import numpy as np  # not at import time: `kb index update` writes before it reads a column

    found = _column_file(reader, field, VarBytesColumn)
    if found is None:
        return None
    colfile, base, length = found
    count = reader.doc_count_all()
    last = base + length - 1
    code = chr(colfile.get_byte(last))
    if code == "X":  # offsets written too (many values): the lengths come before them
        code, offsets_code = chr(colfile.get_byte(last - 2)), chr(colfile.get_byte(last - 1))
        last = last - 2 - count * struct.calcsize(offsets_code)
    size = struct.calcsize(code)
    dtype = np.dtype(f">{'i' if code.islower() else 'u'}{size}")
    lengths = np.frombuffer(bytes(colfile.get(last - size * count, size * count)), dtype=dtype)
    lengths = lengths.astype(np.int64)
    return bytes(colfile.get(base, int(lengths.sum()))), lengths


def _split(raw, lengths):
    """The values of one column's data cut at `lengths`, decoded: a zero byte put between values by
    numpy, one decode and one str.split (no Python call per value).  None when the data holds a zero
    byte itself (the caller then cuts value by value)."""
    import numpy as np

    if not len(lengths):
        return []
    if b"\0" in raw:
        return None
    cuts = np.cumsum(lengths[:-1])
    joined = np.insert(np.frombuffer(raw, dtype=np.uint8), cuts, 0)
    return joined.tobytes().decode("utf-8").split("\0")


def column_codes(reader, field, doc_count=None):
    """A text column dictionary-coded: (codes int32 per document, sorted distinct values), so a
    segment keeps 4 bytes a document instead of a Python string, and counts are one bincount."""
    import numpy as np

    doc_count = reader.doc_count_all() if doc_count is None else doc_count
    coded = _coded(reader, field, doc_count)
    if coded is not None:  # stored as codes: read as they are
        return coded
    whole = _varbytes(reader, field)
    if whole is None:
        column = reader.column_reader(field, translate=False)
        whole = _whole_of(column)
    coded = _codes_in_bulk(*whole, doc_count) if whole is not None else None
    if coded is not None:
        return coded
    texts = column_texts(reader, field, doc_count)
    values = sorted(set(texts))
    index = {value: code for code, value in enumerate(values)}
    codes = np.fromiter(map(index.__getitem__, texts), dtype=np.int32, count=len(texts))
    return codes, values


def _whole_of(column):
    """(data bytes, lengths) of a variable-bytes or block text column through its reader, or None."""
    import numpy as np

    whole = getattr(column, "whole", None)  # kb.engine.blocktext: inflated a block at a time
    if whole is not None:
        return whole()
    lengths = getattr(column, "_lengths", None)
    if lengths is None or not hasattr(column, "_dbfile") or not hasattr(column, "_basepos"):
        return None
    lengths = np.asarray(lengths, dtype=np.int64)
    return bytes(column._dbfile.get(column._basepos, int(lengths.sum()))), lengths


def _codes_in_bulk(data, lengths, doc_count):
    """column_codes without a Python step per document: the values are cut into a fixed-width byte
    matrix and numpy sorts out the distinct ones (UTF-8 bytes sort as their text does).  None when
    a value holds a NUL (numpy would drop it)."""
    import numpy as np

    lengths = lengths[:doc_count]
    ends = np.cumsum(lengths)
    total = int(ends[-1]) if len(ends) else 0
    raw = np.frombuffer(data[:total], dtype=np.uint8)
    if total and not raw.all():
        return None
    width = max(1, int(lengths.max()) if len(lengths) else 1)
    starts, last = ends - lengths, max(total - 1, 0)
    matrix = np.zeros((len(lengths), width), dtype=np.uint8)
    if total:
        for offset in range(width):  # one byte position of every value at a time
            present = offset < lengths
            matrix[:, offset] = np.where(present, raw[np.minimum(starts + offset, last)], 0)
    distinct, codes = np.unique(matrix.view(f"S{width}").ravel(), return_inverse=True)
    values = [value.decode("utf-8") for value in distinct.tolist()]
    codes = codes.astype(np.int32).ravel()
    if len(codes) < doc_count:  # documents past the column's end hold no value
        if not values or values[0] != "":
            values.insert(0, "")
            codes += 1
        codes = np.concatenate([codes, np.zeros(doc_count - len(codes), dtype=np.int32)])
    return codes, values


def column_bytes(column, doc_count):
    """A one-byte-per-document column as bytes: one read instead of a Python call per document."""
    if getattr(column, "_typecode", None) == "B" and hasattr(column, "_dbfile"):
        raw = bytes(column._dbfile.get(column._basepos, column._count))
        return raw + bytes(doc_count - len(raw))
    return [v or 0 for v in column]


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return "" if value is None else str(value)
