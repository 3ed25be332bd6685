"""kb.engine.extents: kb's postings extents give back exactly what was written, and segments holding
them answer as segments of whoosh3's blocks do (alone, beside old segments, and merged with them)."""

import shutil

import numpy as np
import pytest
from conftest import CONTENT
from whoosh import index as whoosh_index
from whoosh.matching import ReadTooFar
from whoosh.query import And, Or, Phrase, Term

import kb.engine  # noqa: F401  (applies kb.engine.fixes)
from kb.config import Config
from kb.content import iter_paths, read_article
from kb.engine import extents, matcher, segwriter
from kb.engine.matcher import ExtentMatcher
from kb.engine.postings import term_postings
from kb.engine.terms import CompactCodec
from kb.indexer import rebuild, to_document
from kb.search import Searcher, SearchRequest

# ---------------------------------------------------------------- the format on its own


def _round_trip(ids, weights, values):
    extent = extents.encode(ids, weights, values)
    got_ids, got_weights = extents.ids_and_weights(b"\0\0\0" + extent + b"\0", 3)  # inside a file
    assert got_ids.dtype == np.int32 and got_weights.dtype == np.float64
    assert got_ids.tolist() == list(ids)
    assert got_weights.tolist() == [float(np.float32(w)) for w in weights]  # float32, as whoosh3 keeps
    listed_ids, listed_weights, listed_values = extents.postings(
        memoryview(b"\0" + extent + b"\0\0"), 1, len(extent)
    )
    assert listed_ids == list(ids) and listed_weights == got_weights.tolist()
    if values is None or not any(values):
        assert listed_values is None
    else:
        assert list(listed_values) == [v or b"" for v in values]
        assert [listed_values[n] for n in range(len(ids))] == list(listed_values)
    return extent


@pytest.mark.parametrize("count", [1, 2, 127, 128, 129, 255, 256, 257, 1000])
def test_lengths_of_lists_around_block_and_byte_edges(count):
    ids = list(range(3, 3 + 2 * count, 2))
    _round_trip(ids, [1.0] * count, None)
    _round_trip(ids, [float(n % 7 + 1) for n in range(count)], [bytes([n % 128]) for n in range(count)])


@pytest.mark.parametrize("gap", [1, 254, 255, 256, 65534, 65535, 65536, 2**31 - 10])
def test_gaps_at_and_around_the_escape_values(gap):
    ids = [0, 1, 1 + gap, 2 + gap, 2 + 2 * gap, 3 + 2 * gap]
    ids = [i for i in ids if i < 2**31]
    _round_trip(ids, [1.0] * len(ids), None)
    _round_trip([gap], [2.0], None)  # the first id alone, absolute


def test_narrowest_id_width_is_chosen():
    small = extents.encode(list(range(0, 2000, 3)), [1.0] * 667, None)
    wide = extents.encode(list(range(0, 2000 * 300, 300 * 3)), [1.0] * 667, None)
    head_small, head_wide = extents.Extent(small), extents.Extent(wide)
    assert head_small.ids[1] - head_small.ids[0] <= 667  # one byte a gap (or less, compressed)
    assert head_wide.ids[1] - head_wide.ids[0] <= 2 * 667  # two bytes a gap


@pytest.mark.parametrize(
    "weights",
    [
        [1.0] * 40,  # no weights stored
        [2.5] * 40,  # one float
        [3.0 * (n % 5 + 1) for n in range(40)],  # the title's boost times counts: one byte each
        [float(255 + n * 300) for n in range(40)],  # whole numbers above a byte
        [float(70000 + n) for n in range(40)],  # whole numbers above two bytes: float32
        [0.1 * n + 0.05 for n in range(40)],  # fractions: float32
        [0.0] + [1.0] * 39,
    ],
)
def test_weights_of_every_kind(weights):
    _round_trip(list(range(0, 400, 10)), weights, None)


@pytest.mark.parametrize("size", [0, 1, 2, 254, 255, 256, 70000])
def test_values_of_every_length(size):
    count = 20
    varied = [bytes([n % 128]) * (size if n % 3 == 0 else n % 4) for n in range(count)]
    _round_trip(list(range(count)), [1.0] * count, varied)
    _round_trip(list(range(count)), [1.0] * count, [b"ab"] * count)  # one length for all
    _round_trip(list(range(count)), [1.0] * count, [b""] * count)  # no values at all


