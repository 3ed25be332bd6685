from kb.analysis import ChineseAnalyzer, expand, query_words


def tokens(text, mode="index"):
    return [(t.text, t.pos, t.startchar, t.endchar)
            for t in ChineseAnalyzer()(text, positions=True, chars=True, mode=mode)]


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


def test_configured_user_dictionary_is_loaded_by_the_searcher(built, tmp_path):
    from kb.search import Searcher

    extra = tmp_path / "words.txt"
    extra.write_text("镧铈轻稀土富集渣 5 n\n", encoding="utf-8")
    assert query_words("镧铈轻稀土富集渣") != ["镧铈轻稀土富集渣"]
    Searcher(built.with_overrides(userdict=extra))
    assert query_words("镧铈轻稀土富集渣") == ["镧铈轻稀土富集渣"]
