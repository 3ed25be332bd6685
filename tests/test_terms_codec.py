"""kb.engine.terms.CompactCodec: the same terms, term infos and answers as whoosh3's own terms file."""

import shutil

import pytest
from conftest import CONTENT
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec, W3TermInfo
from whoosh.filedb.filestore import RamStorage
from whoosh.qparser import QueryParser
from whoosh.query import FuzzyTerm, Phrase, Prefix, Term
from whoosh.reading import TermNotFound

import kb.engine  # noqa: F401  (applies kb.engine.fixes)
from bench.__main__ import QUERIES
from kb.config import Config
from kb.engine import segwriter, store
from kb.engine.postings import term_postings
from kb.engine.terms import CompactCodec, CompactTermsReader, CompactTermsWriter
from kb.indexer import rebuild
from kb.search import Searcher, SearchRequest

# the bench's queries, and some that take the relaxed pass, a suggestion or a prefix
EXTRA = ["稀士 永磁", "治炼分离", "钕铁朋 矫顽力", "稀土永磁 -价格", "永磁*", "稀土 OR 专利", "GB/T 4137"]


def _build(root, codec):
    """The shipped content indexed with `codec` (one content folder: paths are terms too)."""
    if not (root / "content").exists():
        shutil.copytree(CONTENT, root / "content")
    config = Config(content_dir=root / "content", index_dir=root / f"index-{codec.__name__}")
    kept = segwriter.CODEC
    segwriter.CODEC = codec
    try:
        rebuild(config)
    finally:
        segwriter.CODEC = kept
    return config


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("terms")
    return _build(root, W3Codec), _build(root, CompactCodec)


def _index(config):
    return whoosh_index.open_dir(str(config.index_dir / "current"))


def _info(info):
    return (
        info.doc_frequency(),
        info.weight(),
        info.max_weight(),
        info.min_length(),
        info.max_length(),
        info.min_id(),
        info.max_id(),
        info.is_inlined(),
        info.inlined_postings(),
    )


def test_both_codecs_hold_the_same_terms_in_the_same_order_with_the_same_infos(builds):
    old, new = (_index(config) for config in builds)
    assert {type(s.codec()) for s in old._segments()} == {W3Codec}
    assert {type(s.codec()) for s in new._segments()} == {CompactCodec}
    with old.reader() as a, new.reader() as b:
        pairs = list(zip(a.leaf_readers(), b.leaf_readers(), strict=True))
        for (left, _), (right, _) in pairs:
            assert isinstance(right._terms, CompactTermsReader)
            terms = list(left.all_terms())
            assert len(terms) > 10_000 and list(right.all_terms()) == terms
            assert list(right.indexed_field_names()) == list(left.indexed_field_names())
            for field in ("grams", "body", "title", "id", "path"):
                assert list(right.lexicon(field)) == list(left.lexicon(field))
            inlined = extents = 0
            for field, tbytes in terms:
                expected, got = left.term_info(field, tbytes), right.term_info(field, tbytes)
                assert _info(got) == _info(expected), (field, tbytes)
                assert right.doc_frequency(field, tbytes) == left.doc_frequency(field, tbytes)
                assert right.frequency(field, tbytes) == left.frequency(field, tbytes)
                if expected.is_inlined():
                    inlined += 1
                else:  # the same postings: whoosh3's blocks on the left, kb's extent on the right
                    offset, _ = got.extent()
                    assert right._terms._postfile.get(offset, 2) == b"KP"
                    assert _postings(right, field, tbytes) == _postings(left, field, tbytes)
                    pairs = zip(
                        term_postings(right, field, tbytes), term_postings(left, field, tbytes), strict=True
                    )
                    assert all(x.dtype == y.dtype and x.tolist() == y.tolist() for x, y in pairs)
                    extents += 1
            assert inlined > extents > 100
            # items() and iteration from a term give the same pairs
            assert [(t, _info(i)) for t, i in right.iter_field("title")] == [
                (t, _info(i)) for t, i in left.iter_field("title")
            ]
            assert list(right.expand_prefix("grams", "稀")) == list(left.expand_prefix("grams", "稀"))
            assert ("grams", "稀土".encode()) in right and ("grams", b"\xff\xff") not in right


def _postings(reader, field, tbytes):
    matcher = reader.postings(field, tbytes)
    out = []
    while matcher.is_active():
        out.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return out


def _answers(config, queries):
    searcher = Searcher.open(config)
    out = []
    for q in queries:
        page = searcher.search(SearchRequest(q=q, limit=10))
        out.append(
            (
                q,
                page.total,
                [(hit.id, round(hit.score, 9)) for hit in page.hits],
                page.relaxed,
                page.suggestion,
                page.dropped,
            )
        )
    return out


