"""The index folder's housekeeping: the build lock, writer processes that die with their parent,
leftovers of interrupted builds, and disk errors turned into one clear message.

Layout of index/: `current` (a link to the live build), `builds/<time_ns>/` (the live index; any
other folder there is an interrupted build), `state.json`, `.lock` (who holds the build lock).

* The lock is an flock on `.lock`; the holder writes its pid, command and start time into it.
  A forked writer process gives up its copy of the lock at fork (so the lock never outlives the kb
  process that took it) and is killed by the kernel when that process dies (PR_SET_PDEATHSIG).
  A lock still held although its owner is gone (writers of an older kb) is taken over: the
  processes that hold it are stopped, with a message.
* Whatever an interrupted build or update left (build folders never swapped in, temporary links,
  Whoosh's temporary folders and unreferenced segment files) is listed by leftovers() and removed
  by clean() under the lock, i.e. at the start of the next build or update.
"""

import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from kb import engine
from kb.errors import IndexBusyError, IndexMissingError, StorageError

CURRENT = "current"
BUILDS = "builds"
STATE = "state.json"
LOCK = ".lock"

_held = {}  # fd -> lock path, for every build lock this process holds
_parent = {"pid": None}
_PR_SET_PDEATHSIG = 1


def _after_fork_in_child():
    """In a forked child: let go of the parent's build locks; die when the parent dies."""
    if not _held:
        return
    for fd in list(_held):
        try:  # the lock belongs to the open file; pointing this fd elsewhere drops the child's share
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, fd)
            os.close(null)
        except OSError:
            pass
    _held.clear()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child is still bounded by its queue timeouts
        pass
    if _parent["pid"] is not None and os.getppid() != _parent["pid"]:
        os._exit(1)  # the parent died before prctl took effect


os.register_at_fork(after_in_child=_after_fork_in_child)


def disk_error(exc, what):
    """A StorageError for an OSError met while writing `what` (a folder or file)."""
    reasons = {
        errno.ENOSPC: "磁盘已满",
        errno.EDQUOT: "磁盘配额已用完",
        errno.EFBIG: "文件超出允许的大小",
        errno.EROFS: "文件系统是只读的",
        errno.EACCES: "没有写入权限",
        errno.EPERM: "没有写入权限",
        errno.ENOTDIR: "路径中有一个文件挡住了文件夹",
        errno.ENOENT: "文件夹不存在",
    }
    reason = reasons.get(exc.errno, exc.strerror or str(exc))
    return StorageError(
        f"无法写入：{reason}",
        path=exc.filename or what,
        hint="现有的索引和 content/ 都没有改动；腾出空间或修正权限后再运行一次",
    )


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(path):
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def _holders(path):
    """Pids of the processes that have `path` open (Linux /proc), this one left out."""
    target = os.path.realpath(path)
    pids = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{entry}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink(f"/proc/{entry}/fd/{fd}") == target:
                    pids.append(int(entry))
                    break
            except OSError:
                continue
    return pids


def _take_over(path, fd, owner, say):
    """The lock is held but its owner is dead: stop the orphans that hold it, then take it."""
    orphans = [pid for pid in _holders(path) if pid != owner.get("pid")]
    for pid in orphans:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            say(
                f"接管索引锁：上一次的 {owner.get('command', '任务')}（进程 {owner.get('pid')}）已不在，"
                f"停止了它遗留的 {len(orphans)} 个写入进程"
            )
            return True
        except BlockingIOError:
            time.sleep(0.05)
    return False


@contextmanager
def build_lock(root, command="build", say=None):
    """Hold the index's build lock for `command`; IndexBusyError when a live process holds it."""
    say = say or (lambda message: None)
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise disk_error(exc, root) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = _owner(root / LOCK)
            if not owner.get("pid") or _alive(owner["pid"]) or not _take_over(root / LOCK, fd, owner, say):
                who = (
                    f"（{owner.get('command', '任务')}，进程 {owner.get('pid')}，"
                    f"开始于 {owner.get('started')}）"
                    if owner.get("pid")
                    else ""
                )
                raise IndexBusyError(
                    f"索引正忙：另一个建索引或更新任务正在运行{who}", path=root, hint="等它结束后再试"
                ) from None
        else:
            owner = _owner(root / LOCK)
            if owner.get("pid") and owner["pid"] != os.getpid() and not _alive(owner["pid"]):
                say(
                    f"上一次的 {owner.get('command', '任务')}（进程 {owner['pid']}）没有正常结束；"
                    "已接管索引锁并清理它留下的文件"
                )
        stamp = json.dumps(
            {"pid": os.getpid(), "command": command, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        ).encode()
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, stamp, 0)
        except OSError:
            pass  # a full disk must not stop the lock itself; the owner line is advisory
        _held[fd] = root / LOCK
        _parent["pid"] = os.getpid()
        try:
            yield
        finally:
            _held.pop(fd, None)
            try:
                os.ftruncate(fd, 0)
            except OSError:
                pass
    finally:
        os.close(fd)


