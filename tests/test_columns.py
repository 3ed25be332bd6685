"""The per-document columns: facets dictionary-coded (kb/engine/coded.py), digests as raw bytes,
stamps packed, paths relative to content/ (kb/relpaths.py), and what reads them."""

import os
import shutil
from collections import Counter
from io import BytesIO

import numpy as np
import pytest
from conftest import CONTENT, make_config
from whoosh import index
from whoosh.columns import VarBytesColumn
from whoosh.fields import ID, Schema
from whoosh.filedb.structfile import BufferFile, StructFile
from whoosh.sorting import FieldFacet

from kb import indexer
from kb.engine import BulkSearcher, column_values, columns, store
from kb.engine.blocktext import BlockTextColumn
from kb.engine.coded import CodedColumn
from kb.engine.segwriter import FastSegmentWriter
from kb.relpaths import full_path, full_paths, stored_path
from kb.schema import FACETS, DigestColumn, StampColumn, layout, make_schema
from kb.search import FACET_FIELDS, Searcher, SearchRequest


def _round_trip(values, doccount=None):
    """`values` (bytes, None for a document without one) written by CodedColumn's writer and read
    back by its reader, value by value and whole."""
    doccount = len(values) if doccount is None else doccount
    out = StructFile(BytesIO())
    writer = CodedColumn().writer(out)
    for docnum, value in enumerate(values):
        if value is not None:
            writer.add(docnum, value)
    writer.finish(doccount)
    data = out.file.getvalue()
    reader = CodedColumn().reader(BufferFile(data), 0, len(data), doccount)
    return reader, data


@pytest.mark.parametrize("distinct", [3, 300, 70_000])
def test_a_coded_column_gives_back_every_value_with_the_narrowest_codes(distinct):
    values = [f"值{i % distinct:06d}".encode() for i in range(max(distinct, 1000))]
    values[5] = None  # no value: the default, b""
    values[7] = "稀土/ndfeb".encode()
    reader, data = _round_trip(values, doccount=len(values) + 2)  # two documents past the last add
    expected = [b"" if v is None else v for v in values] + [b"", b""]
    assert list(reader) == expected
    assert [reader[i] for i in range(len(expected))] == expected
    assert reader.values == sorted(set(expected))  # the table is sorted: a code is a rank
    assert reader.typecode == ("B" if distinct < 256 else "H" if distinct < 60_000 else "I")
    width = {"B": 1, "H": 2, "I": 4}[reader.typecode]
    table = sum(map(len, reader.values)) + len(reader.values) + 6  # values, one-byte lengths, footer
    assert len(data) == width * len(expected) + table


def test_a_coded_column_of_full_documents_keeps_no_empty_value():
    reader, _ = _round_trip([b"b", b"a", b"b"])
    assert reader.values == [b"a", b"b"] and list(reader) == [b"b", b"a", b"b"]
    reader, _ = _round_trip([None, None])
    assert reader.values == [b""] and list(reader) == [b"", b""]
    reader, _ = _round_trip([], doccount=0)
    assert list(reader) == []


@pytest.mark.parametrize("count", [0, 1, 127, 128, 129, 1000])
def test_a_block_text_column_gives_back_every_value(count):
    values = [f"{i // 7:04d}/稀土-{i}.md".encode() if i % 5 else b"" for i in range(count)]
    values += [b"x" * 70_000] if count == 1000 else []  # a value longer than a 2-byte length
    out = StructFile(BytesIO())
    writer = BlockTextColumn(block_docs=128).writer(out)
    for docnum, value in enumerate(values):
        if value:  # documents without a value are filled in as b""
            writer.add(docnum, value)
    writer.finish(len(values) + 3)
    data = out.file.getvalue()
    expected = values + [b""] * 3
    reader = BlockTextColumn().reader(BufferFile(data), 0, len(data), len(expected))
    assert list(reader) == expected
    assert [reader[i] for i in reversed(range(len(expected)))] == expected[::-1]
    joined, lengths = reader.whole()
    assert joined == b"".join(expected) and lengths.tolist() == list(map(len, expected))
    if count == 1000:
        assert len(data) < len(b"".join(values[:-1])) / 3  # neighbours deflated together


def _index_of(folder, documents, writer=None):
    schema = Schema(id=ID(stored=True), kind=ID(stored=True, sortable=CodedColumn()))
    ix = index.create_in(str(folder), schema)
    for batch in documents:
        w = FastSegmentWriter(ix) if writer == "fast" else ix.writer()
        for number, value in batch:
            w.add_document(id=str(number), **({"kind": value} if value is not None else {}))
        w.commit(merge=False)
    return ix


