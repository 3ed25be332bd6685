from whoosh.filedb.structfile import BufferFile

import kb.engine  # noqa: F401  (applies kb.engine.fixes, as every index user does)
from kb.search import Searcher, SearchRequest


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


def test_whooshs_own_writer_can_inline_short_postings_lists(tmp_path):
    from whoosh import index as whoosh_index
    from whoosh.codec.whoosh3 import W3Codec
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.query import Term

    ix = whoosh_index.create_in(str(tmp_path), Schema(id=ID(stored=True), body=TEXT))
    for batch in (("a", "rare words here"), ("b", "common words")), (("c", "common again"),):
        writer = ix.writer(codec=W3Codec(inlinelimit=4))  # whoosh3 called a missing set_inline here
        for key, body in batch:
            writer.add_document(id=key, body=body)
        writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert searcher.reader().leaf_readers()[0][0].term_info("body", b"rare").is_inlined()
        assert sorted(hit["id"] for hit in searcher.search(Term("body", "common"))) == ["b", "c"]
    ix.writer().commit(optimize=True)  # the merge reads ID postings without values: None, not ""
    with ix.searcher() as searcher:
        assert [hit["id"] for hit in searcher.search(Term("id", "a"))] == ["a"]


def test_sequential_reads_of_a_buffer_file_copy_nothing_and_read_lines_and_pickles():
    import pickle

    data = bytearray(b"first line\nsecond\n" + pickle.dumps({"k": [1, 2]}, 2) + b"x" * 1000)
    handle = BufferFile(memoryview(data), name="t")
    assert handle.readline() == b"first line\n" and handle.readline() == b"second\n"
    assert handle.read_pickle() == {"k": [1, 2]}
    handle.seek(-3, 2)
    assert handle.read() == b"xxx" and handle.tell() == len(data)
    assert not isinstance(handle.file, __import__("io").BytesIO)