def test_kb_search_answers_the_same_on_both_codecs(builds):
    old, new = (_answers(config, QUERIES + EXTRA) for config in builds)
    assert new == old
    assert any(total for _, total, *_ in new)
    assert any(relaxed for *_, relaxed, _, _ in new) and any(suggestion for *_, suggestion, _ in new)


def test_whooshs_own_searcher_answers_the_same_on_both_codecs(builds):
    old, new = (_index(config) for config in builds)
    parser = QueryParser("body", old.schema)
    queries = [
        Term("body", "稀土"),
        Term("grams", "稀土"),
        Phrase("body", ["稀土", "永磁"]),
        Prefix("body", "稀"),
        FuzzyTerm("title", "稀土永磁", maxdist=1),
        Term("body", "没有这个词"),
        parser.parse("稀土 OR 专利"),
    ]
    with old.searcher() as a, new.searcher() as b:
        for query in queries:
            left = [(hit.docnum, hit.score) for hit in a.search(query, limit=None)]
            right = [(hit.docnum, hit.score) for hit in b.search(query, limit=None)]
            assert right == left, query
        assert a.search(queries[0], limit=None).scored_length() > 3


def test_old_and_new_segments_live_side_by_side_and_merge_into_a_new_codec_segment(builds, tmp_path):
    old_config, _ = builds
    folder = tmp_path / "mixed"
    shutil.copytree(old_config.index_dir / "current", folder)
    ix = whoosh_index.open_dir(str(folder))
    reader = ix.reader()
    documents = [dict(reader.stored_fields(n)) for n in range(3)]
    reader.close()
    writer = segwriter.FastSegmentWriter(ix)  # a new segment beside the old ones
    for document in documents:
        writer.add_document(**{k: v for k, v in document.items() if k in ix.schema})
    writer.commit(merge=False)
    ix = whoosh_index.open_dir(str(folder))
    codecs = [type(s.codec()) for s in store.segments(ix)]
    assert CompactCodec in codecs and W3Codec in codecs
    query = Term("grams", "稀土")
    with ix.searcher() as searcher:
        before = sorted(
            searcher.stored_fields(hit.docnum)["id"] for hit in searcher.search(query, limit=None)
        )
    merging = segwriter.FastSegmentWriter(ix)
    merging.commit(optimize=True)
    ix = whoosh_index.open_dir(str(folder))
    assert [type(s.codec()) for s in store.segments(ix)] == [CompactCodec]
    with ix.searcher() as searcher:
        after = sorted(searcher.stored_fields(hit.docnum)["id"] for hit in searcher.search(query, limit=None))
    assert after == before and len(before) > 3


# ---------------------------------------------------------------- the terms file on its own


def _w3(df, weight, ids=None, values=None, offset=None, length=None, minlength=3, maxlength=9):
    info = W3TermInfo()
    info._df, info._weight, info._maxweight = df, weight, weight
    info._minlength, info._maxlength = minlength, maxlength
    if ids is not None:
        info._minid, info._maxid = ids[0], ids[-1]
        info.set_inlined(ids, [weight / df] * df, values or [None] * df)
    else:
        info._minid, info._maxid = 0, 99
        info.set_extent(offset, length)
    return info.to_bytes()


def _table(entries, fieldmap, blocksize=4, version=2):
    storage = RamStorage()
    writer = CompactTermsWriter(storage.create_file("t.trm"), blocksize, version=version)
    writer.fieldmap.update(fieldmap)
    writer.add_entries(entries)
    writer.close()
    postfile = storage.create_file("p")
    postfile.close()
    return CompactTermsReader(CompactCodec(), storage.open_file("t.trm"), storage.file_length("t.trm"), None)