def test_codes_read_in_bulk_equal_whooshs_reader_and_survive_merges(tmp_path):
    batches = [[(0, "乙"), (1, None), (2, "甲")], [(3, "丙"), (4, "甲"), (5, "")]]
    for how in ("whoosh", "fast"):
        (tmp_path / how).mkdir()
        ix = _index_of(tmp_path / how, batches, how)
        with ix.searcher() as searcher:
            for leaf, _ in searcher.leaf_searchers():
                reader = leaf.reader()
                codes, values = columns.column_codes(reader, "kind")
                whoosh = list(reader.column_reader("kind", translate=True))
                assert [values[c] for c in codes.tolist()] == whoosh == columns.column_texts(reader, "kind")
                assert values == sorted(set(whoosh))
        writer = FastSegmentWriter(ix) if how == "fast" else ix.writer()
        writer.commit(optimize=True)  # one segment: the values are copied by Whoosh's add_reader
        with ix.searcher() as searcher:
            reader = searcher.reader()
            by_id = {reader.stored_fields(d)["id"]: reader.column_reader("kind")[d] for d in range(6)}
            assert by_id == {"0": "乙", "1": "", "2": "甲", "3": "丙", "4": "甲", "5": ""}


def test_whooshs_own_sort_by_a_coded_column_orders_by_value(tmp_path):
    ix = _index_of(tmp_path, [[(0, "2021-03-01"), (1, "2023-01-09")], [(2, None), (3, "2022-12-31")]])
    with ix.searcher() as searcher:
        from whoosh.query import Every

        for reverse in (False, True):
            hits = searcher.search(Every(), sortedby=FieldFacet("kind", reverse=reverse), limit=None)
            dates = [hit["kind"] if "kind" in hit else "" for hit in hits]
            assert dates == sorted(dates, reverse=reverse)


def test_a_digest_is_20_bytes_and_reads_back_as_its_hex():
    field = DigestColumn()
    digest = "0123456789abcdef0123456789abcdef01234567"
    raw = field.to_column_value(digest)
    assert len(raw) == 20 and field.from_column_value(raw) == digest
    assert field.to_column_value("") == bytes(20) and field.from_column_value(bytes(20)) == ""
    assert field.from_column_block(raw + bytes(20) + raw) == [digest, "", digest]
    with pytest.raises(ValueError):
        field.to_column_value("abc")


def test_a_stamp_is_two_packed_integers_and_an_unknown_one_never_matches():
    field = StampColumn()
    stamp = (1_733_222_222_123_456_789, 4321)
    raw = field.to_column_value(stamp)
    assert len(raw) == 12 and field.from_column_value(raw) == stamp
    assert field.from_column_value(field.to_column_value(None)) is None
    assert field.from_column_value(field.to_column_value((-5, 0))) == (-5, 0)  # before 1970, empty file
    huge = field.to_column_value((1, 1 << 33))  # 8 GiB: kept as unknown, so the file is hashed
    assert field.from_column_block(raw + huge) == [stamp, None]


def test_paths_are_kept_relative_and_joined_back(tmp_path):
    content = tmp_path / "content"
    inside = os.path.join(str(content), "2024-01", "稀土.md")
    assert stored_path(content, inside) == os.path.join("2024-01", "稀土.md")
    assert full_path(content, stored_path(content, inside)) == inside
    elsewhere = "/srv/other/a.md"
    assert stored_path(content, elsewhere) == elsewhere and full_path(content, elsewhere) == elsewhere
    assert stored_path(content, str(tmp_path / "contents" / "a.md")).startswith("/")  # not a prefix match
    assert full_paths(content, ["", "a/b.md", elsewhere]) == [
        "",
        os.path.join(str(content), "a/b.md"),
        elsewhere,
    ]


def test_the_built_index_keeps_small_columns_that_read_back_whole(built):
    schema = make_schema()
    assert all(type(schema[name].column_type) is CodedColumn for name in FACETS)
    assert type(schema["path"].column_type) is BlockTextColumn
    with Searcher.open(built).current() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            paths = column_values(reader, "path")
            assert paths and all(p and not os.path.isabs(p) and p.endswith(".md") for p in paths)
            one_by_one = reader.column_reader("path", translate=True)
            assert [one_by_one[d] for d in range(reader.doc_count_all())] == paths
            assert all(os.path.isfile(built.content_dir / p) for p in paths)
            stamps = column_values(reader, "stamp")
            for path, stamp in zip(paths, stamps, strict=True):
                st = os.stat(built.content_dir / path)
                assert stamp == (st.st_mtime_ns, st.st_size)