def test_random_lists_round_trip():
    rng = np.random.default_rng(16)
    for _ in range(300):
        count = int(rng.integers(1, 600))
        gaps = rng.choice(
            [rng.integers(1, 4, count), rng.integers(1, 400, count), rng.integers(1, 90000, count)]
        )
        ids = np.cumsum(gaps) - 1
        if ids[-1] >= 2**31:
            continue
        weights = rng.choice([np.ones(count), rng.integers(1, 9, count) * 3.0, rng.random(count)])
        values = [bytes(rng.integers(0, 256, int(rng.integers(0, 5)), dtype=np.uint8)) for _ in range(count)]
        _round_trip(ids.tolist(), weights.tolist(), values)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        extents.encode([], [], None)
    with pytest.raises(ValueError, match="ascend"):
        extents.encode([3, 3], [1.0, 1.0], None)
    with pytest.raises(ValueError, match="not a kb postings extent"):
        extents.ids_and_weights(b"W3Bl" + bytes(40))


def test_the_matcher_skips_by_bisection_and_keeps_its_term_when_copied():
    from whoosh.codec.whoosh3 import W3TermInfo
    from whoosh.formats import Positions

    info = W3TermInfo()
    info._maxweight = 4.0
    ids = list(range(0, 1000, 5))
    matcher = ExtentMatcher(ids, [1.0] * len(ids), None, Positions(), term=("body", b"x"), terminfo=info)
    matcher.skip_to(501)
    assert matcher.id() == 505
    matcher.skip_to(10)  # never backwards
    assert matcher.id() == 505
    copy = matcher.copy()
    assert copy.term() == ("body", b"x") and copy.id() == 505 and copy.block_max_weight() == 4.0
    matcher.skip_to(996)
    assert not matcher.is_active()
    with pytest.raises(ReadTooFar):
        matcher.skip_to(2000)
    assert copy.is_active()


# ---------------------------------------------------------------- segments that hold them


def _build(root, name, with_extents):
    if not (root / "content").exists():
        shutil.copytree(CONTENT, root / "content")
    config = Config(content_dir=root / "content", index_dir=root / name)
    kept = CompactCodec.extents
    CompactCodec.extents = with_extents
    try:
        rebuild(config)
    finally:
        CompactCodec.extents = kept
    return config


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("extents")
    return _build(root, "blocks", False), _build(root, "extents", True)


def _first_bytes(reader, field, tbytes):
    offset, _ = reader.term_info(field, tbytes).extent()
    return reader._terms._postfile.get(offset, 4)


def _frequent(reader, field, count=12):
    terms = [(reader.doc_frequency(field, t), t) for t in reader.lexicon(field)]
    return [t for _, t in sorted(terms, reverse=True)[:count]]


def test_the_same_postings_and_whoosh_queries_on_blocks_and_on_extents(builds):
    old, new = (whoosh_index.open_dir(str(config.index_dir / "current")) for config in builds)
    with old.searcher() as a, new.searcher() as b:
        left, right = a.reader().leaf_readers()[0][0], b.reader().leaf_readers()[0][0]
        words = _frequent(left, "body")
        assert _first_bytes(left, "body", words[0]) == b"W3Bl"
        assert _first_bytes(right, "body", words[0])[:2] == extents.MAGIC
        for field in ("body", "grams", "title"):
            for word in _frequent(left, field):
                for x, y in zip(
                    term_postings(left, field, word), term_postings(right, field, word), strict=True
                ):
                    assert x.dtype == y.dtype and x.tolist() == y.tolist()
        texts = [w.decode() for w in words]
        queries = [Term("body", t) for t in texts[:6]]
        queries += [Phrase("body", pair) for pair in zip(texts, texts[1:], strict=False)]
        queries += [Phrase("body", ["稀土", "永磁"]), Phrase("title", ["稀土", "管理"])]
        queries += [
            And([Term("body", texts[0]), Term("body", texts[5])]),
            Or([Term("title", t) for t in texts]),
        ]
        found = 0
        for query in queries:
            want = [(hit.docnum, hit.score) for hit in a.search(query, limit=None)]
            assert [(hit.docnum, hit.score) for hit in b.search(query, limit=None)] == want, query
            assert [(hit.docnum, hit.score) for hit in b.search(query, limit=5)] == want[:5], query
            found += len(want)
        assert found > 100


def test_kb_search_answers_the_same_on_blocks_and_on_extents(builds):
    old, new = (Searcher.open(config) for config in builds)
    for q in ["稀土", "稀土 永磁", '"稀土永磁"', "钕铁硼 出口", "离子型稀土矿", "稀士 永磁", "永磁*"]:
        x, y = old.search(SearchRequest(q=q, limit=10)), new.search(SearchRequest(q=q, limit=10))
        assert x.total == y.total and x.total > 0, q
        assert [(h.id, h.score, h.snippet) for h in x.hits] == [(h.id, h.score, h.snippet) for h in y.hits], q


