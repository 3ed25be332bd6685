import pytest

from kb.search import SearchRequest, make_snippet, parse_query

PLAN_ARTICLE = "国家标准委下达2022年第二批推荐性国家标准计划及相关标准外文版计划"


def titles(searcher, q, **kw):
    return [h.title for h in searcher.search(SearchRequest(q=q, **kw)).hits]


@pytest.mark.parametrize("typed", [
    "GB/T 4137-2015", "GB/T4137-2015", "gb/t 4137", "GBT4137", "ＧＢ／Ｔ　４１３７－２０１５",
    "GB/T 4137—2015", "4137-2015",
])
def test_every_form_of_a_standard_number_finds_it_first(searcher, typed):
    assert titles(searcher, typed)[0] == PLAN_ARTICLE


@pytest.mark.parametrize("typed", ["GB/T 12690.1", "GB/T 26451", "GB/T 4137-2016"])
def test_near_misses_find_nothing(searcher, typed):
    assert titles(searcher, typed) == []


def test_gb_without_t_is_a_different_standard(searcher):
    found = titles(searcher, "GB 26451")
    assert found and all(PLAN_ARTICLE != t for t in found)


@pytest.mark.parametrize("typed, title", [
    ("20220762-T-469", PLAN_ARTICLE), ("w20222365", PLAN_ARTICLE),
    ("cn115595458", "一种通过稀土配合物构型转化自沉淀从生物浸出液中回收稀土的方法"),
    ("CN117446850A", "一种从稀土废水中高效回收稀土氧化物的方法"),
    ("工信部联原[2022]90号", "工业和信息化部、自然资源部下达2022年第二批稀土开采、冶炼分离总量控制指标"),
    ("XB/T 403", "工信部：5项稀土行业标准报批公示"),
])
def test_plan_patent_and_document_numbers(searcher, typed, title):
    assert titles(searcher, typed)[0] == title


def test_words_are_anded_and_or_widens(searcher):
    both = searcher.search(SearchRequest(q="钕铁硼 海关")).total
    one = searcher.search(SearchRequest(q="钕铁硼")).total
    either = searcher.search(SearchRequest(q="钕铁硼 OR 海关")).total
    assert both < one <= either


def test_not_and_minus_exclude(searcher):
    all_hits = set(titles(searcher, "钕铁硼", limit=50))
    minus = set(titles(searcher, "钕铁硼 -专利", limit=50))
    assert minus < all_hits


def test_phrase_query_finds_adjacent_words(searcher):
    page = searcher.search(SearchRequest(q='"稀土永磁"'))
    assert page.total > 0
    assert all("稀土永磁" in h.snippet_text.replace(" ", "") for h in page.hits[:3])


def test_element_symbol_finds_chinese_name(searcher):
    assert searcher.search(SearchRequest(q="Dy")).total > 0
    assert set(titles(searcher, "NdFeB", limit=5)) & set(titles(searcher, "钕铁硼", limit=5))


def test_filters_and_facets(searcher):
    page = searcher.search(SearchRequest(q="稀土 type:patent"))
    assert page.total == 2 and {h.type for h in page.hits} == {"patent"}
    facets = searcher.search(SearchRequest(q="稀土")).facets
    assert dict(facets["type"])["patent"] == 2
    assert "行业动态" in dict(facets["section"])
    assert searcher.search(SearchRequest(q="稀土", filters={"year": ["2024"]})).total > 0


def test_sort_by_date_and_paging(searcher):
    page = searcher.search(SearchRequest(q="稀土", sort="date", limit=5))
    dates = [h.date for h in page.hits if h.date]
    assert dates == sorted(dates, reverse=True)
    second = searcher.search(SearchRequest(q="稀土", limit=5, page=2))
    assert not {h.id for h in page.hits} & {h.id for h in second.hits} or page.hits != second.hits


@pytest.mark.parametrize("odd", ['"稀土', "OR", "-", "NOT", "(((", "type:", '" "', "a" * 5000, "<script>"])
def test_odd_queries_never_raise(searcher, odd):
    searcher.search(SearchRequest(q=odd))


def test_snippet_is_escaped_and_marks_chinese_words():
    html = make_snippet("前文<script>x</script>……钕铁硼永磁体的性能", ["钕铁硼"])
    assert "<mark>钕铁硼</mark>" in html and "<script>" not in html


def test_long_document_snippet_shows_the_matching_passage(searcher):
    hit = searcher.search(SearchRequest(q="稀土行业发展规划 绿色矿山")).hits[0]
    assert "<mark>" in hit.snippet


def test_parse_query_reads_numbers_filters_and_phrases():
    parsed = parse_query('GB/T 4137-2015 "稀土 永磁" -废水 type:policy')
    assert [n.canonical for n in parsed.numbers] == ["GB/T 4137-2015"]
    assert parsed.filters == {"type": ["policy"]}
    assert parsed.must_not == [("word", "废水")]
    assert ("phrase", "稀土 永磁") in parsed.must[0]


def test_lookup_card_knows_replacements(searcher):
    card = searcher.lookup("gbt4137")
    assert card["canonical"] == "GB/T 4137"
    assert any(r["relation"] == "replaced_by" and r["number"] == "20220753-T-469" for r in card["related"])
    plan = searcher.lookup("20220753-T-469")
    assert any(r["relation"] == "replaces" and r["number"] == "GB/T 4137-2015" for r in plan["related"])
