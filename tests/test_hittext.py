"""A hit's body comes from its file in content/ (the index no longer stores it): the same results and
snippets as from a stored body, sensible hits for files changed after indexing, no path outside
content/."""

import os
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import CONTENT, make_config
from whoosh.formats import Frequency, Positions

from kb import indexer
from kb.content import iter_articles
from kb.hittext import MAX_INDEXED_CHARS, article_file, document_body, read_body
from kb.schema import GramCounts, VarintPositions, compact_document, make_schema
from kb.search import Searcher, SearchRequest

DEV = CONTENT.parent / "tests" / "data" / "dev-queries-content.yaml"
QUERIES = [q["q"] for q in yaml.safe_load(DEV.read_text(encoding="utf-8"))]
QUERIES += ["稀土", "钕铁硼 永磁", '"总量控制"', '"稀土 出口"', '"永磁 材料"', '"冶炼 分离" 指标']
QUERIES += ["专利 稀土"]
QUERIES += ["价格", "稀土 -价格", "钕铁朋 热变形", "工信部", "稀土永磁材枓", "冶练分离"]


def _previous_schema():
    """The schema of the kb before: bodies and paths stored, positions pickled by Whoosh's Positions,
    bigram counts repeated as values."""
    schema = make_schema()
    schema["body"].stored = schema["path"].stored = True
    for name in ("title", "body"):
        schema[name].format = Positions(field_boost=schema[name].format.field_boost)
    schema["grams"].format = Frequency(field_boost=1.0)
    return schema