def _add_segment(folder, with_extents):
    """A new segment in `folder` holding every shipped article again."""
    ix = whoosh_index.open_dir(str(folder))
    kept = CompactCodec.extents
    CompactCodec.extents = with_extents
    try:
        writer = segwriter.FastSegmentWriter(ix)
        for path in iter_paths(CONTENT):
            writer.add_document(**to_document(read_article(path)))
        writer.commit(merge=False)
    finally:
        CompactCodec.extents = kept


def _hits(ix, query):
    with ix.searcher() as searcher:
        return sorted(
            (searcher.stored_fields(hit.docnum)["id"], round(hit.score, 6))
            for hit in searcher.search(query, limit=None)
        )


def _mixed(config, folder, with_extents, queries):
    """Hits of `queries` on `config`'s index plus a second segment of the same articles (extents or
    blocks), then after merging the two: (two segments' hits, merged hits, merged segment's form)."""
    shutil.copytree(config.index_dir / "current", folder)
    _add_segment(folder, with_extents)
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        leaves = [leaf for leaf, _ in reader.leaf_readers()]
        assert len(leaves) == 2
        word = _frequent(leaves[0], "body")[0]
        assert _first_bytes(leaves[0], "body", word) == b"W3Bl"
        assert _first_bytes(leaves[1], "body", word)[:2] == (extents.MAGIC if with_extents else b"W3")
        for field in ("body", "grams"):
            for word in _frequent(leaves[0], field, 5):
                x, y = (term_postings(leaf, field, word) for leaf in leaves)
                assert x[0].tolist() == y[0].tolist() and x[1].tolist() == y[1].tolist()
    before = [_hits(ix, q) for q in queries]
    segwriter.FastSegmentWriter(ix).commit(optimize=True)  # the merge reads both through matchers
    ix = whoosh_index.open_dir(str(folder))
    with ix.reader() as reader:
        ((leaf, _),) = reader.leaf_readers()
        form = _first_bytes(leaf, "body", _frequent(leaf, "body")[0])[:2]
    return before, [_hits(ix, q) for q in queries], form


def test_old_block_segments_and_new_extent_segments_answer_together_and_merge(builds, tmp_path):
    blocks, _ = builds
    queries = [Term("grams", "稀土"), Phrase("body", ["稀土", "永磁"]), Term("title", "稀土")]
    mixed = _mixed(blocks, tmp_path / "a", True, queries)
    old = _mixed(blocks, tmp_path / "b", False, queries)
    assert mixed[2] == extents.MAGIC and old[2] == extents.MAGIC  # a merge writes kb's extents
    # the same answers as two segments of blocks, before and after the merge
    assert mixed[:2] == old[:2]
    for before, after in zip(*mixed[:2], strict=True):
        ids = [i for i, _ in before]
        assert len(ids) > 2 and ids[0::2] == ids[1::2]  # each document found twice, once a segment
        # (the merge sums the field lengths again from their byte codes: scores move, documents don't)
        assert [i for i, _ in after] == ids


def test_a_segment_keeps_the_last_few_extents_decoded(builds):
    ix = whoosh_index.open_dir(str(builds[1].index_dir / "current"))
    with ix.reader() as reader:
        leaf = reader.leaf_readers()[0][0]
        words = _frequent(leaf, "grams", matcher.CACHED + 4)
        first = leaf.postings("grams", words[0])
        again = leaf.postings("grams", words[0])
        assert again._ids is first._ids and again.id() == first.id()  # decoded once
        first.next()
        assert again.id() != first.id()  # each matcher walks on its own
        for word in words:
            leaf.postings("grams", word)
        sizes = leaf._terms._decoded.sizes()
        assert 1 <= len(sizes) <= matcher.CACHED
        assert sum(sizes) <= max(matcher.CACHED_POSTINGS, len(first._ids))
        assert _postings_of(leaf, "grams", words[0]) == list(zip(first._ids, first._weights, strict=True))


def _postings_of(leaf, field, word):
    m = leaf.postings(field, word)
    out = []
    while m.is_active():
        out.append((m.id(), m.weight()))
        m.next()
    return out


def test_threads_share_a_segments_decoded_extents(builds):
    from concurrent.futures import ThreadPoolExecutor

    ix = whoosh_index.open_dir(str(builds[1].index_dir / "current"))
    with ix.reader() as reader:
        leaf = reader.leaf_readers()[0][0]
        words = _frequent(leaf, "body", 2 * matcher.CACHED)
        expected = {word: _postings_of(leaf, "body", word) for word in words}

        def walk(n):
            word = words[n % len(words)]
            return word, _postings_of(leaf, "body", word)

        with ThreadPoolExecutor(4) as pool:
            for word, got in pool.map(walk, range(200)):
                assert got == expected[word]
        assert len(leaf._terms._decoded) <= matcher.CACHED
