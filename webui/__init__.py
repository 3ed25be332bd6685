"""The kb web UI: an application factory over the search core."""

import os
import secrets
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from kb.config import load_config
from kb.journal import recover
from webui.sessions import SESSION_SECONDS, SessionInterface


def create_app(config=None):
    """Build the Flask app for `config` (kb.settings: defaults plus KB_* variables when None)."""
    config = config or load_config(os.environ)
    recover(config.content_dir)  # finish or roll back an import a crash interrupted
    app = Flask(__name__)
    app.config["KB"] = config
    app.config["SECRET_KEY"] = config.secret_key or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload_bytes
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_SECURE"] = config.secure_cookies  # else Secure whenever HTTPS is seen
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=SESSION_SECONDS)
    app.json.ensure_ascii = False  # JSON answers in readable UTF-8, not \u escapes

    from webui import admin, errors, registers, views  # noqa: F401 (registers adds pages to views.bp)

    app.session_interface = SessionInterface()
    if config.proxy_hops:  # client address (login limit) and scheme (Secure cookie) from the proxy
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops)

    app.register_blueprint(views.bp)
    app.register_blueprint(admin.bp)
    errors.register(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'",
        )
        return response

    return app
