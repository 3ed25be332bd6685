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

import hmac
import secrets
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

from kb.errors import KbError
from kb.report import (
    action_summary,
    counts_by_section,
    drop_label,
    issue_label,
    reader_label,
    review_rows,
)
from kb.service import ImportService, IndexJob
from webui import sessions

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _config():
    return current_app.config["KB"]


def _same(sent, token):
    """Constant-time comparison of any two strings (non-ASCII included)."""
    return bool(sent) and hmac.compare_digest(
        sent.encode("utf-8", "surrogateescape"), token.encode("utf-8", "surrogateescape")
    )


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


def _service():
    return ImportService(_config())


def _staging():
    """The private staging folder (kb.service.Staging; also holds the session list)."""
    return _service().staging.open()


def _pin(ticket, digest):
    session.setdefault("uploads", {})[ticket] = digest
    session.modified = True


def _unpin(ticket):
    (session.get("uploads") or {}).pop(ticket, None)
    session.modified = True


@bp.route("/", methods=["GET"])
def home():
    return _page()


def _page(status=200, **values):
    values.setdefault("report", None)
    plan = values.get("plan")
    values.update(
        now=time.time(),
        drop_label=drop_label,
        issue_label=issue_label,
        reader_label=reader_label,
        plan_summary=action_summary(plan) if plan else "",
    )
    return render_template("admin.html", job=_job(), **values), status


@bp.errorhandler(KbError)
def refused(exc):
    """Every expected failure of an admin action: the admin page with the message, at its status."""
    return _page(exc.http_status, error=exc.describe(), issue_no=request.form.get("issue_no", "").strip())


@bp.route("/upload", methods=["POST"])
def upload():
    uploaded = request.files.get("issue")
    issue_no = request.form.get("issue_no", "").strip()
    if uploaded is None or not uploaded.filename:
        return _page(400, error="请选择一个 PDF 或文本文件")
    review, ticket, digest = _service().stage_upload(
        uploaded.read(), Path(uploaded.filename).name, issue=issue_no or None
    )
    result, plan = review.result, review.plan
    if review.errors:
        return _page(
            400,
            error="；".join(result.errors),
            issue_no=issue_no,
            report=result,
            rows=review_rows(result, None),
            sections=counts_by_section(result),
        )
    _pin(ticket, digest)
    return _page(
        report=result,
        plan=plan,
        rows=review_rows(result, plan),
        sections=counts_by_section(result),
        ticket=ticket,
        issue_no=issue_no,
        must_confirm=review.must_confirm,
    )


@bp.route("/confirm", methods=["POST"])
def confirm():
    ticket = request.form.get("ticket", "")
    review = _service().confirm_upload(
        ticket,
        (session.get("uploads") or {}).get(ticket),
        issue=request.form.get("issue_no", "").strip(),
        replace=request.form.get("replace") == "1",
        force=request.form.get("force") == "1",
        confirmed=request.form.get("confirmed") == "1",
    )
    _unpin(ticket)
    return _page(message=review.written_message())


def _job():
    app = current_app._get_current_object()
    job = app.extensions.get("kb_job")
    if job is None:
        job = app.extensions.setdefault(
            "kb_job",
            IndexJob(
                ImportService(_config()), log=lambda exc: app.logger.error("index job failed", exc_info=exc)
            ),
        )
    return job


@bp.route("/index", methods=["POST"])
def run_index():
    action = request.form.get("action")
    if action not in ("update", "rebuild"):
        abort(400)
    if not _job().start(action):
        return _page(409, error="索引任务正在运行，请稍候")
    return redirect(url_for("admin.home"))
