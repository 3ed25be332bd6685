from whoosh.filedb.structfile import BufferFile

import kb.engine  # noqa: F401  (applies kb.engine.fixes, as every index user does)
from kb.search import SearchRequest, Searcher


def test_buffer_file_reads_by_slice_without_copying_then_sequentially_on_demand():
    data = bytearray(b"\x00\x00\x00\x05hello world")
    handle = BufferFile(memoryview(data), name="t")
    assert handle.get(4, 5) == b"hello" and handle.get_int(0) == 5
    assert "_stream" not in handle.__dict__  # no BytesIO copy for slice reads
    handle.seek(4)
    assert handle.read(5) == b"hello"  # sequential reads still work, from a copy made now
    handle.close()
    assert handle.is_closed


def test_opening_an_index_leaves_postings_uncopied(built):
    searcher = Searcher.open(built)
    postings = [reader._terms._postfile for reader, _ in searcher.current().reader().leaf_readers()]
    assert postings and all(isinstance(f, BufferFile) for f in postings)
    assert all("_stream" not in f.__dict__ for f in postings)  # the largest file of a segment
    assert searcher.search(SearchRequest(q="稀土 永磁")).total > 0  # and searches still read them
