import pytest

from kb.search import SearchRequest, make_snippet, parse_query

PLAN_ARTICLE = "国家标准委下达2022年第二批推荐性国家标准计划及相关标准外文版计划"


def titles(searcher, q, **kw):
    return [h.title for h in searcher.search(SearchRequest(q=q, **kw)).hits]


@pytest.mark.parametrize(
    "typed",
    [
        "GB/T 4137-2015",
        "GB/T4137-2015",
        "gb/t 4137",
        "GBT4137",
        "ＧＢ／Ｔ　４１３７－２０１５",
        "GB/T 4137—2015",
        "4137-2015",
    ],
)
def test_every_form_of_a_standard_number_finds_it_first(searcher, typed):
    assert titles(searcher, typed)[0] == PLAN_ARTICLE


@pytest.mark.parametrize("typed", ["GB/T 12690.1", "GB/T 12690.1-2003", "XB/T 40"])
def test_near_misses_find_nothing(searcher, typed):
    page = searcher.search(SearchRequest(q=typed))
    assert page.hits == [] and page.number_fallbacks == []


@pytest.mark.parametrize(
    "typed, used",
    [
        ("GB/T 26451", "GB 26451-2011"),  # without the kind code, and said so
        ("GB/T 4137-2016", "GB/T 4137-2015"),  # without the year
        ("GB4137", "GB/T 4137-2015"),  # with /T
        ("GB/T 4138-2016", "GB/T 4138-2015"),
    ],
)
def test_other_keys_answer_only_when_the_exact_key_finds_nothing_and_say_so(searcher, typed, used):
    page = searcher.search(SearchRequest(q=typed))
    assert page.hits[0].title == PLAN_ARTICLE or "GB 26451" in used
    assert [n["how"] for n in page.number_fallbacks] == ["fallback"]
    assert used in page.number_fallbacks[0]["used"]


def test_gb_without_t_is_a_different_standard(searcher):
    found = titles(searcher, "GB 26451")
    assert found and all(PLAN_ARTICLE != t for t in found)


@pytest.mark.parametrize(
    "typed, title",
    [
        ("20220762-T-469", PLAN_ARTICLE),
        ("w20222365", PLAN_ARTICLE),
        ("cn115595458", "一种通过稀土配合物构型转化自沉淀从生物浸出液中回收稀土的方法"),
        ("CN117446850A", "一种从稀土废水中高效回收稀土氧化物的方法"),
        ("工信部联原[2022]90号", "工业和信息化部、自然资源部下达2022年第二批稀土开采、冶炼分离总量控制指标"),
        ("XB/T 403", "工信部：5项稀土行业标准报批公示"),
    ],
)
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


def test_exact_keys_give_no_fallback_note(searcher):
    for typed in ("GB 26451", "GB/T 4137-2015", "XB/T 403"):
        assert searcher.search(SearchRequest(q=typed)).number_fallbacks == []


def test_a_number_prefix_lists_the_numbers_under_it(searcher):
    page = searcher.search(SearchRequest(q="XB/T 617"))
    assert page.hits[0].title == "工信部：5项稀土行业标准报批公示"
    assert page.number_fallbacks == [{"typed": "XB/T 617", "used": ["XB/T 617.8-2023"], "how": "prefix"}]
    card = searcher.lookup("XB/T 617")
    assert card["how"] == "prefix" and card["under"] == ["XB/T 617.8-2023"]


@pytest.mark.parametrize(
    "typed, title",
    [
        ("115595458", "一种通过稀土配合物构型转化自沉淀从生物浸出液中回收稀土的方法"),  # bare digits
        ("CN-115595458-B", "一种通过稀土配合物构型转化自沉淀从生物浸出液中回收稀土的方法"),  # hyphens
        ("CN115595458A", "一种通过稀土配合物构型转化自沉淀从生物浸出液中回收稀土的方法"),  # another kind code
        ("117446850", "一种从稀土废水中高效回收稀土氧化物的方法"),
        ("20220762T469", PLAN_ARTICLE),
        ("20220762 T 469", PLAN_ARTICLE),  # plan without hyphens
        ("XB 403", "工信部：5项稀土行业标准报批公示"),
        ("XBT403", "工信部：5项稀土行业标准报批公示"),
        ("工信部联原2022年90号", "工业和信息化部、自然资源部下达2022年第二批稀土开采、冶炼分离总量控制指标"),
        ("国标委发 2022 22号", PLAN_ARTICLE),  # document numbers without brackets
    ],
)
def test_loosely_typed_numbers(searcher, typed, title):
    assert titles(searcher, typed)[0] == title


def test_digits_that_are_no_number_in_the_index_stay_words(searcher):
    page = searcher.search(SearchRequest(q="1234567"))
    assert page.numbers == [] and page.hits == []


