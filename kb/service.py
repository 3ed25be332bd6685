"""One import sequence for every adapter: stage → review → write → update the index.

The CLI (`kb import`, `kb index update|build`), the admin page (upload → staged review → confirm →
index job) and the benchmark's import step all go through this module; they only parse their
arguments and render what it returns.  A fix made here (a lock, a message, a cleanup) reaches all
three.  It knows nothing of click or Flask.

    service = ImportService(config, progress=lambda stage, message: ...)
    run = service.import_files(paths, dry_run=False)  # read + review + write, whole issue or nothing
    outcome = service.run_index("update")              # kb.indexer.update, with a staff message

Stages reported to `progress(stage, message)`: "read" (a file is read and split), "review" (its
writes are planned against content/), "write" (the files move in under kb.journal), "index" (the
indexer's own progress lines), "done".

Locking: a write takes the import lock (kb.journal) *before* planning, so what is written is what
was planned against the content/ it finds; a second import at the same time is refused
(ImportBusyError, exit 75 / HTTP 409) before it reads anything.  A preview (dry run, upload review)
takes no lock.  The index job holds the indexer's own build lock (kb.indexer).

Staging (uploads awaiting their confirmation) lives in a private folder (0700, files 0600, never
through a link), each upload pinned by its SHA-256, removed after confirmation or after STAGING_TTL.
"""

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kb.content import plan_writes
from kb.errors import KbError
from kb.journal import commit, import_lock
from kb.report import action_summary, index_progress, index_summary, issue_label

STAGES = ("read", "review", "write", "index", "done")
STAGING_TTL = 3600  # seconds an upload waits for its confirmation


class ImportRefusedError(KbError):
    """An import the staff member must redo or confirm first (expired upload, unnamed issue, an
    unconfirmed replacement); nothing was written."""

    http_status = 400


@dataclass
class Review:
    """One file read and planned: what the review shows, and the writes it would make."""

    result: object  # kb.importer.ImportResult
    plan: object = None  # kb.content.WriteReport; None when the file must not be written
    writes: list = field(default_factory=list)
    text: str = ""  # the text read (what an upload stages)

    @property
    def errors(self):
        return self.result.errors

    @property
    def replaces(self):
        """True when writing would change, overwrite or remove a file already in content/."""
        plan = self.plan
        return bool(plan) and (
            any(a in ("changed", "overwritten") for a in plan.actions.values()) or bool(plan.removed)
        )

    @property
    def must_confirm(self):
        """The review asks for 我已核对 before this is written (it replaces or leaves stale files)."""
        return self.replaces or bool(self.plan and self.plan.stale)

    def written_message(self):
        """What staff read once the issue is written (admin page)."""
        issue = self.result.issue
        return (
            f"已写入 content/{issue.slug}/（{issue_label(issue)}）：{action_summary(self.plan)}。"
            "下一步：更新索引，新文章才能检索到。"
        )


@dataclass
class ImportRun:
    """Every file of one `kb import` (or one bench import step)."""

    reviews: list = field(default_factory=list)
    failures: list = field(default_factory=list)  # files that could not be read: messages
    dry_run: bool = False
    seconds: dict = field(default_factory=dict)  # stage -> seconds spent in it

    @property
    def results(self):
        return [review.result for review in self.reviews]

    @property
    def reports(self):
        return [review.plan for review in self.reviews]

    @property
    def refused(self):
        """Files read whose issue cannot be named: never written."""
        return sum(1 for review in self.reviews if review.errors)

    @property
    def ok(self):
        return not self.failures and not self.refused

    def summary(self):
        """`读取 2 个文件，失败 0 个；2024-01：新增 8。` (the last line of `kb import`)."""
        read, failed = len(self.reviews) + len(self.failures), len(self.failures) + self.refused
        text = f"读取 {read} 个文件，失败 {failed} 个"
        for review in self.reviews:
            if review.plan:
                text += f"；{review.result.issue.slug}：{action_summary(review.plan)}"
        return text + ("（预览，未写入）" if self.dry_run else "") + "。"


@dataclass
class IndexOutcome:
    action: str  # update | rebuild
    stats: dict
    before: int | None  # documents before and after (None when not counted)
    after: int | None

    @property
    def message(self):
        if self.before is None or self.after is None:
            return "，".join(f"{k}: {v}" for k, v in self.stats.items() if k != "problems")
        return index_summary(self.action, self.stats, self.before, self.after)


def _quiet(stage, message):
    return None


