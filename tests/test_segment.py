"""rjieba is adopted only because it gives jieba's words: proved here on real text."""

import tarfile

import pytest

from kb import segment
from kb.analysis import USERDICT, fold
from tests.conftest import DATA_FILES, LAW_FILES, LAWS_ARCHIVE, ROOT, SEED_FILES

LAWS = LAWS_ARCHIVE
LAW_SAMPLE = 120  # every n-th law of the corpus, about 1.5 MB of real legal Chinese


@pytest.fixture(scope="module")
def engines():
    pytest.importorskip("rjieba")
    return (segment.load(segment.JiebaSegmenter, [USERDICT]), segment.load(segment.RustSegmenter, [USERDICT]))


def law_texts(step=30):
    for path in LAW_FILES:
        yield str(path), path.read_text(encoding="utf-8")
    if not LAWS.exists():  # the shared corpus adds 1.5 MB of legal Chinese when it is there
        return
    with tarfile.open(LAWS) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name.endswith(".md")]
        for member in members[::step][:LAW_SAMPLE]:
            yield member.name, archive.extractfile(member).read().decode("utf-8")


def real_texts():
    for path in sorted((ROOT / "content").rglob("*.md")):
        yield str(path), path.read_text(encoding="utf-8")
    for path in DATA_FILES + SEED_FILES:
        yield str(path), path.read_text(encoding="utf-8")
    yield from law_texts()


@pytest.fixture(scope="module")
def segmented(engines):
    """(name, jieba's tokens, rjieba's tokens) for every real text."""
    reference, rust = engines
    return [
        (
            name,
            [tuple(t) for t in reference.tokenize(fold(text))],
            [tuple(t) for t in rust.tokenize(fold(text))],
        )
        for name, text in real_texts()
    ]


def test_engines_give_the_same_words_at_the_same_offsets(segmented):
    compared = 0
    for name, expected, got in segmented:
        if got != expected:
            pairs = zip(expected + [None], got + [None], strict=False)
            first = next(i for i, (a, b) in enumerate(pairs) if a != b)
            pytest.fail(
                f"{name}: token {first} differs: jieba {expected[first : first + 3]} "
                f"rjieba {got[first : first + 3]}"
            )
        compared += len(expected)
    # the comparison really ran over a large body of text (content/ and tests/data alone: about 95,000 tokens)
    assert compared > (500_000 if LAWS.exists() else 90_000)


def test_engines_agree_on_dictionary_words_used_for_subwords(engines, segmented):
    reference, rust = engines
    grams = set()
    for _, expected, _ in segmented:
        for word, _, _ in expected:
            for size in (2, 3):
                grams.update(word[i : i + size] for i in range(len(word) - size + 1))
    assert len(grams) > 10_000
    assert {g for g in grams if reference.has_word(g)} == {g for g in grams if rust.has_word(g)}


def test_finalseg_rule_splits_joined_latin_runs(engines):
    _, rust = engines
    words = [w for w, _, _ in rust.tokenize("20220747-t-469 与 nd-fe-b 和 12690.12-2003")]
    assert words[:5] == ["20220747", "-", "t", "-", "469"]
    assert "12690.12" in words and "2003" in words


def test_user_dictionary_lines_are_read_like_jieba(tmp_path):
    path = tmp_path / "dict.txt"
    path.write_text("\ufeff镨钕废料 20 n\n磁材回收\n\n高丰度稀土 7\n", encoding="utf-8")
    assert list(segment.read_userdict(path)) == [
        ("镨钕废料", 20, "n"),
        ("磁材回收", None, None),
        ("高丰度稀土", 7, None),
    ]
    rust = segment.load(segment.best_engine(), [USERDICT, path])
    assert "磁材回收" in [w for w, _, _ in rust.tokenize("推进磁材回收利用")]


def test_words_are_the_words_of_tokenize_on_real_text(engines):
    """words() (rjieba's cut, unless the text has a place the finalseg rule could split) gives
    exactly tokenize()'s words; both engines."""
    fast = 0
    for engine in engines:
        for name, text in real_texts():
            for part in [fold(text)] + fold(text).split("\n\n")[:40]:  # whole texts and paragraphs
                assert engine.words(part) == [w for w, _, _ in engine.tokenize(part)], name
                fast += segment._JOINED.search(part) is None
    assert fast > 100  # many paragraphs take the fast path


def test_words_splits_joined_latin_runs_as_tokenize_does(engines):
    for engine in engines:
        for text in (
            "20220747-t-469 与 nd-fe-b",
            "含量3.5%的钕铁硼",
            "钕铁硼永磁体",
            "GB/T 1234-2020",
            "a-1",
        ):
            assert engine.words(text) == [w for w, _, _ in engine.tokenize(text)]
