"""kb.engine.stored: stored fields deflated a block of documents at a time read back exactly as
whoosh3's one-stream-a-document column, in and out of order, across block edges, and next to
segments written before (no `stored_blocks` on their codec)."""

import random

from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

import kb.engine  # noqa: F401  (applies kb.engine.fixes)
from kb.engine import segwriter
from kb.engine import stored as stored_module
from kb.engine.stored import BlockStoredPerDocReader
from kb.engine.terms import CompactCodec


def _schema():
    return Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True), body=TEXT, meta=STORED)


def _documents(count, seed=7):
    """Documents like kb's: similar key names and values; some with no stored field at all (body
    only), some with a large `meta`."""
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        if n % 23 == 5:
            docs.append({"body": f"text {n}"})  # nothing stored
            continue
        meta = {"origin": {"file": f"issue-{n // 40}.txt", "lines": [n, n + rng.randint(1, 90)]}}
        if n % 31 == 0:
            meta["plans"] = [{"plan_number": f"2022{n:04d}-T-469", "name": "稀土" * rng.randint(50, 400)}]
        docs.append({"id": f"doc-{n}", "title": f"关于稀土的通知 第{n}条", "body": "稀土 永磁", "meta": meta})
    return docs


def _expected(doc):
    return {name: value for name, value in doc.items() if name != "body"}


def _index_with(codec_factory, docs, storage=None):
    storage = storage or RamStorage()
    ix = storage.create_index(_schema()) if not storage.index_exists() else storage.open_index()
    kept = segwriter.CODEC
    segwriter.CODEC = codec_factory
    try:
        writer = segwriter.FastSegmentWriter(ix)
        for doc in docs:
            writer.add_document(**doc)
        writer.commit(merge=False)
    finally:
        segwriter.CODEC = kept
    return storage.open_index()


def _old_codec(**kwargs):
    """CompactCodec as pickled before block stored fields: no `stored_blocks` attribute."""
    codec = CompactCodec(**kwargs)
    del codec.stored_blocks
    return codec


def test_every_document_reads_back_in_order_and_at_random():
    docs = _documents(400)
    ix = _index_with(CompactCodec, docs)
    with ix.reader() as reader:
        ((leaf, _),) = reader.leaf_readers()
        assert isinstance(leaf._perdoc, BlockStoredPerDocReader)
        assert [reader.stored_fields(n) for n in range(len(docs))] == [_expected(d) for d in docs]
        order = list(range(len(docs)))
        random.Random(3).shuffle(order)
        for n in order:
            assert reader.stored_fields(n) == _expected(docs[n])
        assert list(reader.all_stored_fields()) == [_expected(d) for d in docs]


def test_blocks_hold_block_docs_documents_each():
    docs = _documents(200)
    ix = _index_with(CompactCodec, docs)
    with ix.reader() as reader:
        column = reader._perdoc._cached_reader("_stored", stored_module.STORED)
        blocks = len(column._child._starts) - 1
    assert blocks == -(-len(docs) // stored_module.BLOCK_DOCS)


def test_documents_after_the_last_stored_one_read_as_empty():
    docs = _documents(20) + [{"body": "only body"}] * 5
    ix = _index_with(CompactCodec, docs)
    with ix.reader() as reader:
        assert [reader.stored_fields(n) for n in range(20, 25)] == [{}] * 5
        assert reader.stored_fields(5) == {}  # nothing stored (n % 23 == 5)
        assert reader.stored_fields(6) == _expected(docs[6])


def test_block_column_is_much_smaller_than_one_stream_a_document():
    docs = _documents(600)
    sizes = {}
    for name, factory in (("blocks", CompactCodec), ("whoosh3", _old_codec)):
        ix = _index_with(factory, docs)
        segment = ix._segments()[0]
        with ix.reader() as reader:
            _, _, length = reader._perdoc._get_column_file("_stored")
        sizes[name] = length
        assert getattr(segment.codec(), "stored_blocks", False) is (name == "blocks")
    assert sizes["blocks"] < 0.6 * sizes["whoosh3"], sizes


def test_old_segments_keep_their_stored_fields_and_merge_into_blocks():
    storage = RamStorage()
    first, second = _documents(60, seed=1), _documents(70, seed=2)
    second = [{**d, "id": f"new-{d['id']}"} if "id" in d else d for d in second]
    _index_with(_old_codec, first, storage)
    ix = _index_with(CompactCodec, second, storage)
    kinds = [getattr(s.codec(), "stored_blocks", False) for s in ix._segments()]
    assert kinds == [False, True]
    expected = [_expected(d) for d in first + second]
    with ix.reader() as reader:
        assert list(reader.all_stored_fields()) == expected
    kept = segwriter.CODEC
    segwriter.CODEC = CompactCodec
    try:
        writer = segwriter.FastSegmentWriter(ix)
        writer.commit(optimize=True)
    finally:
        segwriter.CODEC = kept
    merged = storage.open_index()
    assert [getattr(s.codec(), "stored_blocks", False) for s in merged._segments()] == [True]
    with merged.reader() as reader:
        assert list(reader.all_stored_fields()) == expected


def test_kb_index_reads_stored_fields_from_blocks(tmp_path):
    """The shipped content through kb's own build: every article's stored id and title as in its file."""
    from conftest import CONTENT

    from kb.config import Config
    from kb.content import iter_articles
    from kb.indexer import rebuild

    config = Config(content_dir=CONTENT, index_dir=tmp_path / "index")
    rebuild(config)
    ix = whoosh_index.open_dir(str(config.index_dir / "current"))
    assert all(getattr(s.codec(), "stored_blocks", False) for s in ix._segments())
    articles = {a.id: a for a in iter_articles(CONTENT)}
    with ix.reader() as reader:
        stored = list(reader.all_stored_fields())
    assert len(stored) == len(articles) > 50
    for fields in stored:
        assert fields["title"] == articles[fields["id"]].title
