"""/admin: upload a raw issue, review the dry run, write it, update or rebuild the index.

Off unless the operator sets an admin token (KB_ADMIN_TOKEN).  Every form
carries a per-session CSRF token; uploads have a size limit and must be text.
Index jobs run in a background thread so searches keep answering.
"""

import hmac
import secrets
import tempfile
import threading
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from kb.content import plan_writes, write_files
from kb.errors import KbError
from kb.importer import import_text
from kb.importer.text import decode
from kb.indexer import rebuild, update
from kb.indexer import status as index_status
from kb.report import (
    action_summary, counts_by_section, drop_label, index_progress, index_summary, issue_label, review_rows,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")
_jobs_lock = threading.Lock()


def _config():
    return current_app.config["KB"]


@bp.before_request
def require_token():
    token = _config().admin_token
    if not token:
        abort(404)
    if request.endpoint == "admin.login":
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and hmac.compare_digest(header[7:], token):
        return None
    if not session.get("admin"):
        return redirect(url_for("admin.login"))
    if request.method == "POST":
        sent = request.form.get("csrf_token", "")
        if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
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
        sent = request.form.get("token", "")
        if sent and hmac.compare_digest(sent, _config().admin_token):
            session.clear()
            session["admin"] = True
            _csrf()
            return redirect(url_for("admin.home"))
        error = "令牌不正确"
        time.sleep(0.2)
    return render_template("admin_login.html", error=error), (403 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("kb.search_page"))


def _staging():
    folder = Path(tempfile.gettempdir()) / "kb-staging"
    folder.mkdir(exist_ok=True)
    return folder


@bp.route("/", methods=["GET"])
def home():
    return _page()


def _page(status=200, **values):
    values.setdefault("report", None)
    plan = values.get("plan")
    values.update(now=time.time(), drop_label=drop_label, issue_label=issue_label,
                  plan_summary=action_summary(plan) if plan else "")
    return render_template("admin.html", job=_job_state(), **values), status


def _review(text, name, issue_no, replace=False, force=False):
    """Import a staged text (nothing written) and plan its writes: (result, plan, writes)."""
    result = import_text(text, name, issue=issue_no or None)
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
        return _page(400, error="请选择一个文本文件")
    name = Path(uploaded.filename).name
    data = uploaded.read()
    try:
        text = decode(data, name)
        result, plan, _ = _review(text, name, issue_no)
    except KbError as exc:
        return _page(400, error=exc.describe(), issue_no=issue_no)
    if result.errors:
        return _page(400, error="；".join(result.errors), issue_no=issue_no, report=result,
                     rows=review_rows(result, None), sections=counts_by_section(result))
    ticket = secrets.token_urlsafe(16)
    (_staging() / f"{ticket}.txt").write_text(text, encoding="utf-8")
    (_staging() / f"{ticket}.name").write_text(name, encoding="utf-8")
    return _page(report=result, plan=plan, rows=review_rows(result, plan), sections=counts_by_section(result),
                 ticket=ticket, issue_no=issue_no, must_confirm=_replaces(plan) or bool(plan.stale))


@bp.route("/confirm", methods=["POST"])
def confirm():
    ticket = request.form.get("ticket", "")
    if not ticket.replace("-", "").replace("_", "").isalnum():
        abort(400)
    staged = _staging() / f"{ticket}.txt"
    if not staged.exists():
        return _page(400, error="上传已过期，请重新上传")
    name = (_staging() / f"{ticket}.name").read_text(encoding="utf-8")
    replace, force = request.form.get("replace") == "1", request.form.get("force") == "1"
    try:
        result, plan, writes = _review(staged.read_text(encoding="utf-8"), name,
                                       request.form.get("issue_no", "").strip(), replace=replace, force=force)
        if result.errors:
            return _page(400, error="；".join(result.errors))
        if _replaces(plan) and request.form.get("confirmed") != "1":
            return _page(400, error="这次导入会修改或删除已有文章：请在预览页勾选“我已核对”后再确认")
        write_files(writes)
    except KbError as exc:
        return _page(400, error=exc.describe())
    staged.unlink(missing_ok=True)
    (_staging() / f"{ticket}.name").unlink(missing_ok=True)
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
