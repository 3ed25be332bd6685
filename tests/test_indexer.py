import multiprocessing
import shutil
import threading

import pytest
from conftest import CONTENT, copy_some_articles

from kb import engine
from kb.content import iter_paths, read_article
from kb.errors import IndexBusyError
from kb.indexer import build_lock, live_dir, open_live, rebuild, status, update
from kb.search import Searcher, SearchRequest


@pytest.fixture
def small(config):
    copy_some_articles(config)
    return config


def test_rebuild_swaps_in_a_complete_index(small):
    stats = rebuild(small)
    assert stats["documents"] == 6
    first = live_dir(small)
    rebuild(small)
    second = live_dir(small)
    assert first != second and not first.exists()
    assert status(small)["documents"] == 6 and status(small)["stale"] is False


def test_failed_build_keeps_the_live_index(small):
    rebuild(small)
    live = live_dir(small)
    before = Searcher.open(small).search(SearchRequest(q="稀土", limit=50))
    assert before.total > 0
    with pytest.raises(RuntimeError):
        rebuild(small, fail_after=3)
    assert live_dir(small) == live
    after = Searcher.open(small).search(SearchRequest(q="稀土", limit=50))
    assert [h.id for h in after.hits] == [h.id for h in before.hits] and after.total == before.total
    assert len(list((small.index_dir / "builds").iterdir())) == 1


def test_bad_document_is_reported_and_skipped(small):
    (small.content_dir / "2024-01" / "broken.md").write_text(
        "---\ntitle: [unclosed\n---\n正文", encoding="utf-8"
    )
    stats = rebuild(small)
    assert stats["documents"] == 6
    assert any("broken.md" in p for p in stats["problems"])


def test_update_adds_replaces_and_removes_only_changes(small):
    rebuild(small)
    files = sorted((small.content_dir / "2024-01").glob("*.md"))
    files[0].unlink()
    text = files[1].read_text(encoding="utf-8").replace("\n---\n", "\n---\n独一无二的测试词语甲乙丙。\n", 1)
    files[1].write_text(text, encoding="utf-8")
    assert status(small)["stale"] is True
    stats = update(small)
    assert stats == {**stats, "updated": 1, "removed": 1}
    searcher = Searcher.open(small)
    assert searcher.search(SearchRequest(q="甲乙丙")).total == 1
    assert searcher.current().doc_count() == 5


def test_second_build_is_refused_while_one_runs(small):
    rebuild(small)
    with build_lock(small):
        with pytest.raises(IndexBusyError):
            rebuild(small)


def test_searches_keep_answering_during_a_rebuild(small):
    rebuild(small)
    searcher = Searcher.open(small)
    errors, totals = [], []

    def hammer():
        try:
            for _ in range(30):
                totals.append(searcher.search(SearchRequest(q="稀土")).total)
        except Exception as exc:  # pragma: no cover - failure path is the assertion
            errors.append(exc)

    thread = threading.Thread(target=hammer)
    thread.start()
    rebuild(small)
    thread.join()
    assert not errors and all(t > 0 for t in totals)


@pytest.fixture
def whole(config):
    shutil.copytree(CONTENT, config.content_dir, dirs_exist_ok=True)
    return config


def test_parallel_build_finds_what_a_serial_build_finds(whole, tmp_path):
    serial = whole.with_overrides(index_dir=tmp_path / "serial", index_procs=1)
    parallel = whole.with_overrides(index_dir=tmp_path / "parallel", index_procs=2)
    assert "writers" not in rebuild(serial)  # one process: nothing forked
    stats = rebuild(parallel)
    assert stats["processes"] == 2 and stats["documents"] == len(iter_paths(CONTENT))
    writers = stats["writers"]  # when each forked writer ran: shows whether they overlapped
    assert sum(w["documents"] for w in writers) == stats["documents"] and len(writers) == 2
    assert all(0 <= w["from_s"] <= w["to_s"] <= stats["seconds"] + 0.01 and w["cpu_s"] > 0 for w in writers)
    searchers = Searcher.open(serial), Searcher.open(parallel)
    assert (
        len(searchers[1].current().reader().leaf_readers()) == 2
    )  # one segment per writer process, no merge
    for q in ("稀土", "钕铁硼 永磁", "GB/T 4137", '"稀土永磁"', "Dy"):
        serial_ids, parallel_ids = (
            [hit.id for hit in s.search(SearchRequest(q=q, limit=50)).hits] for s in searchers
        )
        assert serial_ids and sorted(serial_ids) == sorted(parallel_ids), q


def test_failed_parallel_build_stops_its_workers_and_keeps_the_live_index(whole):
    parallel = whole.with_overrides(index_procs=2)
    rebuild(parallel)
    live = live_dir(parallel)
    with pytest.raises(RuntimeError):
        rebuild(parallel, fail_after=40)
    assert live_dir(parallel) == live
    assert len(list((parallel.index_dir / "builds").iterdir())) == 1
    assert multiprocessing.active_children() == []  # no writer process left waiting for work


