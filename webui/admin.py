"""/admin: upload a raw issue, review the dry run, write it, update or rebuild the index.

Off unless the operator sets an admin token (KB_ADMIN_TOKEN).  Every form
carries a per-session CSRF token; uploads have a size limit and must be a text-layer PDF or text.
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
from kb.importer import import_text, read_source
from kb.indexer import rebuild, update

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
    return render_template("admin.html", job=_job_state(), report=None)


@bp.route("/upload", methods=["POST"])
def upload():
    uploaded = request.files.get("issue")
    if uploaded is None or not uploaded.filename:
        return render_template("admin.html", job=_job_state(), report=None, error="请选择一个 PDF 或文本文件"), 400
    name = Path(uploaded.filename).name
    data = uploaded.read()
    try:
        text, reader = read_source(data, name)
        result = import_text(text, name, reader=reader)
    except KbError as exc:
        return render_template("admin.html", job=_job_state(), report=None, error=exc.describe()), 400
    ticket = secrets.token_urlsafe(16)
    (_staging() / f"{ticket}.txt").write_text(text, encoding="utf-8")
    (_staging() / f"{ticket}.name").write_text(name, encoding="utf-8")
    (_staging() / f"{ticket}.reader").write_text(result.reader, encoding="utf-8")
    writes, _ = plan_writes(result.articles, _config().content_dir)
    return render_template("admin.html", job=_job_state(), report=result, plan=writes, ticket=ticket)


@bp.route("/confirm", methods=["POST"])
def confirm():
    ticket = request.form.get("ticket", "")
    if not ticket.replace("-", "").replace("_", "").isalnum():
        abort(400)
    staged = _staging() / f"{ticket}.txt"
    if not staged.exists():
        return render_template("admin.html", job=_job_state(), report=None, error="上传已过期，请重新上传"), 400
    name = (_staging() / f"{ticket}.name").read_text(encoding="utf-8")
    try:
        reader_file = _staging() / f"{ticket}.reader"
        reader = reader_file.read_text(encoding="utf-8") if reader_file.exists() else None
        result = import_text(staged.read_text(encoding="utf-8"), name, reader=reader)
        report, writes = plan_writes(result.articles, _config().content_dir,
                                     force=request.form.get("force") == "1")
        write_files(writes)
    except KbError as exc:
        return render_template("admin.html", job=_job_state(), report=None, error=exc.describe()), 400
    staged.unlink(missing_ok=True)
    (_staging() / f"{ticket}.reader").unlink(missing_ok=True)
    message = f"已写入 {len(report.written)} 篇，未变 {len(report.unchanged)} 篇，跳过（人工编辑过）{len(report.skipped)} 篇。"
    return render_template("admin.html", job=_job_state(), report=None, message=message)


def _job_state():
    return current_app.extensions.setdefault("kb_job", {"state": "idle", "message": "", "started": None})


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
            return render_template("admin.html", job=state, report=None, error="索引任务正在运行"), 409
        state.update(state="running", message=f"{action} 进行中…", started=time.time())

    def work():
        try:
            stats = rebuild(config, progress=lambda m: state.update(message=m)) if action == "rebuild" \
                else update(config)
            state.update(state="done", message=f"{action} 完成：{stats}")
        except KbError as exc:
            state.update(state="failed", message=exc.describe())
        except Exception as exc:  # reported on the page; the live index is untouched
            app.logger.exception("index job failed")
            state.update(state="failed", message=f"{type(exc).__name__}: {exc}")

    threading.Thread(target=work, daemon=True).start()
    return redirect(url_for("admin.home"))
