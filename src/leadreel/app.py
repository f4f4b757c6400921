"""The application factory. Reads like a table of contents of the web app."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from leadreel.config import Settings, load_settings
from leadreel.extensions import csrf, db, login_manager

BLUEPRINTS = (
    "auth",
    "leads",
    "bulk",
    "companies",
    "batches",
    "imports",
    "videos",
    "storage",
    "exports",
    "chat",
    "admin",
    "tasks",
    "share",
    "demo_sites",
)


def create_app(config: dict[str, Any] | Settings | None = None) -> Flask:
    """Build an app. Tests pass settings here; production reads ``LEADREEL_*``."""
    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__, template_folder="web/templates", static_folder="web/static")
    configure(app, settings)
    register_proxy(app, settings)
    register_extensions(app)
    register_blueprints(app)
    register_task_types()
    register_errorhandlers(app)
    register_security_headers(app)
    prepare_database(app)
    return app


def configure(app: Flask, settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.config.update(
        SETTINGS=settings,
        SECRET_KEY=settings.resolved_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.session_cookie_secure,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        TESTING=settings.testing,
    )


def register_proxy(app: Flask, settings: Settings) -> None:
    """Behind ``proxy_hops`` trusted proxies, take the client's address, scheme, host and
    port from their X-Forwarded-* headers (view tracking, built links, the login limiter).
    With 0 (the default) those headers are ignored: anyone could send them."""
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def register_task_types() -> None:
    """Import the modules that declare task types, so a request can enqueue any of them.

    Services only name task types (see ``services/videos/names.py``); the task bodies sit
    above them, so the app, like the worker, loads them from its composition root.
    """
    from leadreel.tasks.registry import load_task_modules

    load_task_modules()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"

    @app.before_request
    def writes_take_the_lock():  # type: ignore[no-untyped-def]
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            db.for_writing()

    @login_manager.user_loader
    def load_user(user_id: str):  # type: ignore[no-untyped-def]
        from leadreel.models import User

        return db.session.get(User, int(user_id))


def register_blueprints(app: Flask) -> None:
    import importlib

    for name in BLUEPRINTS:
        module = importlib.import_module(f"leadreel.web.{name}")
        app.register_blueprint(module.bp)

    @app.route("/healthz")
    def healthz():  # type: ignore[no-untyped-def]
        """Liveness probe for load balancers."""
        return {"status": "ok"}


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return request.path.startswith("/api") or "/api/" in request.path or best == "application/json"


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: HTTPException):  # type: ignore[no-untyped-def]
        code = error.code or 500
        if code == 404 and request.path.startswith("/v/"):
            # A prospect's dead or disabled link: a plain page, no app navigation.
            response = app.make_response((render_template("share/gone.html"), 404))
            response.headers["Cache-Control"] = "no-store"
            return response
        if wants_json():
            return jsonify(error=error.name, message=error.description), code
        return render_template("error.html", error=error), code

    for code in (400, 403, 404, 405, 429, 500):
        app.errorhandler(code)(render_error)

    def too_large(error: HTTPException):  # type: ignore[no-untyped-def]
        """Our own message naming the limit: the form (and so the upload) is read by the
        CSRF check before any view runs, so the view's own size check never sees it."""
        limit_mb = app.config["SETTINGS"].max_upload_mb
        message = (
            f"The upload is larger than the {limit_mb} MB limit "
            "(LEADREEL_MAX_UPLOAD_MB). Split the file or ask an admin to raise the limit."
        )
        if wants_json():
            return jsonify(error="file_too_large", message=message, limit_mb=limit_mb), 413
        page = SimpleNamespace(code=413, name="File too large", description=message)
        return render_template("error.html", error=page), 413

    app.errorhandler(413)(too_large)

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        if wants_json():
            return jsonify(error="CSRF", message=error.description), 400
        return render_template("error.html", error=error), 400


def register_security_headers(app: Flask) -> None:
    from leadreel.web.csp import content_security_policy

    @app.after_request
    def headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def prepare_database(app: Flask) -> None:
    """Migrate to head and seed the core field definitions, so a fresh data dir just works."""
    from leadreel import migrate
    from leadreel.services.setup import seed_core_fields

    migrate.upgrade(app.config["SETTINGS"].resolved_database_url())
    with db.new_session() as session:
        seed_core_fields(session)
        session.commit()
    logging.getLogger(__name__).debug("database ready")
