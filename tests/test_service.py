"""kb/service.py on real fixtures: import, index, re-import, a failure half-way, progress, staging."""

import subprocess
import sys

import pytest
from conftest import BULLETIN, BULLETIN_TABS, BULLETIN_WRAPPED, ROOT, make_config

from kb.errors import ImportBusyError
from kb.indexer import status
from kb.journal import import_lock, pending
from kb.search import Searcher, SearchRequest
from kb.service import ImportRefusedError, ImportService


def snapshot(folder):
    """path -> bytes of every file under `folder` (hidden import leftovers included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ids_found(config, query):
    return [hit.id for hit in Searcher.open(config).search(SearchRequest(q=query, limit=50)).hits]


def test_import_then_update_makes_the_articles_searchable(tmp_path):
    config = make_config(tmp_path)
    service = ImportService(config)
    run = service.import_files([BULLETIN])
    assert run.ok and not run.failures
    articles = run.reviews[0].result.articles
    files = sorted((config.content_dir / "2024-01").glob("*.md"))
    assert len(files) == len(articles) == 8
    outcome = service.run_index("update", count=True)
    assert outcome.after == 8 and outcome.before == 0
    for article in articles:
        assert article.id in ids_found(config, f'"{article.title}"'), article.title


def test_a_reimport_of_the_same_issue_duplicates_nothing(tmp_path):
    config = make_config(tmp_path)
    service = ImportService(config)
    service.import_files([BULLETIN])
    service.run_index("update")
    before = snapshot(config.content_dir)
    again = service.import_files([BULLETIN])
    plan = again.reviews[0].plan
    assert set(plan.actions.values()) == {"unchanged"} and again.reviews[0].writes == []
    assert "未变 8" in again.summary()
    assert snapshot(config.content_dir) == before
    stats = service.run_index("update").stats
    assert stats["updated"] == 0 and stats["removed"] == 0
    assert status(config)["documents"] == 8
    title = again.reviews[0].result.articles[0].title
    assert ids_found(config, f'"{title}"').count(again.reviews[0].result.articles[0].id) == 1


FAILING_IMPORT = """
import resource, signal, sys
from kb.config import Config
from kb.errors import KbError
from kb import journal, storage  # imported before the limit: no cache file is written under it
from kb.service import ImportService
service = ImportService(Config(content_dir=sys.argv[1], index_dir=sys.argv[2]))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # the disk fills at the first larger file
try:
    service.import_files(sys.argv[4:])
except KbError as exc:
    print(exc.describe())
    sys.exit(1)
"""


def test_an_import_failing_half_way_leaves_content_and_the_live_index_as_they_were(tmp_path):
    config = make_config(tmp_path)
    service = ImportService(config)
    service.import_files([BULLETIN_WRAPPED])
    service.run_index("update")
    content_before, documents = snapshot(config.content_dir), status(config)["documents"]
    assert documents == len(content_before) and documents > 0
    # the size limit lets the first staged files through and stops at a later, larger one
    preview = service.import_files([BULLETIN, BULLETIN_TABS], dry_run=True)
    sizes = [len(text.encode("utf-8")) for review in preview.reviews for _, text in review.writes]
    k = next(i for i in range(1, len(sizes)) if sizes[i] > max(sizes[:i]))
    assert k >= 2, sizes
    failed = subprocess.run(
        [
            sys.executable,
            "-c",
            FAILING_IMPORT,
            str(config.content_dir),
            str(config.index_dir),
            str(max(sizes[:k]) + 1),
            str(BULLETIN),
            str(BULLETIN_TABS),
        ],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert failed.returncode == 1, failed.stderr
    assert "没有任何改动" in failed.stdout and "Traceback" not in failed.stderr
    assert snapshot(config.content_dir) == content_before
    assert not pending(config.content_dir)  # its staged files were removed, no journal left
    after = status(config)
    assert after["documents"] == documents and after["stale"] is False


def test_a_second_import_at_the_same_time_is_refused_before_it_reads(tmp_path):
    config = make_config(tmp_path)
    config.content_dir.mkdir()
    heard = []
    service = ImportService(config, progress=lambda stage, message: heard.append(stage))
    with import_lock(config.content_dir), pytest.raises(ImportBusyError):
        service.import_files([BULLETIN])
    assert heard == [] and snapshot(config.content_dir) == {}
    with import_lock(config.content_dir):  # a preview writes nothing, so it takes no lock
        assert service.import_files([BULLETIN], dry_run=True).reviews[0].plan.count("new") == 8


def test_progress_hears_every_stage_in_order(tmp_path):
    heard = []
    service = ImportService(make_config(tmp_path), progress=lambda *event: heard.append(event))
    service.import_files([BULLETIN, BULLETIN_TABS])
    assert [stage for stage, _ in heard] == ["read", "review", "read", "review", "write", "done"]
    assert heard[0][1] == str(BULLETIN) and heard[4][1] == "11 个文件"
    assert heard[-1][1] == "读取 2 个文件，失败 0 个；2024-01：新增 8；2022-08：新增 3。"
    heard.clear()
    outcome = service.run_index("rebuild", count=True)
    assert heard[-1] == ("done", outcome.message) and outcome.message.startswith("索引重建完成：共 11 篇")


def test_an_unreadable_file_is_a_failure_named_in_the_run_and_the_others_are_written(tmp_path):
    config = make_config(tmp_path)
    run = ImportService(config).import_files([tmp_path / "missing.txt", BULLETIN])
    assert not run.ok and len(run.failures) == 1 and "missing.txt" in run.failures[0]
    assert run.summary() == "读取 2 个文件，失败 1 个；2024-01：新增 8。"
    assert len(list((config.content_dir / "2024-01").glob("*.md"))) == 8


def test_a_staged_upload_is_pinned_and_removed_after_confirmation(tmp_path):
    config = make_config(tmp_path, staging_dir=tmp_path / "staging")
    service = ImportService(config)
    review, ticket, digest = service.stage_upload(BULLETIN.read_bytes(), "2024-01.txt")
    assert review.plan.count("new") == 8 and not review.must_confirm
    staged = config.staging / f"{ticket}.txt"
    with pytest.raises(ImportRefusedError, match="已过期或已被改动"):
        service.confirm_upload(ticket, "0" * 64)  # another digest than the one pinned
    written = service.confirm_upload(ticket, digest)
    assert written.written_message().startswith("已写入 content/2024-01/")
    assert not staged.exists() and len(list((config.content_dir / "2024-01").glob("*.md"))) == 8
    again, ticket, digest = service.stage_upload(
        BULLETIN.read_bytes().replace("稀土".encode(), b"XX", 1), "2024-01.txt"
    )
    if again.replaces:  # a changed article needs the staff member's tick
        with pytest.raises(ImportRefusedError, match="我已核对"):
            service.confirm_upload(ticket, digest)
        assert (config.staging / f"{ticket}.txt").exists()
