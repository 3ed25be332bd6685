"""Bulk scoring must rank exactly as Whoosh ranks: same documents, order, scores and totals."""

import shutil

import pytest
from conftest import CONTENT

from kb.content import iter_articles
from kb.indexer import open_live, rebuild
from kb.search import Searcher, SearchRequest, build_query, parse_query

QUERIES = [
    "稀土",
    "钕铁硼 永磁",
    "Dy",
    "镨钕 OR 钕铁硼 价格",
    "稀土 -价格 -出口",
    "type:policy 稀土",
    "year:2024 稀土",
    "GB/T 4137-2015",
    "20220753-T-469",
    "工信部联原〔2022〕90号",
    "CN117446850A",
    "氧化镨钕 均价",
    "标准",
    "发展",
    "不存在的词汇组合",
]


def both(searcher, q, limit=20):
    request = SearchRequest(q=q, limit=limit)
    whoosh = searcher.current()
    query, filter_query = build_query(parse_query(q), request)
    bulk = searcher._bulk_answer(whoosh, query, filter_query, request, limit)
    plain = searcher._whoosh_answer(whoosh, query, filter_query, request, limit)
    return bulk, plain


def assert_same(bulk, plain, q):
    assert bulk is not None, f"{q}: bulk scoring fell back to Whoosh"
    assert [d for d, _ in bulk[0]] == [d for d, _ in plain[0]], q
    assert [round(s, 4) for _, s in bulk[0]] == pytest.approx([round(s, 4) for _, s in plain[0]]), q
    assert bulk[1] == plain[1], q  # exact totals (below 1,000 Whoosh's are exact too)


@pytest.mark.parametrize("q", QUERIES)
def test_bulk_ranks_like_whoosh(searcher, q):
    assert_same(*both(searcher, q), q)


def test_bulk_facets_count_every_hit(searcher):
    bulk, plain = both(searcher, "稀土", limit=10)
    assert bulk[2] == plain[2]  # under 1,000 hits Whoosh's facets are exact too
    assert sum(count for _, count in bulk[2]["type"]) == bulk[1]


def test_phrases_and_match_all_use_whoosh(searcher):
    bulk, _ = both(searcher, '"稀土 永磁"')
    assert bulk is None
    page = searcher.search(SearchRequest(q='"稀土永磁材料"', limit=100))
    holding = {a.id for a in iter_articles(searcher.config.content_dir) if "稀土永磁材料" in a.title + a.body}
    assert holding and {h.id for h in page.hits} == holding  # every article holding the phrase, no other
    assert page.total == len(holding) and not page.total_is_estimate


def test_bulk_skips_deleted_documents(config):
    shutil.copytree(CONTENT, config.content_dir, dirs_exist_ok=True)
    rebuild(config)
    searcher = Searcher.open(config)
    before = searcher.search(SearchRequest(q="稀土"))
    writer = open_live(config).writer()
    writer.delete_by_term("id", before.hits[0].id)
    writer.commit(merge=False)  # the document stays in its segment, marked deleted
    assert any(leaf.reader().has_deletions() for leaf, _ in searcher.current().leaf_searchers())
    for q in ("稀土", "稀土 -价格", "type:policy 稀土"):
        assert_same(*both(searcher, q), q)
    after = searcher.search(SearchRequest(q="稀土"))
    assert after.total == before.total - 1 and before.hits[0].id not in [h.id for h in after.hits]


def test_postings_read_from_blocks_equal_whooshs_matcher(searcher):
    """Every term of the fixture index, read block by block (ids and weights straight from the
    pickles), equals what Whoosh's own matcher yields."""
    from kb.engine.postings import _by_matcher, term_postings

    checked = 0
    for leaf, _ in searcher.current().leaf_searchers():
        reader = leaf.reader()
        for field in ("title", "body", "grams", "numbers", "type"):
            for text in list(reader.lexicon(field))[::7]:
                ids, weights = term_postings(reader, field, text)
                want_ids, want_weights = _by_matcher(reader, field, text)
                assert ids.tolist() == want_ids.tolist() and weights.tolist() == want_weights.tolist()
                checked += 1
    assert checked > 500