@pytest.mark.parametrize("version", [1, 2])  # KBT1, as kb wrote before, still reads
def test_edge_cases_of_the_terms_file(version):
    long_term = "稀土".encode() * 3000  # 18,000 bytes: lengths take several varint bytes
    words = sorted([b"a", b"ab", b"abc", b"b", "钕铁硼".encode(), "钕铁硼永磁".encode(), long_term, b"zz"])
    fieldmap = {"body": 0, "empty": 1, "title": 2}
    entries = []
    for n, word in enumerate(words):
        if n % 3 == 0:
            value = _w3(2, 3.0, ids=[n, n + 7], values=[b"\x01", b""])
        elif n % 3 == 1:
            value = _w3(1, 0.75, ids=[n])  # a weight that is not a whole number
        else:
            value = _w3(40, 40.0, offset=1000 * n, length=500 + n, minlength=2, maxlength=2)
        entries.append((b"\x00\x00" + word, value))
    entries.append((b"\x00\x02" + b"t", _w3(1, 1.0, ids=[5])))
    table = _table(entries, fieldmap, version=version)
    assert table._implied == (version == 2)
    assert table._firsts == [b"\x00\x00a", b"\x00\x00zz", b"\x00\x02t"]  # blocks of 4; b and zz: a block's
    # last and first keys
    for key, value in entries:
        field = {0: "body", 2: "title"}[key[1]]
        expected = W3TermInfo.from_bytes(value)
        got = table.term_info(field, key[2:])
        assert _info(got) == _info(expected) and got.extent()[0] == expected._offset
        if not expected.is_inlined():
            assert got.extent()[1] == expected._length[0]
    assert table.term_info("body", b"a").inlined_postings() == ((0, 7), (1.5, 1.5), (b"\x01", b""))
    assert table.term_info("body", b"ab").inlined_postings() == ((1,), (0.75,), (None,))
    # absent: before the first key, between two blocks, after the last, in an empty or unknown field
    absent = [("body", b""), ("body", b"abcd"), ("body", b"c"), ("body", b"zzz"), ("body", b"\xff")]
    for field, word in absent + [("title", b"u"), ("empty", b"a"), ("nope", b"a")]:
        assert (field, word) not in table
        with pytest.raises(TermNotFound):
            table.term_info(field, word)
        with pytest.raises(KeyError):  # what Whoosh's SegmentReader.doc_frequency catches
            table.doc_frequency(field, word)
    assert [t for f, t in table.terms()] == [k[2:] for k, _ in entries]
    assert [t for f, t in table.terms_from("body", b"abd")] == [k[2:] for k, _ in entries[3:]]
    assert list(table.terms_from("empty", b"")) == [("title", b"t")]
    assert list(table.terms_from("title", b"u")) == []
    assert [_info(i) for _, i in table.items_from("body", "钕".encode())] == [
        _info(W3TermInfo.from_bytes(v)) for _, v in entries[6:]
    ]
    with pytest.raises(ValueError):
        _table([(b"\x00\x00b", entries[0][1]), (b"\x00\x00a", entries[0][1])], fieldmap)


@pytest.mark.parametrize("version", [1, 2])
def test_a_field_cursor_walks_one_field(version):
    from whoosh.fields import ID

    entries = [(b"\x00\x00" + w, _w3(1, 1.0, ids=[0])) for w in (b"a", b"b", b"c")]
    entries.append((b"\x00\x01x", _w3(1, 1.0, ids=[0])))
    table = _table(entries, {"body": 0, "title": 1}, blocksize=2, version=version)
    cursor = table.cursor("body", ID())
    seen = [cursor.text()]
    while cursor.next() is not None:
        seen.append(cursor.text())
    assert seen == ["a", "b", "c"] and not cursor.is_valid()
    assert cursor.find("b") == "b" and cursor.term_info().doc_frequency() == 1
    assert cursor.find("bb") == "c" and cursor.find("d") is None


def test_a_kbt2_table_reads_as_the_kbt1_table_of_the_same_terms_and_is_smaller(builds):
    """Every term of the shipped content's index written both ways: the same infos from lookups and
    from walking; KBT2 leaves out each block's first key, inlined first ids and half the footer."""
    ix = _index(builds[1])
    with ix.reader() as reader:
        (leaf, _), *_ = reader.leaf_readers()
        entries = [(leaf._terms._key(f, t), info.to_bytes()) for (f, t), info in leaf._terms.items()]
        fieldmap = dict(leaf._terms._fieldmap)
    assert len(entries) > 10_000
    sizes = {}
    tables = {}
    for version in (1, 2):
        storage = RamStorage()
        writer = CompactTermsWriter(storage.create_file("t.trm"), version=version)
        writer.fieldmap.update(fieldmap)
        writer.add_entries(entries)
        writer.close()
        sizes[version] = storage.file_length("t.trm")
        tables[version] = CompactTermsReader(CompactCodec(), storage.open_file("t.trm"), sizes[version], None)
    old, new = tables[1], tables[2]
    assert [(k, _info(i)) for k, i in new.items()] == [(k, _info(i)) for k, i in old.items()]
    for key, value in entries[::7]:
        field, tbytes = new._decode_key(key)
        assert _info(new.term_info(field, tbytes)) == _info(W3TermInfo.from_bytes(value))
    assert sizes[2] < 0.93 * sizes[1], sizes