class ImportService:
    """The import sequence over one Config; `progress(stage, message)` hears every stage."""

    def __init__(self, config, progress=None):
        self.config = config
        self.progress = progress or _quiet
        self._staging = None

    # ------------------------------------------------------------ read and review

    def review_text(
        self, text, name, *, issue=None, reader=None, kind="auto", replace=False, force=False, planned=None
    ):
        """Split a text already read (an upload) and plan its writes."""
        from kb.importer import import_text

        self.progress("read", name)
        result = import_text(text, name, kind=kind, issue=issue or None, reader=reader)
        return self._plan(result, text, replace, force, planned)

    def review_upload(self, data, name, *, issue=None):
        """Bytes of an upload (PDF or text) to its Review; the text read is what gets staged."""
        from kb.importer import read_source

        text, reader = read_source(data, name)
        return self.review_text(text, name, issue=issue, reader=reader)

    def _plan(self, result, text, replace, force, planned):
        if result.errors:  # an issue that cannot be named is never written
            return Review(result, None, [], text)
        self.progress("review", f"{result.path}: {len(result.articles)} 篇")
        plan, writes = plan_writes(
            result.articles, self.config.content_dir, force=force, planned=planned, replace=replace
        )
        return Review(result, plan, writes, text)

    # ------------------------------------------------------------ write

    def write(self, reviews, locked=False):
        """Write every planned file of `reviews`, whole or nothing (kb.journal)."""
        writes = [w for review in reviews for w in review.writes]
        if not writes:
            return
        self.progress("write", f"{len(writes)} 个文件")
        commit(writes, self.config.content_dir, locked=locked)

    def import_files(self, paths, *, kind="auto", issue=None, dry_run=False, replace=False, force=False):
        """`kb import`: read, review and (unless `dry_run`) write every file; a file that cannot be
        read is a failure named in the run, the others go on.  Writing holds the import lock from
        the first review on."""
        run = ImportRun(dry_run=dry_run)
        if dry_run:
            self._review_all(run, paths, kind, issue, replace, force)
        else:
            with import_lock(self.config.content_dir):
                self._review_all(run, paths, kind, issue, replace, force)
                started = time.perf_counter()
                self.write(run.reviews, locked=True)
                run.seconds["write"] = time.perf_counter() - started
        self.progress("done", run.summary())
        return run

    def _review_all(self, run, paths, kind, issue, replace, force):
        from kb.importer import import_file

        planned, read_seconds, review_seconds = {}, 0.0, 0.0
        for path in paths:
            self.progress("read", str(path))
            started = time.perf_counter()
            try:
                result = import_file(path, kind=kind, issue=issue)
            except KbError as exc:
                run.failures.append(exc.describe())
                continue
            finally:
                read_seconds += time.perf_counter() - started
            started = time.perf_counter()
            run.reviews.append(self._plan(result, "", replace, force, planned))
            review_seconds += time.perf_counter() - started
        run.seconds.update(read=read_seconds, review=review_seconds)

    # ------------------------------------------------------------ staged uploads (admin)

    @property
    def staging(self):
        if self._staging is None:
            self._staging = Staging(self.config.staging)
        return self._staging

    def stage_upload(self, data, name, *, issue=None):
        """Review an upload and, when it can be written, stage it: (review, ticket, digest); ticket
        and digest are None when the review found errors (nothing staged)."""
        review = self.review_upload(data, name, issue=issue)
        if review.errors:
            return review, None, None
        ticket, digest = self.staging.put(review.text, name, review.result.reader)
        return review, ticket, digest

    def confirm_upload(self, ticket, pinned, *, issue=None, replace=False, force=False, confirmed=False):
        """Write a staged upload: reviewed again under the import lock (content/ may have changed
        since the preview), refused while unconfirmed when it replaces articles, then unstaged."""
        staged = self.staging.get(ticket, pinned)
        if staged is None:
            raise ImportRefusedError("上传已过期或已被改动，请重新上传")
        text, name, reader = staged
        with import_lock(self.config.content_dir):
            review = self.review_text(text, name, issue=issue, reader=reader, replace=replace, force=force)
            if review.errors:
                raise ImportRefusedError("；".join(review.errors))
            if review.replaces and not confirmed:
                raise ImportRefusedError("这次导入会修改或删除已有文章：请在预览页勾选“我已核对”后再确认")
            self.write([review], locked=True)
        self.staging.drop(ticket)
        self.progress("done", review.written_message())
        return review

    # ------------------------------------------------------------ index

    def run_index(self, action="update", progress=None, count=False):
        """kb.indexer.update or .rebuild; `progress` (or the service's) hears the indexer's lines.
        `count`: read the documents before and after (kb.indexer.status walks content/, so only the
        admin page, whose message says how many were added, asks for it)."""
        from kb.indexer import rebuild, status, update

        if action not in ("update", "rebuild"):
            raise ValueError(action)
        say = progress or (lambda message: self.progress("index", message))
        before = status(self.config)["documents"] if count else None
        stats = (rebuild if action == "rebuild" else update)(self.config, progress=say)
        after = status(self.config)["documents"] if count else stats.get("documents")
        outcome = IndexOutcome(action, stats, before, after)
        self.progress("done", outcome.message)
        return outcome


