"""`kb index update` in two phases (kb/walk.py, kb.indexer.update): what the folders' times show is
committed first, the full walk catches everything else in the same run."""

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, copy_some_articles

import kb.engine.parallel
import kb.indexer
from kb import walk
from kb.engine import columns
from kb.indexer import open_live, rebuild, status, update
from kb.relpaths import full_paths
from kb.search import Searcher, SearchRequest

WORD = "独一无二的分期词语"


@pytest.fixture
def small(config):
    copy_some_articles(config)
    rebuild(config)
    return config


def _article(small, name, folder, word=WORD):
    """A new article (a copy of a shipped one with its own id and `word`) at folder/name."""
    source = sorted((small.content_dir / "2024-01").glob("*.md"))[0].read_text(encoding="utf-8")
    text = source.replace("\nid: ", f"\nid: {name}-", 1) + f"\n{word}。\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def _found(small, word=WORD):
    return sorted(hit.id for hit in Searcher.open(small).search(SearchRequest(q=word, limit=50)).hits)


@pytest.fixture
def before_full_walk(small, monkeypatch):
    """What a search finds at the moment the full walk starts, i.e. after the quick phase's commit."""
    seen = []
    full_walk = walk.full_walk

    def watching(content_dir):
        seen.append(_found(small))
        return full_walk(content_dir)

    monkeypatch.setattr(walk, "full_walk", watching)
    return seen


def test_new_articles_in_a_new_folder_are_searchable_before_the_full_walk(small, before_full_walk):
    for i in range(3):
        _article(small, f"new{i}", small.content_dir / "2099-01")
    stats = update(small)
    assert stats["updated"] == 3 and stats["found_by_folders"] == 3
    assert [[hit.split("-")[0] for hit in seen] for seen in before_full_walk] == [["new0", "new1", "new2"]]
    assert stats["first_searchable_after"] <= stats["searchable_after"] <= stats["seconds"]
    assert len(_found(small)) == 3 and status(small)["stale"] is False


def _ids(small):
    with open_live(small).searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def test_a_new_sub_folder_deep_down_is_found_by_the_quick_phase(small, before_full_walk):
    _article(small, "deep", small.content_dir / "2024-01" / "extra" / "more")
    stats = update(small)
    assert stats["found_by_folders"] == 1 and len(before_full_walk[0]) == 1
    assert _found(small)[0].startswith("deep-")


def test_a_deleted_article_goes_in_the_quick_phase(small, before_full_walk):
    doomed = sorted((small.content_dir / "2024-01").glob("*.md"))[2]
    doomed_id = next(
        line[4:] for line in doomed.read_text(encoding="utf-8").splitlines() if line[:4] == "id: "
    )
    doomed.unlink()
    stats = update(small)
    assert stats == {**stats, "removed": 1, "updated": 0, "found_by_folders": 1}
    assert open_live(small).doc_count() == 5 and doomed_id not in _ids(small) and len(_ids(small)) == 5


def test_a_renamed_article_is_moved_in_the_quick_phase(small, before_full_walk):
    first = sorted((small.content_dir / "2024-01").glob("*.md"))[0]
    _article(small, "renamed", small.content_dir / "2024-01", word="改名之前的词语")
    update(small)
    old = small.content_dir / "2024-01" / "renamed.md"
    new = small.content_dir / "2024-01" / "zz-renamed.md"
    old.rename(new)
    stats = update(small)
    assert stats == {**stats, "updated": 1, "removed": 1, "found_by_folders": 2}
    with open_live(small).searcher() as searcher:
        paths = set()
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            texts = columns.column_texts(reader, "path")
            paths |= {texts[docnum] for docnum in reader.all_doc_ids()}
    assert "2024-01/zz-renamed.md" in paths  # kept relative to content/ (kb.relpaths)
    paths = set(full_paths(small.content_dir, paths))
    assert str(new) in paths and str(old) not in paths and str(first) in paths
    assert len(_found(small, "改名之前的词语")) == 1


def test_an_article_edited_in_place_is_caught_by_the_full_walk(small, before_full_walk):
    path = sorted((small.content_dir / "2024-01").glob("*.md"))[1]
    folder_time = os.stat(path.parent).st_mtime_ns
    path.write_text(path.read_text(encoding="utf-8") + f"\n{WORD}。\n", encoding="utf-8")
    assert os.stat(path.parent).st_mtime_ns == folder_time  # an edit in place leaves the folder alone
    stats = update(small)
    assert stats == {**stats, "updated": 1, "removed": 0, "found_by_folders": 0}
    assert before_full_walk == [[]] and len(_found(small)) == 1


