"""kb.engine.segwriter and kb.schema.ChineseField write exactly the postings Whoosh's own writer writes."""

import pytest
from conftest import CONTENT
from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, TEXT, Schema
from whoosh.query import Phrase, Term

import kb.engine  # noqa: F401  (applies kb.engine.fixes)
from kb.analysis import ChineseAnalyzer
from kb.content import iter_paths, read_article
from kb.engine import segwriter
from kb.indexer import to_document
from kb.schema import BigramField, ChineseField, VarintPositions, make_schema


@pytest.fixture(scope="module")
def documents():
    return [to_document(read_article(path)) for path in iter_paths(CONTENT)]


def _postings(folder):
    """{(field, term): (ids, weights, values, doc frequency, total weight, max weight, lengths)} of an
    index's only segment, read through Whoosh's public reader."""
    ix = whoosh_index.open_dir(str(folder))
    out = {}
    with ix.reader() as reader:
        assert len(reader.leaf_readers()) == 1
        for field, tbytes in reader.all_terms():
            info = reader.term_info(field, tbytes)
            matcher = reader.postings(field, tbytes)
            ids, weights, values = [], [], []
            while matcher.is_active():
                ids.append(matcher.id())
                weights.append(float(matcher.weight()))
                values.append(matcher.value() or None)
                matcher.next()
            out[field, tbytes] = (
                ids,
                weights,
                values,
                info.doc_frequency(),
                round(info.weight(), 3),
                info.max_weight(),
                info.min_length(),
                info.max_length(),
            )
        stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
        lengths = {
            name: [reader.doc_field_length(n, name) for n in range(reader.doc_count_all())]
            for name in ("title", "body", "grams")
        }
    return out, stored, lengths


def _write_both(documents, tmp_path):
    """(Whoosh's own writer's index folder, FastSegmentWriter's) of the same documents."""
    whoosh_dir, fast_dir = tmp_path / "whoosh", tmp_path / "fast"
    for folder in (whoosh_dir, fast_dir):
        folder.mkdir()
        whoosh_index.create_in(str(folder), make_schema())
    writer = whoosh_index.open_dir(str(whoosh_dir)).writer()
    fast = segwriter.FastSegmentWriter(whoosh_index.open_dir(str(fast_dir)))
    for document in documents:
        writer.add_document(**document)
        fast.add_document(**document)
    writer.commit()
    fast.commit()
    return whoosh_dir, fast_dir


def test_fast_writer_writes_the_postings_whooshs_writer_writes(documents, tmp_path):
    whoosh_dir, fast_dir = _write_both(documents, tmp_path)
    expected, written = _postings(whoosh_dir), _postings(fast_dir)
    assert len(expected[0]) > 10_000 and written[0] == expected[0]
    assert written[1:] == expected[1:]  # stored fields and field lengths
    inlined = [key for key, value in written[0].items() if value[3] < segwriter.INLINE_BELOW]
    assert len(inlined) > len(written[0]) // 2  # most terms are rare: their postings sit in the term entry
    terms = whoosh_index.open_dir(str(fast_dir)).reader()
    assert terms.term_info(*inlined[0]).is_inlined()


def test_chinese_field_gives_the_postings_of_whooshs_text_field(documents):
    analyzer = ChineseAnalyzer()
    for boost in (1.0, 3.0):
        plain = TEXT(analyzer=analyzer, field_boost=boost)
        fast = ChineseField(analyzer=analyzer, field_boost=boost)
        old = ChineseField(analyzer=analyzer, field_boost=boost)
        old.format = plain.format  # an index written before VarintPositions: its schema's Positions
        varint = TEXT(analyzer=analyzer, field_boost=boost)
        varint.format = VarintPositions(field_boost=boost)
        for document in documents[:40]:
            text = document["title"] + "\n" + document["body"] + " Nd-Fe-B 钕铁硼永磁体"
            assert sorted(fast.index(text)) == sorted(varint.index(text))
            assert sorted(old.index(text)) == sorted(plain.index(text))


def test_inlined_postings_answer_term_and_phrase_queries_and_survive_a_merge(tmp_path):
    schema = Schema(id=make_schema()["id"], body=ChineseField(analyzer=ChineseAnalyzer(), stored=True))
    ix = whoosh_index.create_in(str(tmp_path), schema)
    texts = ["稀土永磁材料的出口管理", "钕铁硼永磁体生产企业", "稀土 永磁", "离子型稀土矿开采总量控制"]
    for start in (0, 2):  # two segments, then a merge through Whoosh's writer
        writer = segwriter.FastSegmentWriter(ix)
        for n, text in enumerate(texts[start : start + 2], start=start):
            writer.add_document(id=f"d{n}", body=text)
        writer.commit(merge=False)
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        info = searcher.reader().leaf_readers()[0][0].term_info("body", "永磁".encode())
        assert info.is_inlined()
        found = sorted(hit["id"] for hit in searcher.search(Term("body", "永磁")))
        assert found == ["d0", "d1", "d2"]
        assert sorted(hit["id"] for hit in searcher.search(Phrase("body", ["稀土", "永磁"]))) == ["d0", "d2"]
    ix.writer().commit(optimize=True)  # Whoosh's own merge reads the inlined postings back
    with ix.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 1
        assert sorted(hit["id"] for hit in searcher.search(Term("body", "永磁"))) == ["d0", "d1", "d2"]
        assert searcher.document(id="d3")["body"] == texts[3]


