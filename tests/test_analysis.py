from kb.analysis import ChineseAnalyzer, expand, query_words


def tokens(text, mode="index"):
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in ChineseAnalyzer()(text, positions=True, chars=True, mode=mode)
    ]


def test_positions_are_word_counts_and_offsets_are_characters():
    toks = tokens("钕铁硼永磁体")
    assert ("钕铁硼", 0, 0, 3) in toks
    assert ("永磁体", 1, 3, 6) in toks
    assert ("永磁", 1, 3, 6) in toks  # search-mode sub-word stacked on its word


def test_element_characters_inside_words_are_indexed():
    assert ("镝", 0, 0, 3) in tokens("氧化镝")


def test_query_mode_has_no_stacked_subwords():
    texts = [t[0] for t in tokens("钕铁硼永磁体", mode="query")]
    assert texts == ["钕铁硼", "永磁体"]


def test_fullwidth_case_and_one_letter_symbols():
    texts = [t[0] for t in tokens("Ｄｙ 与 Nd-Fe-B")]
    assert "dy" in texts and "nd" in texts and "b" in texts and "ndfeb" in texts


def test_domain_dictionary_words():
    assert query_words("总量控制指标") == ["总量控制指标"]
    assert query_words("冶炼分离") == ["冶炼分离"]


def test_synonyms():
    assert "dy" in expand("镝") and "镝" in expand("dy")
    assert "钕铁硼" in expand("ndfeb")


def test_oxide_formulas_and_names_find_each_other():
    from kb.elements import OXIDES

    for char, formula in OXIDES.items():
        assert "氧化" + char in expand(formula.lower()), formula
        assert formula.lower() in expand("氧化" + char), char
    assert query_words("Dy2O3") == ["dy2o3"]  # one word, so the synonym applies to what staff type


def test_configured_user_dictionary_is_loaded_by_the_searcher(built, tmp_path):
    from kb.search import Searcher

    extra = tmp_path / "words.txt"
    extra.write_text("镧铈轻稀土富集渣 5 n\n", encoding="utf-8")
    assert query_words("镧铈轻稀土富集渣") != ["镧铈轻稀土富集渣"]
    Searcher(built.with_overrides(userdict=extra))
    assert query_words("镧铈轻稀土富集渣") == ["镧铈轻稀土富集渣"]


def test_traditional_text_is_indexed_as_simplified():
    assert tokens("離子型稀土") == tokens("离子型稀土")
    assert ("稀土", 0, 0, 5) in tokens("離子型稀土")


def test_to_simplified_keeps_the_length():
    from kb.analysis import to_simplified

    assert to_simplified("鏑 晶界擴散") == "镝 晶界扩散"
    assert to_simplified("钕铁硼 NdFeB") == "钕铁硼 NdFeB"


def test_bigram_field_tokens_are_character_pairs_with_offsets():
    from kb.analysis import BigramAnalyzer

    toks = [(t.text, t.startchar, t.endchar) for t in BigramAnalyzer()("稀土永磁 Nd 镝", chars=True)]
    assert toks == [("稀土", 0, 2), ("土永", 1, 3), ("永磁", 2, 4)]


def test_compounds_join_only_with_letters():
    from kb.analysis import join_compounds

    assert join_compounds("nd-fe-b 2016-2020") == "ndfeb 2016-2020"


def test_other_element_symbols_are_query_synonyms_only():
    assert "fe" in expand("铁") and "铁" in expand("fe") and "铂" in expand("pt")
    assert "铁" not in [t[0] for t in tokens("钢铁")]  # not stacked at index time