def lock_owner(root):
    """The holder of the build lock as a dict (pid, command, started), or None when it is free."""
    path = Path(root) / LOCK
    if not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _owner(path) or {"pid": None}
    finally:
        os.close(fd)
    return None


def _state(root):
    try:
        return json.loads((Path(root) / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def leftovers(root):
    """Paths an interrupted build or update left in index/ (nothing is removed here)."""
    root = Path(root)
    found = []
    if not root.is_dir():
        return found
    link = root / CURRENT
    live = link.resolve() if link.is_symlink() and link.exists() else None
    keep = {live}
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".current-") or entry.name.endswith(".tmp"):
            found.append(entry)
    builds = root / BUILDS
    if builds.is_dir():
        found.extend(entry for entry in sorted(builds.iterdir()) if entry.resolve() not in keep)
    if live is not None:
        found.extend(_stray_files(live))
    return found


def _stray_files(folder):
    """Whoosh temporary folders and files of segments no TOC names, inside one index folder."""
    import re

    toc = engine.toc_segments(folder)
    if toc is None:
        return []
    segments, generation = toc
    stray = []
    for entry in sorted(Path(folder).iterdir()):
        name = entry.name
        if name.endswith(".tmp") or re.fullmatch(r"_MAIN_\d+\.toc\..+", name):
            stray.append(entry)
            continue
        toc_match = re.fullmatch(r"_MAIN_(\d+)\.toc", name)
        if toc_match:
            if int(toc_match.group(1)) != generation:
                stray.append(entry)
            continue
        segment = re.match(r"(MAIN_[0-9a-z]+)[.][A-Za-z0-9_.]+", name)
        if segment and segment.group(1) not in segments:
            stray.append(entry)
    return stray


def clean(root, say=None):
    """Remove leftovers(); call only while holding the build lock.  Returns how many were removed."""
    say = say or (lambda message: None)
    removed = 0
    for path in leftovers(root):
        try:
            if path.is_symlink() or path.is_file():
                path.unlink()
            else:
                shutil.rmtree(path)
            removed += 1
        except OSError:
            continue
    if removed:
        say(f"清理了上次中断的任务留下的 {removed} 个临时文件或文件夹")
    return removed


def swap(root, target):
    """Point `current` at `target` atomically, then remove every other build.  Searchers that hold
    the old one open keep reading their open files; one that meets the removed folder reopens
    `current` (kb.search.Searcher.current)."""
    root = Path(root)
    link = root / CURRENT
    old = link.resolve() if link.is_symlink() else None
    tmp = root / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(Path(BUILDS) / target.name)
    os.replace(tmp, link)
    for entry in (root / BUILDS).iterdir():
        if entry.name != target.name:
            shutil.rmtree(entry, ignore_errors=True)
    return old.name if old is not None else None


def write_state(root, state):
    tmp = Path(root) / f".{STATE}.tmp"
    try:
        tmp.write_text(json.dumps(state, ensure_ascii=False))
        os.replace(tmp, Path(root) / STATE)
    except OSError:  # the index is already live; the state file only reports when it was built
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------ the live index


def current_target(config):
    """Where the `current` link points (a readlink, no folder listing), or None."""
    link = Path(config.index_dir) / CURRENT
    return link.resolve() if link.is_symlink() and link.exists() else None


def live_dir(config):
    """The folder of the live index, or None: the link's target, checked to hold an index."""
    target = current_target(config)
    return target if target is not None and engine.exists(target) else None


def open_live(config, target=None):
    live = target or live_dir(config)
    if live is None:
        raise IndexMissingError("there is no index yet", path=config.index_dir, hint="run `kb index build`")
    return engine.open_index(live)