def test_blocks_keep_positions_as_bytes_not_protocol_2_calls(tmp_path):
    schema = Schema(body=ChineseField(analyzer=ChineseAnalyzer()))
    raws = []
    for name, make in (("whoosh", lambda ix: ix.writer()), ("fast", segwriter.FastSegmentWriter)):
        ix = whoosh_index.create_in(str(tmp_path), schema, indexname=name)
        writer = make(ix)
        for n in range(300):  # more than one block of 128 postings for 稀土
            writer.add_document(body=f"稀土 第{n}条")
        writer.commit()
        reader = ix.reader()
        info = reader.term_info("body", "稀土".encode())
        assert not info.is_inlined() and info.doc_frequency() == 300
        assert list(reader.postings("body", "稀土".encode()).all_ids()) == list(range(300))
        offset, length = info.extent()
        length = length[0] if isinstance(length, tuple) else length
        raws.append(bytes(reader._terms._postfile.get(offset, length)))
        reader.close()
    whoosh_raw, fast_raw = raws
    assert len(fast_raw) < len(whoosh_raw)


def _columns(folder, names):
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        return {name: list(reader.column_reader(name)) for name in names if reader.has_column(name)}


SORTABLE = ("path", "hash", "stamp", "type", "section", "source", "issue", "year", "date")


def test_fast_writer_writes_the_columns_whooshs_writer_writes(documents, tmp_path):
    """Sortable values and field lengths are kept per column and written at flush: same columns."""
    whoosh_dir, fast_dir = _write_both(documents, tmp_path)
    expected, written = _columns(whoosh_dir, SORTABLE), _columns(fast_dir, SORTABLE)
    assert len(expected) == len(SORTABLE) and written == expected
    assert written["path"] == [d["path"] for d in documents]


@pytest.mark.parametrize("field", [ChineseField(analyzer=ChineseAnalyzer(), field_boost=3.0), BigramField()])
def test_add_postings_groups_what_index_yields(field, documents):
    """The word and bigram fields' grouped postings equal index()'s items, weights times the boost."""
    grouped, plain = {}, {}
    for docnum, document in enumerate(documents[:30]):
        text = document["title"] + "\n" + document["body"] + " Nd-Fe-B 鏑鐵 ＡＢＣ"
        length = field.add_postings(text, docnum, 2.0, grouped)
        expected = 0
        for tbytes, freq, weight, vbytes in field.index(text):
            plain.setdefault(tbytes, []).extend((docnum, weight * 2.0, vbytes))
            expected += freq
        assert length == expected
    assert grouped == plain
    assert field.add_postings(["not", "text"], 0, 1.0, {}) is None  # other values: Whoosh's path


def test_a_failed_document_leaves_no_column_value(tmp_path):
    folder = tmp_path / "ix"
    folder.mkdir()
    schema = Schema(id=ID(stored=True, sortable=True), body=TEXT(), n=NUMERIC(sortable=True))
    ix = whoosh_index.create_in(str(folder), schema)
    fast = segwriter.FastSegmentWriter(ix)
    fast.add_document(id="a", body="one two", n=1)
    with pytest.raises(ValueError):
        fast.add_document(id="b", body="three", n="not a number")  # fails after id's column value
    fast.add_document(id="c", body="four five six", n=3)
    fast.commit()
    with ix.reader() as reader:
        assert [reader.stored_fields(n)["id"] for n in range(reader.doc_count_all())] == ["a", "c"]
        assert list(reader.column_reader("id")) == ["a", "c"]
        assert list(reader.column_reader("n")) == [1, 3]
        assert [reader.doc_field_length(n, "body") for n in range(2)] == [2, 3]


def test_documents_and_a_merged_reader_in_one_writer_keep_columns_in_order(tmp_path):
    folder = tmp_path / "ix"
    folder.mkdir()
    schema = Schema(id=ID(stored=True, sortable=True), body=TEXT())
    ix = whoosh_index.create_in(str(folder), schema)
    first = segwriter.FastSegmentWriter(ix)
    for name in ("a", "b"):
        first.add_document(id=name, body=f"old text{name}")
    first.commit()
    both = segwriter.FastSegmentWriter(ix)
    both.add_document(id="c", body="new words here")
    both.commit(merge=False, optimize=True)  # merges the old segment's documents after "c"
    with ix.reader() as reader:
        ids = list(reader.column_reader("id"))
        assert sorted(ids) == ["a", "b", "c"] and len(reader.leaf_readers()) == 1
        assert [reader.stored_fields(n)["id"] for n in range(3)] == ids
        assert [reader.doc_field_length(n, "body") for n in range(3)] == [
            3 if name == "c" else 2 for name in ids
        ]
