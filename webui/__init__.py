"""The kb web UI: an application factory over the search core."""

import os
import secrets

from flask import Flask

from kb.config import load_config


def create_app(config=None):
    """Build the Flask app for `config` (defaults plus KB_* variables when None)."""
    config = config or load_config(os.environ)
    app = Flask(__name__)
    app.config["KB"] = config
    app.config["SECRET_KEY"] = os.environ.get("KB_SECRET_KEY") or secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = config.max_upload_bytes
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.json.ensure_ascii = False  # JSON answers in readable UTF-8, not \u escapes

    from webui import admin, errors, registers, views  # noqa: F401 (registers adds pages to views.bp)

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
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'",
        )
        return response

    return app
