"""Admin sessions the server can end, a login limit that never sleeps, and Secure cookies over HTTPS.

* A session is valid while its id is in the server's list and it was opened with the admin token
  in force now: logout removes the id, a new token (KB_ADMIN_TOKEN changed, server restarted)
  ends every session.  The list is kept in memory and in `sessions.json` of the private staging
  folder, so KB_SECRET_KEY keeps sessions across restarts; deleting that file logs everyone out.
* The login limit counts failures per client in a sliding window; past LOGIN_FAILURES the client
  is refused (HTTP 429, Retry-After) until the oldest failure leaves the window.  Nothing waits.
"""

import hashlib
import json
import os
import secrets
import threading
import time
from collections import deque

from flask import current_app, request
from flask.sessions import SecureCookieSessionInterface

from kb.errors import KbError

SESSION_SECONDS = 12 * 3600
LOGIN_FAILURES = 5  # failed logins per client allowed within LOGIN_WINDOW
LOGIN_WINDOW = 300  # seconds
MAX_CLIENTS = 10_000  # clients tracked by the login limit (memory stays bounded under a flood)
_lock = threading.Lock()


def _fingerprint(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:16]


class Registry:
    """Session ids -> expiry, mirrored to a JSON file (0600) when a folder is given."""

    def __init__(self, folder):
        self.path = os.path.join(folder, "sessions.json") if folder else None
        self.ids = {}
        if self.path:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    self.ids = {k: float(v) for k, v in json.load(handle).items()}
            except (OSError, ValueError, AttributeError, TypeError):
                self.ids = {}

    def _save(self):
        if not self.path:
            return
        now = time.time()
        self.ids = {k: v for k, v in self.ids.items() if v > now}
        tmp = f"{self.path}.{os.getpid()}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.ids, handle)
            os.replace(tmp, self.path)
        except OSError:  # sessions still work for this process; they just do not outlive it
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def add(self, sid):
        with _lock:
            self.ids[sid] = time.time() + SESSION_SECONDS
            self._save()

    def drop(self, sid):
        with _lock:
            if self.ids.pop(sid, None) is not None:
                self._save()

    def __contains__(self, sid):
        expiry = self.ids.get(sid)
        return expiry is not None and expiry > time.time()


def registry():
    app = current_app._get_current_object()
    with _lock:
        found = app.extensions.get("kb_sessions")
    if found is None:
        from webui.admin import _staging

        try:
            folder = _staging()
        except KbError:  # no private folder: sessions live in memory only
            folder = None
        found = Registry(folder)
        with _lock:
            found = app.extensions.setdefault("kb_sessions", found)
    return found


def start(session, token):
    sid = secrets.token_urlsafe(24)
    registry().add(sid)
    session["sid"], session["tok"] = sid, _fingerprint(token)
    session.permanent = True


def valid(session, token):
    sid = session.get("sid")
    return bool(sid) and session.get("tok") == _fingerprint(token) and sid in registry()


def end(session):
    if session.get("sid"):
        registry().drop(session["sid"])


class LoginLimiter:
    def __init__(self, failures=LOGIN_FAILURES, window=LOGIN_WINDOW):
        self.failures, self.window = failures, window
        self.seen = {}  # client -> deque of failure times

    def _recent(self, client, now):
        times = self.seen.get(client)
        while times and times[0] <= now - self.window:
            times.popleft()
        if times is not None and not times:
            del self.seen[client]
            return None
        return times

    def blocked(self, client):
        """Seconds until `client` may try again, or 0."""
        now = time.monotonic()
        with _lock:
            times = self._recent(client, now)
            if times is None or len(times) < self.failures:
                return 0
            return max(1, int(times[0] + self.window - now) + 1)

    def failed(self, client):
        now = time.monotonic()
        with _lock:
            if client not in self.seen and len(self.seen) >= MAX_CLIENTS:
                oldest = min(self.seen, key=lambda c: self.seen[c][-1])
                del self.seen[oldest]
            self.seen.setdefault(client, deque(maxlen=self.failures)).append(now)

    def succeeded(self, client):
        with _lock:
            self.seen.pop(client, None)


def limiter():
    app = current_app._get_current_object()
    with _lock:
        return app.extensions.setdefault("kb_login_limiter", LoginLimiter())


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, marked Secure when configured or when the request came over
    HTTPS (directly, or through a proxy that says so in X-Forwarded-Proto)."""

    def get_cookie_secure(self, app):
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        try:
            forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
            return request.is_secure or forwarded == "https"
        except RuntimeError:  # outside a request
            return False