def test_an_article_added_within_the_same_clock_tick_is_caught_by_the_full_walk(small, before_full_walk):
    """The folder's time is the recorded one although an article was added (a coarse clock, or two
    writes within one tick): the quick phase sees nothing, the full walk of the same run adds it."""
    folder = small.content_dir / "2024-01"
    recorded = os.stat(folder).st_mtime_ns
    _article(small, "sametick", folder)
    os.utime(folder, ns=(recorded, recorded))
    stats = update(small)
    assert stats == {**stats, "updated": 1, "found_by_folders": 0}
    assert before_full_walk == [[]] and len(_found(small)) == 1


def test_a_folder_time_set_back_by_the_clock_still_counts_as_moved(small, before_full_walk):
    folder = small.content_dir / "2024-01"
    recorded = os.stat(folder).st_mtime_ns
    _article(small, "backwards", folder)
    os.utime(folder, ns=(recorded - 3_600_000_000_000, recorded - 3_600_000_000_000))  # an hour back
    stats = update(small)
    assert stats == {**stats, "updated": 1, "found_by_folders": 1} and len(before_full_walk[0]) == 1


def test_a_file_time_set_back_is_still_an_edit(small):
    path = sorted((small.content_dir / "2024-01").glob("*.md"))[3]
    before = os.stat(path)
    path.write_text(path.read_text(encoding="utf-8") + f"\n{WORD}。\n", encoding="utf-8")
    back = before.st_mtime_ns - 86_400_000_000_000  # a day before the indexed version
    os.utime(path, ns=(back, back))
    stats = update(small)
    assert stats["updated"] == 1 and len(_found(small)) == 1


def test_without_recorded_folder_times_the_full_walk_does_everything(small, before_full_walk):
    os.unlink(os.path.join(open_live(small).storage.folder, walk.FOLDERS_FILE))
    _article(small, "unrecorded", small.content_dir / "2099-02")
    stats = update(small)
    assert stats == {**stats, "updated": 1, "found_by_folders": 0, "first_searchable_after": None}
    assert before_full_walk == [[]] and len(_found(small)) == 1
    assert walk.load(open_live(small).storage.folder, small.content_dir) is not None  # recorded again


def test_a_quick_phase_that_fails_leaves_the_index_as_it_was(small, monkeypatch):
    _article(small, "broken", small.content_dir / "2099-03")
    before = open_live(small).latest_generation()

    def failing(share, log):
        raise RuntimeError("simulated failure while writing")
        yield

    monkeypatch.setattr(kb.indexer, "_documents", failing)
    with pytest.raises(RuntimeError):
        update(small)
    assert open_live(small).latest_generation() == before and _found(small) == []
    monkeypatch.undo()
    assert update(small)["updated"] == 1 and len(_found(small)) == 1


def test_quick_look_and_new_and_removed_on_a_tree(tmp_path):
    root = tmp_path / "c"
    (root / "a").mkdir(parents=True)
    (root / "a" / "one.md").write_text("1")
    (root / "a" / "two.md").write_text("2")
    (root / "b").mkdir()
    (root / "b" / "three.md").write_text("3")
    stamps, recorded = walk.full_walk(root)
    assert sorted(stamps) == sorted(str(p) for p in root.rglob("*.md"))
    assert recorded[str(root / "a")][1] == 2 and recorded[str(root)][1] == 0
    indexed = set(stamps)
    assert walk.quick_look(root, recorded) == ({}, [])
    (root / "a" / "two.md").unlink()
    (root / "a" / "four.md").write_text("4")
    (root / "a" / ".hidden.md").write_text("h")
    (root / "a" / "notes.txt").write_text("t")
    shutil.rmtree(root / "b")
    (root / "new" / "deeper").mkdir(parents=True)
    (root / "new" / "deeper" / "five.md").write_text("5")
    listed, gone = walk.quick_look(root, recorded)
    assert gone == [str(root / "b")]
    assert listed[str(root / "a")] == {str(root / "a" / "one.md"), str(root / "a" / "four.md")}
    assert listed[str(root / "new" / "deeper")] == {str(root / "new" / "deeper" / "five.md")}
    new, removed = walk.new_and_removed(listed, gone, recorded, lambda: indexed)
    assert new == sorted([str(root / "a" / "four.md"), str(root / "new" / "deeper" / "five.md")])
    assert removed == sorted([str(root / "a" / "two.md"), str(root / "b" / "three.md")])


def test_new_folders_only_need_no_look_at_the_index(tmp_path):
    root = tmp_path / "c"
    root.mkdir()
    _, recorded = walk.full_walk(root)
    (root / "n").mkdir()
    (root / "n" / "x.md").write_text("x")

    def index_not_needed():
        raise AssertionError("the index was read")

    listed, gone = walk.quick_look(root, recorded)
    assert walk.new_and_removed(listed, gone, recorded, index_not_needed) == ([str(root / "n" / "x.md")], [])