def test_facet_counts_equal_a_count_over_the_documents(built):
    searcher = Searcher.open(built)
    whoosh = searcher.current()
    bulk = BulkSearcher(whoosh)
    documents = [whoosh.stored_fields(d) for d in range(whoosh.doc_count_all())]
    every = np.arange(len(documents))
    facets = bulk.facets(every, FACETS, keep=10_000)
    for name in FACETS:
        expected = Counter(d.get(name, "") for d in documents)
        expected.pop("", None)
        assert dict(facets[name]) == dict(expected), name
    page = searcher.search(SearchRequest(q="稀土"))
    hits = searcher.search(SearchRequest(q="稀土", limit=100))
    assert page.total == hits.total <= 100
    ids = {h.id for h in hits.hits}
    for name in FACET_FIELDS:
        expected = Counter(d.get(name, "") for d in documents if d["id"] in ids)
        expected.pop("", None)
        shown = dict(page.facets[name])  # the 30 most frequent values of each facet
        assert shown.items() <= expected.items() and len(shown) == min(30, len(expected)), name
        left_out = [count for value, count in expected.items() if value not in shown]
        assert min(shown.values()) >= max(left_out, default=0), name


def test_filters_and_the_sort_by_date_read_the_codes(built):
    searcher = Searcher.open(built)
    whoosh = searcher.current()
    documents = {d["id"]: d for d in whoosh.all_stored_fields()}
    page = searcher.search(SearchRequest(q="稀土", sort="date", limit=100))
    dates = [documents[h.id].get("date", "") for h in page.hits]
    assert len(dates) > 5 and dates == sorted(dates, reverse=True)
    year = Counter(d.get("year") for d in documents.values() if d.get("year")).most_common(1)[0][0]
    filtered = searcher.search(SearchRequest(q="稀土", filters={"year": [year]}, limit=100))
    assert filtered.hits and all(documents[h.id]["year"] == year for h in filtered.hits)
    assert dict(filtered.facets["year"]) == {year: filtered.total}
    phrase = searcher.search(SearchRequest(q='"稀土"', sort="date", limit=100))  # Whoosh's own sort
    dates = [documents[h.id].get("date", "") for h in phrase.hits]
    assert len(dates) > 5 and dates == sorted(dates, reverse=True)


def _old_schema():
    """The schema before these columns: facets as plain VarBytes columns, hash and stamp as text."""
    from kb.schema import TextColumn

    schema = make_schema()
    for name in FACETS:
        schema[name].column_type = VarBytesColumn()
    schema.remove("hash")
    schema.remove("stamp")
    schema.add("hash", TextColumn())
    schema.add("stamp", TextColumn())
    return schema


def test_an_index_of_the_old_columns_answers_the_same_and_update_rebuilds_it(tmp_path, monkeypatch):
    config = make_config(tmp_path)
    shutil.copytree(CONTENT, config.content_dir)

    def old_document(article, to_document=indexer.to_document):
        document = to_document(article)
        document["stamp"] = "{}:{}".format(*document["stamp"])
        return document

    def absolute(paths, problems, notes=None, content_dir=None, read_all=indexer._read_all):
        yield from read_all(paths, problems, notes, None)  # paths kept whole, as before

    with monkeypatch.context() as patch:
        patch.setattr(indexer, "make_schema", _old_schema)
        patch.setattr(indexer, "to_document", old_document)
        patch.setattr(indexer, "_read_all", absolute)
        indexer.rebuild(config)
    old = Searcher.open(config)
    assert layout(old.current().schema) != layout(make_schema())
    queries = [SearchRequest(q="稀土", limit=20), SearchRequest(q="稀土", sort="date", limit=20)]
    before = [old.search(r) for r in queries]
    assert all(h.path.startswith(str(config.content_dir)) for h in before[0].hits)

    said = []
    indexer.update(config, progress=said.append)
    assert any("旧版" in message for message in said)
    new = Searcher.open(config)
    assert layout(new.current().schema) == layout(make_schema())
    after = [new.search(r) for r in queries]
    for a, b in zip(before, after, strict=True):
        assert a.total == b.total and a.facets == b.facets
        assert [(h.id, h.score, h.path, h.date) for h in a.hits] == [
            (h.id, h.score, h.path, h.date) for h in b.hits
        ]
    assert indexer.update(config)["updated"] == 0  # the rebuilt index matches content/ at once


def test_an_update_compares_relative_paths_with_the_walk(tmp_path):
    config = make_config(tmp_path)
    shutil.copytree(CONTENT, config.content_dir)
    indexer.rebuild(config)
    assert indexer.update(config)["updated"] == 0
    moved = make_config(tmp_path / "moved")  # the whole knowledge base moved: nothing to reindex
    (tmp_path / "moved").mkdir()
    shutil.move(str(config.content_dir), moved.content_dir)
    shutil.move(str(config.index_dir), moved.index_dir)
    stats = indexer.update(moved)
    assert stats["updated"] == 0 and stats["removed"] == 0
    victim = sorted(moved.content_dir.rglob("*.md"))[0]
    victim.unlink()
    stats = indexer.update(moved)
    assert stats["removed"] == 1
    with store.open_index(indexer.live_dir(moved)).searcher() as searcher:
        assert searcher.doc_count() == len(list(moved.content_dir.rglob("*.md")))
