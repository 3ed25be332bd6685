"""kill -9 of a build, an update and an import at several points: nothing lost, the lock taken
over, the next command consistent.  Concurrent builds and imports: one refused, none corrupted."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from kb import storage
from kb.config import load_config
from kb.indexer import build_lock, live_dir, open_live, rebuild
from kb.journal import import_lock
from reliability.helpers import ROOT, count_files, kb, python

# Runs a build or update in this child and SIGKILLs it at one point: after N documents went to
# the writer processes, or just before the swap.  KB_INDEX_PROCS=2 makes real writer processes.
KILLER = """
import os, signal, sys
from kb import indexer, storage
from kb.config import load_config
what, point = sys.argv[1], sys.argv[2]
config = load_config(os.environ, home=sys.argv[3])
die = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
if point == "swap":
    storage.swap = die
elif point == "commit":
    import whoosh.writing, whoosh.multiproc
    whoosh.multiproc.MpWriter.commit = die
    whoosh.writing.SegmentWriter.commit = die
else:
    real, seen = indexer.to_document, [0]
    def counting(article):
        seen[0] += 1
        if seen[0] > int(point):
            die()
        return real(article)
    indexer.to_document = counting
(indexer.rebuild if what == "build" else indexer.update)(config)
"""


def holders_alive(home):
    """Processes that still have the index lock open (writer processes that outlived their parent)."""
    return storage._holders(home / "index" / ".lock")


def wait_for_no_holders(home, seconds=5):
    deadline = time.time() + seconds
    while holders_alive(home) and time.time() < deadline:
        time.sleep(0.05)
    return holders_alive(home)


@pytest.mark.parametrize("point", ["3", "25", "commit", "swap"])
def test_kill_9_during_a_build_leaves_the_live_index_and_no_lock(home, point):
    config = load_config({}, home=str(home))
    rebuild(config)
    live, documents = live_dir(config), count_files(home / "content")
    (home / "content" / "2024-01" / "extra.md").write_text(
        "---\nid: extra\ntitle: 新增\ntype: news\n---\n\n正文。\n", encoding="utf-8"
    )
    killed = python(KILLER, "build", point, str(home), env={"KB_INDEX_PROCS": "2"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert wait_for_no_holders(home) == []  # the writer processes died with their parent
    assert live_dir(config) == live and open_live(config).doc_count() == documents
    status = json.loads(kb("--home", str(home), "index", "status", "--json").stdout)
    assert point in ("3", "25", "commit", "swap") and status["leftovers"], status  # the abandoned build
    again = kb("--home", str(home), "index", "build", env={"KB_INDEX_PROCS": "2"})
    assert again.returncode == 0, again.stderr
    assert "没有正常结束" in again.stderr and "清理了" in again.stderr
    assert open_live(config).doc_count() == documents + 1
    assert json.loads(kb("--home", str(home), "index", "status", "--json").stdout)["leftovers"] == []
    assert [p.name for p in (home / "index" / "builds").iterdir()] == [live_dir(config).name]


@pytest.mark.parametrize("point", ["0", "commit"])
def test_kill_9_during_an_update_keeps_the_index_readable(home, point):
    config = load_config({}, home=str(home))
    rebuild(config)
    documents = count_files(home / "content")
    for n in range(40):  # enough changed documents for parallel writers
        (home / "content" / "2024-01" / f"new-{n}.md").write_text(
            f"---\nid: new-{n}\ntitle: 新文章{n}\ntype: news\n---\n\n第{n}篇正文。\n", encoding="utf-8"
        )
    killed = python(KILLER, "update", point, str(home), env={"KB_INDEX_PROCS": "2"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert wait_for_no_holders(home) == []
    assert open_live(config).doc_count() == documents  # the commit never happened
    again = kb("--home", str(home), "index", "update")
    assert again.returncode == 0, again.stderr
    assert open_live(config).doc_count() == documents + 40
    found = json.loads(kb("--home", str(home), "search", "新文章7", "--json").stdout)
    assert "new-7" in [hit["id"] for hit in found["hits"]]


IMPORTER = """
import sys
from kb.content import plan_writes
from kb.importer import import_file
from kb.journal import commit
result = import_file(sys.argv[1])
_, writes = plan_writes(result.articles, sys.argv[2])
point = sys.argv[3]
commit(writes, crash_after=int(point) if point.isdigit() else point)
"""


@pytest.mark.parametrize("point, landed", [("staged", False), ("journal", True), ("3", True)])
def test_kill_9_during_an_import_writes_the_whole_issue_or_nothing(tmp_path, point, landed):
    from conftest import BULLETIN

    content = tmp_path / "kb" / "content"
    content.mkdir(parents=True)
    crashed = python(IMPORTER, str(BULLETIN), str(content), point)
    assert crashed.returncode == 137, crashed.stderr
    checked = kb("--home", str(tmp_path / "kb"), "check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert ("完成了上次中断的导入" if landed else "撤销了上次中断的导入") in checked.stderr
    assert count_files(content) == (8 if landed else 0)
    assert not any(
        p.name.startswith(".content-import") and p.is_dir() and any(p.iterdir())
        for p in (tmp_path / "kb").iterdir()
    )
    assert all(oct(p.stat().st_mode & 0o777) == "0o644" for p in content.rglob("*.md"))


def test_a_lock_held_by_orphans_of_a_dead_owner_is_taken_over(home):
    config = load_config({}, home=str(home))
    rebuild(config)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=False, text=True
    ).stdout.strip()
    orphan = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"""
