"""Whole-issue writes into content/: every file of an import lands, or none does.

commit() stages the files (a text of None removes its path) in a folder beside content/
(`.content-import/`, same file system), then writes a journal naming every move, then moves the
files in and removes the journal.  A crash before the journal exists leaves only the staging
folder: the next command removes it (rolled back).  A crash after it leaves the journal: the next
command finishes the moves (completed), as the staged files are whole by then.  recover() does
either; every kb command calls it first.

An import lock (`.content-import.lock`) keeps two imports from writing at once: the second is
refused with ImportBusyError.  Files get mode 0644, so a server running as another user reads them.
"""

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

from kb.errors import ImportBusyError, KbError, StorageError

FILE_MODE = 0o644


def _places(content_dir):
    content_dir = Path(content_dir)
    base = content_dir.parent / f".{content_dir.name}-import"
    return base, Path(f"{base}.json"), Path(f"{base}.lock")


def content_root(writes):
    """The content folder of a list of (content/<folder>/<id>.md, text) writes."""
    roots = {Path(path).parent.parent for path, _ in writes}
    if len(roots) != 1:
        raise KbError("one import writes into one content folder", hint=", ".join(map(str, roots)))
    return roots.pop()


def _disk_error(exc, what):
    from kb.storage import disk_error

    error = disk_error(exc, what)
    return StorageError(
        f"cannot write into {exc.filename or what}: {error.message}",
        path=None,
        hint="nothing was changed；content/ 没有任何改动，修正后再导入一次",
    )


@contextmanager
def import_lock(content_dir, wait=False):
    _, _, lock = _places(content_dir)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise _disk_error(exc, lock.parent) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise ImportBusyError(
                "另一个导入正在写入 content/", path=content_dir, hint="等它结束后再导入"
            ) from None
        from kb import storage

        storage._held[fd] = lock  # forked children let go of it too
        try:
            yield
        finally:
            storage._held.pop(fd, None)
    finally:
        os.close(fd)


def _fsync_dir(folder):
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(writes, content_dir=None, crash_after=None, locked=False):
    """Write every (path, text) or none.  `locked`: the caller holds import_lock() already (kb.service
    plans and writes under one lock).  `crash_after` ("staged", "journal", n moved) is for tests:
    the process exits there as if killed."""
    if not writes:
        return
    content_dir = Path(content_dir) if content_dir else content_root(writes)
    stage_root, journal, _ = _places(content_dir)
    with nullcontext() if locked else import_lock(content_dir):
        _recover_locked(content_dir)
        stage = stage_root / str(time.time_ns())
        moves = []
        try:
            stage.mkdir(parents=True)
            for n, (path, text) in enumerate(writes):
                if text is None:  # a removal: nothing to stage
                    moves.append((None, str(path)))
                    continue
                staged = stage / f"{n}.md"
                _write(staged, text)
                moves.append((str(staged), str(path)))
            _fsync_dir(stage)
            _crash_point(crash_after, "staged")
            tmp = Path(f"{journal}.tmp")
            tmp.write_text(
                json.dumps({"stage": str(stage), "moves": moves}, ensure_ascii=False), encoding="utf-8"
            )
            os.replace(tmp, journal)
            _fsync_dir(journal.parent)
        except OSError as exc:
            shutil.rmtree(stage, ignore_errors=True)
            Path(f"{journal}.tmp").unlink(missing_ok=True)
            raise _disk_error(exc, content_dir) from None
        _crash_point(crash_after, "journal")
        _apply(moves, crash_after)
        journal.unlink()
        shutil.rmtree(stage, ignore_errors=True)


def _crash_point(crash_after, where):
    if crash_after == where:
        os._exit(137)


def _apply(moves, crash_after=None):
    """Move staged files in (a move with no staged file removes its path); safe to repeat."""
    written = {path for staged, path in moves if staged is not None}
    for n, (staged, path) in enumerate(moves):
        if staged is None:
            if path not in written:
                Path(path).unlink(missing_ok=True)
        elif os.path.exists(staged):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, path)
        if crash_after == n + 1:
            os._exit(137)


def _recover_locked(content_dir):
    """Finish an import whose journal exists, drop staging without one; returns a message or None."""
    stage_root, journal, _ = _places(content_dir)
    message = None
    if journal.exists():
        try:
            moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
        except (OSError, ValueError, KeyError, TypeError):
            moves = None
        if moves is None:  # a journal cut short is never written: its import had not begun to move
            message = "撤销了上次中断的导入（日志不完整）"
        else:
            _apply(moves)
            message = f"完成了上次中断的导入：{len(moves)} 个文件已全部写入 content/"
        journal.unlink()
    Path(f"{journal}.tmp").unlink(missing_ok=True)
    if stage_root.is_dir() and any(stage_root.iterdir()):
        shutil.rmtree(stage_root, ignore_errors=True)
        message = message or "撤销了上次中断的导入：它暂存的文件已删除，content/ 没有改动"
    return message


def pending(content_dir):
    """True when an interrupted import left a journal or staged files."""
    stage_root, journal, _ = _places(content_dir)
    return journal.exists() or (stage_root.is_dir() and any(stage_root.iterdir()))


def recover(content_dir):
    """Roll an interrupted import back or forward (see the module docstring); a message or None.
    Does nothing while another import holds the lock."""
    if not pending(content_dir):
        return None
    try:
        with import_lock(content_dir):
            return _recover_locked(content_dir)
    except ImportBusyError:
        return None