def test_updates_drop_emptied_segments_and_merge_a_full_tier(small, monkeypatch):
    import kb.engine.store

    monkeypatch.setattr(kb.engine.store, "MERGE_FANOUT", 3)
    rebuild(small)
    folder = small.content_dir / "2024-01"
    source = sorted(folder.glob("*.md"))[0].read_text(encoding="utf-8")

    def segments():
        return [(s.doc_count_all(), s.deleted_count()) for s in engine.segments(open_live(small))]

    extra = folder / "extra-gone.md"
    extra.write_text(source.replace("\nid: ", "\nid: extra-gone-", 1), encoding="utf-8")
    update(small)
    extra.unlink()
    assert update(small)["removed"] == 1
    assert segments() == [(6, 0)]  # the emptied one-document segment is gone, not merged
    merged = []
    for round_ in range(3):  # one segment per update; with the built one (6 documents) tier 1-9 fills
        (folder / f"extra-{round_}.md").write_text(
            source.replace("\nid: ", f"\nid: extra-{round_}-", 1), encoding="utf-8"
        )
        stats = update(small)
        assert stats["updated"] == 1 and stats["searchable_after"] <= stats["seconds"]
        merged.append(stats["segments_merged"])
    assert merged == [0, 3, 0] and sorted(segments()) == [(1, 0), (8, 0)]
    assert status(small)["stale"] is False
    searcher = Searcher.open(small)
    assert searcher.current().doc_count() == 9
    title = read_article(sorted(folder.glob("*.md"))[0]).title
    ids = {hit.id for hit in searcher.search(SearchRequest(q=f'"{title}"', limit=20)).hits}
    assert len([i for i in ids if i.startswith("extra-")]) == 3


def test_parallel_update_with_background_walk_matches_a_fresh_build(whole, tmp_path, monkeypatch):
    import kb.indexer

    monkeypatch.setattr(kb.indexer, "BACKGROUND_WALK_FROM", 0)  # walk content/ in a forked process
    monkeypatch.setattr(kb.indexer, "UPDATE_PARALLEL_FROM", 2)
    live = whole.with_overrides(index_procs=2)
    aside = tmp_path / "aside"
    shutil.move(str(live.content_dir / "2024-01"), aside)
    rebuild(live)
    shutil.move(str(aside), live.content_dir / "2024-01")
    edited = sorted((live.content_dir / "2022-08").glob("*.md"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "\n独一无二的测试词语甲乙丙。\n", encoding="utf-8")
    stats = update(live)
    assert stats["updated"] == len(list((live.content_dir / "2024-01").glob("*.md"))) + 1
    assert multiprocessing.active_children() == []
    fresh = whole.with_overrides(index_dir=tmp_path / "fresh", index_procs=1)
    rebuild(fresh)
    searchers = Searcher.open(live), Searcher.open(fresh)
    assert (
        searchers[0].current().doc_count() == searchers[1].current().doc_count() == len(iter_paths(CONTENT))
    )
    for q in ("稀土", "甲乙丙", "GB/T 4137", '"稀土永磁"', "Dy"):
        found = [sorted(hit.id for hit in s.search(SearchRequest(q=q, limit=100)).hits) for s in searchers]
        assert found[0] and found[0] == found[1], q
    # every live document's columns (relative path, digest, stamp, facets) as a fresh build has them
    assert _columns_by_id(searchers[0]) == _columns_by_id(searchers[1])


COLUMNS = ("path", "hash", "stamp", "type", "section", "source", "issue", "year", "date")


def _columns_by_id(searcher):
    """{id: (value of each column of COLUMNS)} of every live document, read as `kb index update` reads
    them (whole columns)."""
    out = {}
    for leaf, _ in searcher.current().leaf_searchers():
        reader = leaf.reader()
        values = [engine.column_values(reader, name) for name in COLUMNS]
        for docnum in reader.all_doc_ids():
            out[reader.stored_fields(docnum)["id"]] = tuple(column[docnum] for column in values)
    assert out and all(not row[0].startswith("/") and len(row[1]) == 40 for row in out.values())
    return out


def test_an_updates_documents_are_searchable_before_segments_are_merged(small, monkeypatch):
    import kb.indexer

    rebuild(small)
    folder = small.content_dir / "2024-01"
    source = sorted(folder.glob("*.md"))[0].read_text(encoding="utf-8")
    fresh = source.replace("\nid: ", "\nid: fresh-", 1) + "\n独一无二的更新词语。\n"
    (folder / "fresh.md").write_text(fresh, encoding="utf-8")
    seen = []

    def tidy(ix):  # what a search finds at the moment the merge would start
        found = Searcher.open(small).search(SearchRequest(q="独一无二的更新词语")).hits
        seen.extend(hit.id for hit in found)
        return 0

    monkeypatch.setattr(kb.indexer.engine, "tidy", tidy)
    stats = update(small)
    assert stats["updated"] == 1 and any(hit.startswith("fresh-") for hit in seen)
