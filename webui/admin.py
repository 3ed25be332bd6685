"""/admin: upload a raw issue, review the dry run, write it, update or rebuild the index.

Off unless the operator sets an admin token (KB_ADMIN_TOKEN).  Every form
carries a per-session CSRF token; uploads have a size limit and must be a text-layer PDF or text.
Index jobs run in a background thread so searches keep answering.

Sessions are listed on the server (webui.sessions): logout ends one, a new admin token ends all.
Failed logins are counted per client; past the limit the login answers 429 with Retry-After at
once (no sleeping in the request, so other clients keep their threads).  Uploads wait for review
in a private staging folder (mode 0700, files 0600), pinned by their SHA-256 between preview and
confirmation, and are removed after confirmation or once they expire.
"""

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import TooManyRequests

from kb.content import plan_writes, write_files
from kb.errors import KbError
from kb.importer import import_text, read_source
from kb.indexer import rebuild, update
from kb.indexer import status as index_status
from kb.report import (
    action_summary, counts_by_section, drop_label, index_progress, index_summary, issue_label, reader_label,
    review_rows,
)
from webui import sessions

bp = Blueprint("admin", __name__, url_prefix="/admin")
_jobs_lock = threading.Lock()
STAGING_TTL = 3600  # seconds an upload waits for its confirmation


def _config():
    return current_app.config["KB"]


def _same(sent, token):
    """Constant-time comparison of any two strings (non-ASCII included)."""
    return bool(sent) and hmac.compare_digest(sent.encode("utf-8", "surrogateescape"),
                                              token.encode("utf-8", "surrogateescape"))


@bp.before_request
def require_token():
    token = _config().admin_token
    if not token:
        abort(404)
    if request.endpoint == "admin.login":
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and _same(header[7:], token):
        return None
    if not sessions.valid(session, token):
        session.clear()
        return redirect(url_for("admin.login"))
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not _same(sent, session.get("csrf", "")):
            abort(400)
    return None


