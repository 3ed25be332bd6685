"""A server's first answer: columns coded in bulk, and a background warm-up the first query shares."""

import threading

import numpy as np
from whoosh.fields import ID, Schema
from whoosh.filedb.filestore import RamStorage

from kb.engine import columns
from kb.search import Searcher, SearchRequest


def per_value_codes(reader, field):
    """column_codes the slow, obvious way: one Python string per document, through Whoosh's own
    column reader (a dictionary-coded column's reader too, kb/engine/coded.py)."""
    column = reader.column_reader(field, translate=True)
    texts = [column[docnum] for docnum in range(reader.doc_count_all())]
    values = sorted(set(texts))
    index = {value: code for code, value in enumerate(values)}
    return np.array([index[t] for t in texts], dtype=np.int32), values


def test_bulk_codes_equal_per_value_codes_on_every_column_of_the_built_index(built):
    searcher = Searcher.open(built).current()
    checked = 0
    for leaf, _ in searcher.leaf_searchers():
        reader = leaf.reader()
        for field in ("type", "section", "source", "issue", "year", "date", "path"):
            codes, values = columns.column_codes(reader, field)
            expected_codes, expected_values = per_value_codes(reader, field)
            assert values == expected_values, field
            assert codes.dtype == np.int32 and codes.tolist() == expected_codes.tolist(), field
            checked += 1
    assert checked >= 7


def _index_with(values):
    storage = RamStorage()
    ix = storage.create_index(Schema(id=ID(stored=True), kind=ID(sortable=True)))
    with ix.writer() as writer:
        for number, value in enumerate(values):
            if value is None:
                writer.add_document(id=str(number))
            else:
                writer.add_document(id=str(number), kind=value)
    return ix


def test_bulk_codes_keep_chinese_order_empty_values_and_documents_without_a_value():
    values = ["政策", "", "标准", "专利", "标准", None, "news", "政策", "稀土永磁材料"]
    ix = _index_with(values)
    with ix.searcher() as searcher:
        reader = searcher.reader()
        codes, distinct = columns.column_codes(reader, "kind")
        texts = [v or "" for v in values]
        assert distinct == sorted(set(texts))  # UTF-8 byte order is the text's order
        assert [distinct[c] for c in codes] == texts
        assert len(codes) == reader.doc_count_all() == len(values)


def test_a_query_during_the_background_warm_up_waits_for_it_and_answers_the_same(built):
    cold = Searcher.open(built)
    expected = cold.search(SearchRequest(q="稀土"))
    warming = Searcher.open(built)
    thread = warming.warm_in_background(first_answer_wait=5)
    page = warming.search(SearchRequest(q="稀土"))
    assert warming._essentials.is_set()  # the query ran after the columns were read, not beside it
    assert [h.id for h in page.hits] == [h.id for h in expected.hits]
    assert page.total == expected.total and page.facets == expected.facets
    thread.join(10)
    assert not thread.is_alive()  # the first answer released the suggestion tables' loading
    assert warming._vocabulary is not None


def test_the_background_warm_up_of_a_missing_index_ends_quietly(tmp_path):
    from kb.config import Config
    from kb.errors import IndexMissingError

    config = Config(content_dir=tmp_path / "content", index_dir=tmp_path / "index")
    searcher = Searcher(config)
    errors = []
    hook, threading.excepthook = threading.excepthook, lambda args: errors.append(args.exc_value)
    try:
        searcher.warm_in_background(first_answer_wait=0).join(10)
    finally:
        threading.excepthook = hook
    assert errors == [] and searcher._essentials.is_set()
    try:
        searcher.search(SearchRequest(q="稀土"))
    except IndexMissingError as exc:
        assert "索引" in str(exc.describe())
    else:
        raise AssertionError("a search without an index should say the index is missing")


def test_warming_a_small_index_reads_every_hit_text_and_answers_the_same(built, monkeypatch):
    """warm() keeps the hit text of every document of a small knowledge base; the answers (snippets
    included) are those of a searcher that reads each hit's file when it first shows it; an archive
    above PRELOAD_DOCS is left to fill the cache hit by hit."""
    import kb.search

    warmed = Searcher.open(built)
    warmed.warm()
    owner, texts, chars = warmed._hit_texts
    assert owner is warmed.current() and len(texts) == warmed.current().doc_count_all() > 50
    assert chars <= kb.search.HIT_TEXT_CHARS
    cold = Searcher.open(built)
    for q in ("稀土", "钕铁硼 矫顽力", "行政处罚", "GB/T 4137"):
        assert (
            warmed.search(SearchRequest(q=q)).as_json()["hits"]
            == cold.search(SearchRequest(q=q)).as_json()["hits"]
        )
    monkeypatch.setattr(kb.search, "PRELOAD_DOCS", 10)
    large = Searcher.open(built)
    large.warm()
    assert len(large._hit_texts[1]) == 0