def _page(searcher, q):
    page = searcher.search(SearchRequest(q=q, limit=20))
    return [(h.id, h.score, h.snippet, h.title, h.path) for h in page.hits], page.total, page.facets


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The shipped content indexed twice: as now (bodies read from content/, varint positions) and as
    the kb before wrote it (bodies stored, pickled positions), which must still answer the same."""
    root = tmp_path_factory.mktemp("hittext")
    shutil.copytree(CONTENT, root / "content")
    new = make_config(root, index_dir=root / "index-new")
    old = make_config(root, index_dir=root / "index-old")
    indexer.rebuild(new)
    patch = pytest.MonkeyPatch()
    patch.setattr(indexer, "make_schema", _previous_schema)
    try:
        indexer.rebuild(old)
    finally:
        patch.undo()
    return Searcher.open(new), Searcher.open(old)


def test_the_index_does_not_store_bodies_and_answers_as_if_it_did(both):
    new, old = both
    assert not new.current().schema["body"].stored and old.current().schema["body"].stored
    assert type(new.current().schema["body"].format) is VarintPositions
    assert type(old.current().schema["body"].format) is Positions
    assert type(new.current().schema["grams"].format) is GramCounts
    assert type(old.current().schema["grams"].format) is Frequency
    first = new.current().stored_fields(0)
    assert "body" not in first and "body" in old.current().stored_fields(0)
    assert "path" not in first and "path" in old.current().stored_fields(0)
    for q in QUERIES:
        assert _page(new, q) == _page(old, q), q


def test_the_body_read_is_the_body_indexed(both):
    new, old = both
    reader = old.current()
    for docnum in range(reader.doc_count_all()):
        stored = reader.stored_fields(docnum)
        assert (
            read_body(new.config.content_dir, {k: v for k, v in stored.items() if k != "body"})
            == (stored["body"])
        ), stored["id"]


def test_document_body_is_the_indexers_rule(tmp_path):
    for article in iter_articles(CONTENT):
        document = indexer.to_document(article)
        assert document_body(article.body, article.patents) == document.get("body", "")
    long = ("第一段。" * 1000 + "\n") * 400
    assert document_body(long, []) == indexer.indexed_body(long) and len(long) > MAX_INDEXED_CHARS


def test_a_file_deleted_or_edited_after_indexing_still_gives_a_hit(tmp_path):
    config = make_config(tmp_path)
    shutil.copytree(CONTENT, config.content_dir)
    indexer.rebuild(config)
    searcher = Searcher.open(config)
    hits = searcher.search(SearchRequest(q="钕铁硼", limit=3)).hits
    gone, edited, broken = (Path(h.path) for h in hits)
    assert all(path.is_relative_to(config.content_dir) for path in (gone, edited, broken))
    gone.unlink()
    head = edited.read_text(encoding="utf-8").split("\n---\n")[0]
    edited.write_text(head + "\n---\n\n今天改过的钕铁硼正文", encoding="utf-8")
    broken.write_text("---\nid: x\n", encoding="utf-8")  # the front matter never closes
    fresh = Searcher.open(config)  # nothing kept from before the changes
    page = fresh.search(SearchRequest(q="钕铁硼", limit=3))
    by_id = {h.id: h for h in page.hits}
    assert set(by_id) == {h.id for h in hits}  # the index still answers as built
    assert by_id[hits[0].id].snippet_text == hits[0].title  # gone: the title stands in
    assert by_id[hits[1].id].snippet_text == "今天改过的钕铁硼正文"  # edited: today's text
    assert by_id[hits[2].id].snippet_text == hits[2].title


def test_paths_outside_content_are_never_read(tmp_path):
    content = tmp_path / "content"
    (content / "2024-01").mkdir(parents=True)
    inside = content / "2024-01" / "a.md"
    inside.write_text("---\nid: a\ntitle: 甲\ntype: news\n---\n\n正文", encoding="utf-8")
    secret = tmp_path / "secret.md"
    secret.write_text("---\nid: s\n---\n\n机密", encoding="utf-8")
    (content / "2024-01" / "link.md").symlink_to(secret)
    assert article_file(content, str(inside)) == os.path.realpath(inside)
    assert article_file(content, "2024-01/a.md") == os.path.realpath(inside)  # relative to content/
    assert article_file(content, "/elsewhere/content/2024-01/a.md") == os.path.realpath(inside)  # moved
    outside = (str(secret), "../secret.md", "2024-01/../../secret.md", "2024-01/link.md", "/etc/passwd", "")
    for path in outside:
        assert article_file(content, path) is None, path
    assert read_body(content, {"path": str(secret)}) is None
    assert read_body(content, {"path": str(inside)}) == "正文"
    # the index keeps paths relative to content/ (kb.relpaths): read under content/, never above it
    assert read_body(content, {"path": "2024-01/a.md"}) == "正文"
    assert read_body(content, {"path": "2024-01/../../secret.md"}) is None
    assert read_body(content, {"path": "../secret.md"}) is None


@pytest.mark.parametrize("q", ['"冶炼 分离" 指标', '"稀土 出口"', '"永磁 材料"'])
def test_phrases_match_and_are_marked_with_varint_positions(both, q):
    new, _ = both
    page = new.search(SearchRequest(q=q))
    assert page.hits and page.parsed.count('"') >= 4  # a phrase query on title and body
    assert all("<mark>" in hit.snippet for hit in page.hits[:3])


def test_varint_positions_round_trip():
    fmt = VarintPositions(field_boost=3.0)
    for positions in ([0], [5], [127], [128], [3, 4, 200, 16_500, 3_000_000], list(range(0, 5000, 7))):
        value = fmt.encode(positions)
        assert fmt.decode_positions(value) == positions
        assert fmt.decode_frequency(value) == len(positions)
        assert fmt.decode_weight(value) == 3.0 * len(positions)
    assert fmt.encode([5]) == b"\x05" and fmt.encode([5, 300]) == b"\x05\xa7\x02"
    assert fmt.decode_positions(fmt.combine([fmt.encode([1, 9]), fmt.encode([4, 9])])) == [1, 4, 9]


def _weights(reader, term):
    matcher, out = reader.postings("grams", term), []
    while matcher.is_active():
        out.append((matcher.id(), matcher.weight(), matcher.value()))
        matcher.next()
    return out


def test_bigram_counts_are_weights_without_values(both):
    new, old = (searcher.current().reader() for searcher in both)
    grams = [term for field, term in new.all_terms() if field == "grams"]
    sample = grams[:: max(1, len(grams) // 300)] + ["稀土".encode()]
    for term in sample:
        now, before = _weights(new, term), _weights(old, term)
        assert [row[:2] for row in now] == [row[:2] for row in before]
        assert all(value is None for _, _, value in now)
    assert max(weight for _, weight, _ in _weights(new, "稀土".encode())) > 1  # counts, from the weights


def test_empty_values_are_not_stored_and_read_back_as_empty(both):
    new, _ = both
    reader = new.current()
    stored = [reader.stored_fields(n) for n in range(reader.doc_count_all())]
    assert all("" not in fields.values() and [] not in fields["meta"].values() for fields in stored)
    without = [n for n, fields in enumerate(stored) if "section" not in fields]
    assert without  # documents without a section: the column answers the empty string
    column = reader.reader().column_reader("section")
    assert all(column[n] == "" for n in without)
    document = {"id": "a", "title": "t", "type": "news", "path": "p", "hash": "h", "stamp": "", "date": ""}
    document["meta"] = {"issue": {"slug": "documents", "year": None}, "plans": [], "origin": {"lines": [1]}}
    assert compact_document(document) == {
        "id": "a",
        "title": "t",
        "type": "news",
        "path": "p",
        "hash": "h",
        "stamp": "",
        "meta": {"issue": {"slug": "documents"}, "origin": {"lines": [1]}},
    }


def test_without_a_path_the_file_is_found_by_its_id(tmp_path):
    content = tmp_path / "content"
    (content / "2024-01").mkdir(parents=True)
    (content / "2024-01" / "2024-01-aa.md").write_text("---\nid: 2024-01-aa\n---\n\n正文", encoding="utf-8")
    assert read_body(content, {"id": "2024-01-aa"}) == "正文"
    assert read_body(content, {"id": "*"}) is None and read_body(content, {"id": "../x"}) is None


def test_update_rebuilds_an_index_of_the_previous_layout_into_the_current_one(tmp_path):
    from kb.schema import layout

    config = make_config(tmp_path)
    shutil.copytree(CONTENT, config.content_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(indexer, "make_schema", _previous_schema)
        indexer.rebuild(config)
    assert layout(indexer.open_live(config).schema) != layout(make_schema())
    said = []
    indexer.update(config, said.append)
    assert layout(indexer.open_live(config).schema) == layout(make_schema())
    assert any("旧版" in message for message in said)
    assert indexer.update(config)["updated"] == 0  # the same layout now: an ordinary update