class Staging:
    """Uploads awaiting review in a private folder: created 0700, refused when it is a link or
    someone else's; files 0600, opened never through a link; expired after STAGING_TTL."""

    def __init__(self, folder, ttl=STAGING_TTL):
        self.folder = Path(folder)
        self.ttl = ttl

    def open(self):
        """The folder, checked and cleared of expired uploads; KbError when it cannot be used."""
        folder = self.folder
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            info = os.lstat(folder)
        except OSError as exc:
            raise KbError(f"暂存文件夹不可用：{exc.strerror}", path=folder) from None
        if not os.path.isdir(folder) or os.path.islink(folder) or info.st_uid != os.getuid():
            raise KbError(
                "暂存文件夹不是本服务自己的文件夹（链接或属于其他用户），拒绝使用",
                path=folder,
                hint="删除它或用 KB_STAGING 指定另一个文件夹",
            )
        if info.st_mode & 0o077:
            os.chmod(folder, 0o700)
        self._expire()
        return folder

    def _expire(self):
        """Remove uploads older than the TTL (the session list kept there stays)."""
        limit = time.time() - self.ttl
        for entry in self.folder.iterdir():
            if entry.name.startswith("sessions."):
                continue
            try:
                if entry.lstat().st_mtime < limit:
                    entry.unlink()
            except OSError:
                continue

    def put(self, text, name, reader=None):
        """Keep an upload; returns (ticket, SHA-256) — the caller pins the digest (in the session)."""
        folder = self.open()
        ticket = secrets.token_urlsafe(16)
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        _private_write(folder / f"{ticket}.txt", data)
        meta = {"name": name, "sha256": digest, "reader": reader}
        _private_write(folder / f"{ticket}.json", json.dumps(meta).encode())
        return ticket, digest

    def get(self, ticket, pinned):
        """(text, name, reader) of a staged upload, or None when it expired, is unknown or was changed."""
        if not ticket or len(ticket) > 64 or not ticket.replace("-", "").replace("_", "").isalnum():
            return None
        folder = self.open()
        try:
            data = _read_private(folder / f"{ticket}.txt")
            meta = json.loads(_read_private(folder / f"{ticket}.json"))
        except (OSError, ValueError):
            return None
        digest = hashlib.sha256(data).hexdigest()
        if pinned is None or not hmac.compare_digest(digest, pinned) or meta.get("sha256") != pinned:
            return None
        return data.decode("utf-8"), str(meta.get("name") or "upload.txt"), meta.get("reader")

    def drop(self, ticket):
        for suffix in (".txt", ".json"):
            (self.folder / f"{ticket}{suffix}").unlink(missing_ok=True)


def _private_write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _read_private(path):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


class IndexJob:
    """One index update or rebuild at a time in a background thread (the admin page's job), its
    state readable meanwhile: state idle|running|done|failed, action, message, started."""

    def __init__(self, service, log=None):
        self.service = service
        self.log = log  # called with the exception of an unexpected failure
        self.state, self.action, self.message, self.started = "idle", None, "", None
        self._lock = threading.Lock()

    def start(self, action):
        """False when a job is already running (nothing started)."""
        if action not in ("update", "rebuild"):
            raise ValueError(action)
        with self._lock:
            if self.state == "running":
                return False
            self.state, self.action, self.message, self.started = "running", action, "", time.time()
        threading.Thread(target=self._work, args=(action,), name="kb-index-job", daemon=True).start()
        return True

    def _work(self, action):
        # an update reports nothing while it runs; a rebuild reports its documents as staff read them
        progress = (lambda m: setattr(self, "message", index_progress(m))) if action == "rebuild" else _silent
        try:
            outcome = self.service.run_index(action, progress=progress, count=True)
            self.state, self.message = "done", outcome.message
        except KbError as exc:
            self.state, self.message = "failed", f"索引任务失败：{exc.describe()}；现有索引未受影响"
        except Exception as exc:  # noqa: BLE001 (reported on the page; the live index is untouched)
            if self.log:
                self.log(exc)
            self.state, self.message = "failed", f"索引任务失败（{type(exc).__name__}）；现有索引未受影响"


def _silent(message):
    return None