def _csrf():
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.app_context_processor
def inject_csrf():
    return {"csrf_token": _csrf if request.path.startswith("/admin") else (lambda: "")}


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        client = request.remote_addr or "?"
        wait = sessions.limiter().blocked(client)
        if wait:
            raise TooManyRequests(retry_after=wait)
        if _same(request.form.get("token", ""), _config().admin_token):
            sessions.limiter().succeeded(client)
            session.clear()
            sessions.start(session, _config().admin_token)
            _csrf()
            return redirect(url_for("admin.home"))
        sessions.limiter().failed(client)
        error = "令牌不正确"
    return render_template("admin_login.html", error=error), (403 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    sessions.end(session)
    session.clear()
    return redirect(url_for("kb.search_page"))


def _staging():
    """The private staging folder: created 0700, refused when it is a link or someone else's."""
    folder = _config().staging
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.lstat(folder)
    except OSError as exc:
        raise KbError(f"暂存文件夹不可用：{exc.strerror}", path=folder) from None
    if not os.path.isdir(folder) or os.path.islink(folder) or info.st_uid != os.getuid():
        raise KbError("暂存文件夹不是本服务自己的文件夹（链接或属于其他用户），拒绝使用", path=folder,
                      hint="删除它或用 KB_STAGING 指定另一个文件夹")
    if info.st_mode & 0o077:
        os.chmod(folder, 0o700)
    _expire(folder)
    return folder


def _expire(folder):
    """Remove uploads older than STAGING_TTL (the session list kept there stays)."""
    limit = time.time() - STAGING_TTL
    for entry in folder.iterdir():
        if entry.name.startswith("sessions."):
            continue
        try:
            if entry.lstat().st_mtime < limit:
                entry.unlink()
        except OSError:
            continue


def _private_write(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _stage(text, name, reader=None):
    """Keep an upload for its confirmation; returns the ticket (its hash is pinned in the session)."""
    folder = _staging()
    ticket = secrets.token_urlsafe(16)
    data = text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    _private_write(folder / f"{ticket}.txt", data)
    _private_write(folder / f"{ticket}.json", json.dumps({"name": name, "sha256": digest, "reader": reader}).encode())
    session.setdefault("uploads", {})[ticket] = digest
    session.modified = True
    return ticket


def _staged(ticket):
    """(text, name, reader) of a staged upload, or None when it expired, is unknown or was changed."""
    if not ticket or len(ticket) > 64 or not ticket.replace("-", "").replace("_", "").isalnum():
        return None
    pinned = (session.get("uploads") or {}).get(ticket)
    folder = _staging()
    try:
        data = _read_private(folder / f"{ticket}.txt")
        meta = json.loads(_read_private(folder / f"{ticket}.json"))
    except (OSError, ValueError):
        return None
    digest = hashlib.sha256(data).hexdigest()
    if pinned is None or not hmac.compare_digest(digest, pinned) or meta.get("sha256") != pinned:
        return None
    return data.decode("utf-8"), str(meta.get("name") or "upload.txt"), meta.get("reader")


def _read_private(path):
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _unstage(ticket):
    for suffix in (".txt", ".json"):
        (_config().staging / f"{ticket}{suffix}").unlink(missing_ok=True)
    (session.get("uploads") or {}).pop(ticket, None)
    session.modified = True


@bp.route("/", methods=["GET"])
def home():
    return _page()


def _page(status=200, **values):
    values.setdefault("report", None)
    plan = values.get("plan")
    values.update(now=time.time(), drop_label=drop_label, issue_label=issue_label, reader_label=reader_label,
                  plan_summary=action_summary(plan) if plan else "")
    return render_template("admin.html", job=_job_state(), **values), status


def _review(text, name, issue_no, replace=False, force=False, reader=None):
    """Import a staged text (nothing written) and plan its writes: (result, plan, writes)."""
    result = import_text(text, name, issue=issue_no or None, reader=reader)
    if result.errors:
        return result, None, []
    plan, writes = plan_writes(result.articles, _config().content_dir, force=force, replace=replace)
    return result, plan, writes


def _replaces(plan):
    """True when writing would change, overwrite or remove a file already in content/."""
    return any(a in ("changed", "overwritten") for a in plan.actions.values()) or bool(plan.removed)


@bp.route("/upload", methods=["POST"])
def upload():
    uploaded = request.files.get("issue")
    issue_no = request.form.get("issue_no", "").strip()
    if uploaded is None or not uploaded.filename:
        return _page(400, error="请选择一个 PDF 或文本文件")
    name = Path(uploaded.filename).name
    data = uploaded.read()
    try:
        text, reader = read_source(data, name)  # a PDF is read here; its text is what gets staged
        result, plan, _ = _review(text, name, issue_no, reader=reader)
    except KbError as exc:
        return _page(400, error=exc.describe(), issue_no=issue_no)
    if result.errors:
        return _page(400, error="；".join(result.errors), issue_no=issue_no, report=result,
                     rows=review_rows(result, None), sections=counts_by_section(result))
    ticket = _stage(text, name, result.reader)
    return _page(report=result, plan=plan, rows=review_rows(result, plan), sections=counts_by_section(result),
                 ticket=ticket, issue_no=issue_no, must_confirm=_replaces(plan) or bool(plan.stale))


@bp.route("/confirm", methods=["POST"])
def confirm():
    ticket = request.form.get("ticket", "")
    staged = _staged(ticket)
    if staged is None:
        return _page(400, error="上传已过期或已被改动，请重新上传")
    text, name, reader = staged
    replace, force = request.form.get("replace") == "1", request.form.get("force") == "1"
    try:
        result, plan, writes = _review(text, name,
                                       request.form.get("issue_no", "").strip(), replace=replace, force=force,
                                       reader=reader)
        if result.errors:
            return _page(400, error="；".join(result.errors))
        if _replaces(plan) and request.form.get("confirmed") != "1":
            return _page(400, error="这次导入会修改或删除已有文章：请在预览页勾选“我已核对”后再确认")
        write_files(writes)
    except KbError as exc:
        return _page(400, error=exc.describe())
    _unstage(ticket)
    message = (f"已写入 content/{result.issue.slug}/（{issue_label(result.issue)}）：{action_summary(plan)}。"
               "下一步：更新索引，新文章才能检索到。")
    return _page(message=message)


def _job_state():
    return current_app.extensions.setdefault("kb_job", {"state": "idle", "message": "", "started": None,
                                                        "action": None})


@bp.route("/index", methods=["POST"])
def run_index():
    action = request.form.get("action")
    if action not in ("update", "rebuild"):
        abort(400)
    app = current_app._get_current_object()
    config = _config()
    state = _job_state()
    with _jobs_lock:
        if state["state"] == "running":
            return _page(409, error="索引任务正在运行，请稍候")
        state.update(state="running", action=action, message="", started=time.time())

    def work():
        try:
            before = index_status(config)["documents"]
            if action == "rebuild":
                stats = rebuild(config, progress=lambda m: state.update(message=index_progress(m)))
            else:
                stats = update(config)
            after = index_status(config)["documents"]
            state.update(state="done", message=index_summary(action, stats, before, after))
        except KbError as exc:
            state.update(state="failed", message=f"索引任务失败：{exc.describe()}；现有索引未受影响")
        except Exception as exc:  # reported on the page; the live index is untouched
            app.logger.exception("index job failed")
            state.update(state="failed", message=f"索引任务失败（{type(exc).__name__}）；现有索引未受影响")

    threading.Thread(target=work, daemon=True).start()
    return redirect(url_for("admin.home"))
