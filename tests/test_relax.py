"""The relaxed pass and suggestions over the shipped content's index."""

import random

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from kb.relax import Vocabulary


def _full_scan(vocabulary, word, count):
    """Candidates as found by comparing the whole vocabulary of nearby lengths (the reference)."""
    limit = 1 if len(word) < 7 else 2
    return process.extract(
        word,
        _full_choices(vocabulary, word, limit),
        scorer=Levenshtein.distance,
        score_cutoff=limit,
        limit=count,
    )


def test_candidates_compare_only_words_sharing_a_character_and_find_the_same(searcher):
    vocabulary = Vocabulary(searcher.current())
    words = [w for n in range(3, 10) for w in vocabulary.by_length.get(n, ())]
    rng = random.Random(16)
    typed = []
    for word in rng.sample(words, 150):  # one or two characters changed, dropped or added
        chars = list(word)
        for _ in range(rng.choice([1, 1, 2])):
            i = rng.randrange(len(chars))
            chars[i : i + 1] = rng.choice([[rng.choice(word)], [], [chars[i], rng.choice("稀土矿山钕铁硼")]])
        typed.append("".join(chars))
    compared = 0
    for word in typed + ["钕铁朋", "离子形稀土", "永磁材料料"]:
        if len(word) < 3:
            continue
        limit = 1 if len(word) < 7 else 2
        assert vocabulary._choices(word, limit) == [
            w for w in _full_choices(vocabulary, word, limit) if set(w) & set(word[: limit + 1])
        ]
        found = process.extract(
            word, vocabulary._choices(word, limit), scorer=Levenshtein.distance, score_cutoff=limit, limit=30
        )
        assert [f[:2] for f in found] == [f[:2] for f in _full_scan(vocabulary, word, 30)], word
        compared += bool(found)
    assert compared > 50


def _full_choices(vocabulary, word, limit):
    return [
        w for n in range(len(word) - limit, len(word) + limit + 1) for w in vocabulary.by_length.get(n, ())
    ]


def test_following_a_suggestion_keeps_the_numbers_exclusions_and_filters(searcher):
    from kb.search import SearchRequest

    page = searcher.search(SearchRequest(q="gb/t4137 稀土永瓷 -价格 year:2024"))
    assert page.suggestion == "GB/T 4137 稀土永磁 -价格 year:2024"
    again = searcher.search(SearchRequest(q='钕铁朋 OR 矫顽力 "热变形"'))
    assert again.suggestion == '钕铁硼 OR 矫顽力 "热变形"'


def test_a_suggestion_keeps_the_letter_case_of_the_words_typed(searcher):
    from kb.query import with_typed_case
    from kb.search import SearchRequest

    page = searcher.search(SearchRequest(q="NdFeB 稀士 Dy -價格"))
    # typed words come back as typed (NdFeB, Dy); the traditional 價 stays folded; the typo is fixed
    assert page.suggestion == "NdFeB 稀土 Dy -价格"
    assert with_typed_case("ＮｄＦｅＢ 矿删", "ndfeb 矿山") == "ndfeb 矿山"  # full width stays folded
    assert with_typed_case("Dy dy", "dy 稀土") == "Dy 稀土"  # the first spelling typed
    assert with_typed_case("稀士", "") == ""


def test_a_character_taken_for_its_look_alike_is_corrected_like_a_pinyin_slip(searcher):
    from kb.relax import LOOK_ALIKE_GROUPS, looks_alike, sounds_alike
    from kb.search import SearchRequest

    assert looks_alike("稀士", "稀土") and not sounds_alike("稀士", "稀土")
    assert not looks_alike("稀土", "稀释") and not looks_alike("稀士", "稀士")
    for group in LOOK_ALIKE_GROUPS:  # every pair of a group, in both directions
        for a in group:
            for b in group:
                assert looks_alike("矿" + a, "矿" + b) == (a != b), group
    # 稀释 reads like 稀士; 稀土 looks like it and is the word found with the rest of the query
    assert searcher.search(SearchRequest(q="稀士 永磁")).suggestion == "稀土 永磁"
    assert searcher.search(SearchRequest(q="治炼分离")).suggestion == "冶炼分离"