def test_recorded_folder_times_belong_to_one_content_folder(tmp_path):
    walk.save(tmp_path, "/somewhere/content", {"/somewhere/content": [5, 0]})
    assert walk.load(tmp_path, "/somewhere/content") == {"/somewhere/content": [5, 0]}
    assert walk.load(tmp_path, "/elsewhere/content") is None
    (tmp_path / walk.FOLDERS_FILE).write_text(json.dumps({"content": "/x", "folders": {"/x": "bad"}}))
    assert walk.load(tmp_path, "/x") is None
    (tmp_path / walk.FOLDERS_FILE).write_text("{not json")
    assert walk.load(tmp_path, "/x") is None


def test_whole_column_reads_match_whooshs_reader(tmp_path):
    """The direct read of a column's file gives what Whoosh's own reader gives, with offsets stored or
    not, empty and non-ASCII values included."""
    from whoosh import fields, index
    from whoosh.columns import VarBytesColumn

    schema = fields.Schema(
        key=fields.ID(stored=True, sortable=VarBytesColumn(write_offsets_cutoff=3)),
        name=fields.ID(sortable=True),
    )
    ix = index.create_in(str(tmp_path), schema)
    writer = ix.writer()
    values = ["甲/稀土.md", "", "b", "ccc", "", "丁"]
    for i, value in enumerate(values):
        writer.add_document(key=f"k{i}{value}", **({"name": value} if value else {}))
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        for field in ("key", "name"):
            assert columns._varbytes(reader, field) is not None
            direct = columns.column_texts(reader, field)
            whoosh = [columns._text(v) for v in reader.column_reader(field, translate=False)]
            assert direct == whoosh
        assert columns.column_texts(reader, "name") == values


def test_the_update_command_imports_no_numpy_before_its_first_commit(tmp_path):
    code = "import sys, kb.cli, kb.service, kb.indexer, kb.walk; print('numpy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.strip() == "False", out.stderr


def test_two_writers_of_the_quick_phase_load_the_user_dictionary(small, monkeypatch, tmp_path):
    """With a core to spare the quick phase writes in two processes that load the dictionary
    themselves: a word of the user dictionary is indexed whole by both."""
    userdict = tmp_path / "userdict.txt"
    userdict.write_text("钕镨铽镝合金 100 n\n", encoding="utf-8")
    custom = small.with_overrides(userdict=userdict)
    monkeypatch.setattr(kb.indexer, "_idle_core", lambda: True)
    monkeypatch.setattr(kb.indexer, "QUICK_PARALLEL_FROM", 2)
    writers = []
    run_children = kb.engine.parallel._run_children

    def counting(ix, shares, *args):
        writers.append(len(shares))
        return run_children(ix, shares, *args)

    monkeypatch.setattr(kb.engine.parallel, "_run_children", counting)
    for i in range(4):
        _article(small, f"dict{i}", small.content_dir / "2099-04", word="钕镨铽镝合金")
    stats = update(custom)
    assert stats["found_by_folders"] == 4 and writers == [2]
    with open_live(custom).searcher() as searcher:
        assert searcher.doc_frequency("body", "钕镨铽镝合金") == 4


def test_the_segmenter_loads_one_dictionary_not_rjiebas_default_too():
    """rjieba's package builds a default instance at import; kb loads the compiled module alone."""
    pytest.importorskip("rjieba")
    code = (
        "import sys; from kb.analysis import segmenter; s = segmenter(); "
        "print(type(s).__name__, 'rjieba' in sys.modules, [w for w, *_ in s.tokenize('稀土永磁材料')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.stdout.split(" ", 2)[:2] == ["RustSegmenter", "False"], out.stderr
    assert "稀土" in out.stdout


def test_the_full_walk_finds_what_the_build_lists(tmp_path):
    """walk.full_walk and kb.content (what a build indexes) agree on hidden files and folders,
    other suffixes and links."""
    from kb.content import iter_paths, stamps

    root = tmp_path / "c"
    (root / "a" / "b").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.md").write_text("x")
    (root / "a" / "one.md").write_text("1")
    (root / "a" / "b" / "two.md").write_text("2")
    (root / "a" / "three.txt").write_text("3")
    (root / "a" / ".four.md").write_text("4")
    (root / "linked").symlink_to(root / "a")
    (root / "a" / "five.md").symlink_to(root / "a" / "one.md")
    walked, folders = walk.full_walk(root)
    assert sorted(walked) == iter_paths(root) and walked == stamps(root)
    assert sorted(folders) == sorted(str(p) for p in (root, root / "a", root / "a" / "b"))