def test_lookup_falls_back_and_says_how(searcher):
    card = searcher.lookup("GB4137")
    assert card["how"] == "fallback" and card["used"] == ["GB/T 4137-2015"]
    assert card["articles"][0]["title"] == PLAN_ARTICLE
    assert searcher.lookup("GB/T 4137-2015")["how"] == "exact"
    assert searcher.lookup("GB/T 12690.1")["articles"] == []


# ------------------------------------------------------------------ strict first, then relaxed


def test_strict_answer_is_not_relaxed(searcher):
    page = searcher.search(SearchRequest(q="钕铁硼 永磁"))
    assert page.total > 0 and not page.relaxed and page.as_json()["relaxed"] is False


def test_no_strict_answer_falls_back_to_most_of_the_words(searcher):
    # no article has all four; three of them are in one article
    page = searcher.search(SearchRequest(q="江西 绿色矿山 足球 建成"))
    assert page.relaxed and page.as_json()["relaxed"] is True
    assert page.dropped == ["足球"]
    assert page.hits[0].title == "江西省已建成200座绿色矿山"


def test_a_query_no_article_answers_comes_back_empty_or_relaxed(searcher):
    for q in ("量子计算机 光刻机 芯片", "足球比赛 门票价格"):
        page = searcher.search(SearchRequest(q=q))
        assert page.total == 0 or page.relaxed
        assert page.total <= 5


def test_question_words_are_not_required(searcher):
    page = searcher.search(SearchRequest(q="江西绿色矿山有多少座"))
    assert page.hits[0].title == "江西省已建成200座绿色矿山"
    assert "多少" in page.ignored
    assert titles(searcher, "稀土抑癌作用是什么")[0] == "稀土抑癌作用的探索"


@pytest.mark.parametrize(
    "typed, meant, title",
    [
        (
            "钕铁朋 热变形",
            "钕铁硼 热变形",
            "宁波材料所在热变形钕铁硼磁体无取向粗晶形成机制及其织构优化研究方面取得进展",
        ),
        ("稀土永瓷材料 腐蚀", "稀土永磁材料 腐蚀", "稀土永磁材料的氧化和腐蚀防护研究进展"),
        ("江西 绿色矿删", "江西 绿色矿山", "江西省已建成200座绿色矿山"),
    ],
)
def test_one_wrong_character_finds_the_article_and_suggests_the_word(searcher, typed, meant, title):
    page = searcher.search(SearchRequest(q=typed))
    assert page.suggestion == meant
    assert page.hits[0].title == title
    assert page.relaxed


def test_a_word_cut_differently_matches_through_its_pieces(searcher):
    # the query cuts 稀土永磁 whole; the article has 稀土 / 永磁材料
    parsed = parse_query("稀土永磁")
    from kb.query import clause_units

    assert clause_units(parsed.must[0][0])[0].pieces == ("稀土", "永磁")
    assert "稀土永磁材料的氧化和腐蚀防护研究进展" in titles(searcher, "稀土永磁 腐蚀 防护")


def test_the_bigram_field_holds_character_pairs(searcher):
    reader = searcher.current().reader()
    assert ("grams", "磁材".encode()) in reader  # across a word boundary: 永磁/材料
    assert reader.doc_frequency("grams", "钕铁") >= reader.doc_frequency("body", "钕铁硼")


@pytest.mark.parametrize(
    "typed, title",
    [
        ("離子型稀土 持水特性", "不同溶浸作用对离子型稀土持水特性的影响研究"),
        ("綠色礦山 江西", "江西省已建成200座绿色矿山"),
        ("深海稀土資源勘查 標準", "国内外首个深海稀土资源勘查领域的标准发布"),
    ],
)
def test_traditional_characters_are_read_as_simplified(searcher, typed, title):
    assert titles(searcher, typed)[0] == title


def test_traditional_text_in_an_article_is_marked():
    html = make_snippet("研究離子型稀土的持水特性", parse_query("离子型稀土").highlight)
    assert "<mark>離子型稀土</mark>" in html


@pytest.mark.parametrize("short, full", [("工信部", "工业和信息化部"), ("中科院", "中国科学院")])
def test_abbreviations_find_full_names_and_back(searcher, short, full):
    by_short = searcher.search(SearchRequest(q=short, limit=50))
    by_full = searcher.search(SearchRequest(q=full, limit=50))
    assert not by_short.relaxed and not by_full.relaxed
    assert {h.title for h in by_short.hits} == {h.title for h in by_full.hits}


def test_an_article_writing_only_the_full_name_is_found_by_the_short_one(searcher):
    # the plan article writes 国家标准化管理委员会 and 国家标准委, never 国标委
    assert titles(searcher, "国标委 外文版计划")[0] == PLAN_ARTICLE
    assert "中科院地理资源所在 Science Advances 发表我国在深海稀土研究领域取得进展的论文" in titles(
        searcher, "中国科学院 深海稀土"
    )


def test_names_typed_with_a_slash_and_space(searcher):
    assert titles(searcher, "SAC/TC 229")[0] == PLAN_ARTICLE
    assert titles(searcher, "稀土标委会")[0] == PLAN_ARTICLE