import fcntl, json, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
os.ftruncate(fd, 0); os.write(fd, json.dumps({{"pid": {dead}, "command": "build"}}).encode())
print("held", flush=True)
time.sleep(60)
""",
            str(home / "index" / ".lock"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert orphan.stdout.readline().strip() == "held"
        result = kb("--home", str(home), "index", "build")
        assert result.returncode == 0, result.stderr
        assert "接管索引锁" in result.stderr and dead in result.stderr
        assert orphan.wait(10) == -signal.SIGKILL
    finally:
        if orphan.poll() is None:
            orphan.kill()
        orphan.stdout.close()


def test_a_lock_of_a_live_owner_is_refused_with_who_holds_it(home):
    config = load_config({}, home=str(home))
    rebuild(config)
    with build_lock(config, "update"):
        result = kb("--home", str(home), "index", "build")
        status = json.loads(kb("--home", str(home), "index", "status", "--json").stdout)
    assert result.returncode == 75 and "索引正忙" in result.stderr and str(os.getpid()) in result.stderr
    assert status["running"].startswith("update") and "Traceback" not in result.stderr


def test_concurrent_builds_one_runs_the_others_are_refused_none_corrupted(home):
    config = load_config({}, home=str(home))
    rebuild(config)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "kb", "--home", str(home), "index", "build"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert any(code == 0 for code, _ in results)
    assert all(code == 0 or (code == 75 and "索引正忙" in err) for code, err in results), results
    assert open_live(config).doc_count() == count_files(home / "content")
    assert len(list((home / "index" / "builds").iterdir())) == 1


def test_concurrent_import_is_refused_and_content_unchanged(tmp_path):
    from conftest import BULLETIN

    content = tmp_path / "kb" / "content"
    content.mkdir(parents=True)
    with import_lock(content):
        result = kb("--home", str(tmp_path / "kb"), "import", str(BULLETIN))
    assert result.returncode == 75 and "另一个导入正在写入" in result.stderr
    assert count_files(content) == 0
    assert kb("--home", str(tmp_path / "kb"), "import", str(BULLETIN)).returncode == 0
    assert count_files(content) == 8


def limited(max_bytes):
    """preexec_fn: files of this process may not grow past max_bytes (a full disk, as the writer sees
    it: EFBIG instead of ENOSPC)."""
    import resource

    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def test_a_full_disk_during_a_build_is_one_message_and_changes_nothing(home):
    config = load_config({}, home=str(home))
    rebuild(config)
    live = live_dir(config)
    result = kb("--home", str(home), "index", "build", preexec_fn=limited(20_000))
    assert result.returncode == 1, result.stderr
    assert "无法写入" in result.stderr and "没有改动" in result.stderr and "Traceback" not in result.stderr
    assert live_dir(config) == live and [p.name for p in (home / "index" / "builds").iterdir()] == [live.name]
    assert open_live(config).doc_count() == count_files(home / "content")


def test_a_full_disk_during_an_import_writes_nothing(tmp_path):
    from conftest import BULLETIN

    content = tmp_path / "kb" / "content"
    content.mkdir(parents=True)
    result = kb("--home", str(tmp_path / "kb"), "import", str(BULLETIN), preexec_fn=limited(1_000))
    assert result.returncode == 1 and "cannot write" in result.stderr and "Traceback" not in result.stderr
    assert count_files(content) == 0 and not (tmp_path / "kb" / ".content-import.json").exists()


def test_an_index_folder_that_cannot_be_created_is_one_message(home, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the index folder should be")
    result = kb("--home", str(home), "--index", str(blocker / "index"), "index", "build")
    assert result.returncode == 1 and "无法写入" in result.stderr and "Traceback" not in result.stderr