def test_compounds_join_as_the_index_joins_them(searcher):
    assert (
        searcher.search(SearchRequest(q="Nd-Fe-B")).total == searcher.search(SearchRequest(q="NdFeB")).total
    )
    assert "ndfeb" in str(parse_query("Nd-Fe-B").must)
    assert "ndcefeb" in str(parse_query("Nd-Ce-Fe-B").must)
    assert "ndfeb" not in str(parse_query("Nd-Ce-Fe-B").must)


def test_more_element_symbols(searcher):
    assert "长春应化所张洪杰团队：稀土分子筛负载的 Pt 催化剂用于塑料加氢裂解" in titles(searcher, "Pt 塑料")
    assert "使用寿命延长20倍的稀土——铂合金催化剂问世" in titles(searcher, "Pt 合金 催化剂")


def test_a_title_copied_as_the_query_ranks_that_article_first(searcher):
    for title in ("升级稀土产业链促进稀土产业高质量发展", "稀土金属与其他元素相互作用", "世界稀土资源的分布"):
        assert titles(searcher, title)[0] == title


def test_proximity_rewards_neighbouring_words():
    from kb.relax import proximity_factor

    runs = [["稀土", "永磁"]]
    assert proximity_factor("稀土永磁材料", "", runs) > proximity_factor("稀土与永磁", "稀土……永磁", runs)
    assert proximity_factor("x", "稀土永磁", runs) > proximity_factor("x", "稀土 和 永磁", runs)


def test_synonyms_are_highlighted(searcher):
    hit = searcher.search(SearchRequest(q="NdFeB 热变形")).hits[0]
    assert "<mark>钕铁硼</mark>" in hit.snippet
    assert "<mark>Nd-Fe-B</mark>" in make_snippet("烧结 Nd-Fe-B 磁体", parse_query("ndfeb").highlight)
    assert "<mark>" not in make_snippet("and band", parse_query("钕 硼").highlight)  # nd, b: whole words only
    page = searcher.search(SearchRequest(q="工信部 报批"))
    assert "<mark>工业和信息化部</mark>" in page.hits[0].snippet


def test_relaxed_bigrams_are_highlighted(searcher):
    page = searcher.search(SearchRequest(q="钕铁朋 热变形"))
    assert "<mark>钕铁硼</mark>" in page.hits[0].snippet


@pytest.mark.parametrize(
    "q, code",
    [("type:政策 知识产权", "policy"), ("type:专利 稀土", "patent"), ("type:市场行情 氧化镨钕", "market")],
)
def test_type_filters_accept_the_chinese_labels(searcher, q, code):
    page = searcher.search(SearchRequest(q=q))
    assert page.total > 0 and {h.type for h in page.hits} == {code}


def test_section_filter_with_chinese_value(searcher):
    page = searcher.search(SearchRequest(q="section:行业动态 坦桑尼亚"))
    assert page.hits[0].title == "坦桑尼亚批准本国第一个稀土矿的开采许可证"


@pytest.mark.parametrize(
    "request_kw",
    [{"q": "type:nonsense 稀土"}, {"q": "稀土", "types": ["政第"]}, {"q": "section:不存在的栏目 稀土"}],
)
def test_unknown_filter_values_raise_a_clear_error(searcher, request_kw):
    from kb.search import UnknownFilterError

    with pytest.raises(UnknownFilterError) as caught:
        searcher.search(SearchRequest(**request_kw))
    assert "可用的值" in caught.value.message


def test_an_oxide_formula_finds_the_articles_that_name_the_oxide(searcher):
    by_formula = searcher.search(SearchRequest(q="Dy2O3"))
    assert by_formula.total > 0 and not by_formula.relaxed
    assert all("氧化镝" in hit.title + hit.snippet for hit in by_formula.hits)
    by_name = {hit.id for hit in searcher.search(SearchRequest(q="氧化镝", limit=100)).hits}
    assert {hit.id for hit in by_formula.hits} <= by_name


def test_recent_hits_texts_are_kept_within_their_bound_and_answer_the_same(built, monkeypatch):
    import kb.search
    from kb.search import Searcher

    fresh = Searcher(built)
    first = [fresh.search(SearchRequest(q=q)) for q in ("稀土", "钕铁硼 永磁", "价格")]
    again = [fresh.search(SearchRequest(q=q)) for q in ("稀土", "钕铁硼 永磁", "价格")]
    assert [[(h.id, h.snippet) for h in p.hits] for p in first] == [
        [(h.id, h.snippet) for h in p.hits] for p in again
    ]
    monkeypatch.setattr(kb.search, "HIT_TEXT_CHARS", 20_000)
    small = Searcher(built)
    for q in ("稀土", "钕铁硼 永磁", "价格", "专利", "标准"):
        small.search(SearchRequest(q=q))
    _, cache, size = small._hit_texts
    assert 1 <= len(cache) and (size <= 20_000 or len(cache) == 1)
    assert size == sum(kb.search._chars(stored) for stored in cache.values())
