"""Wiring: extensions, blueprints, request hooks, error pages and commands."""

from __future__ import annotations

import uuid

from flask import Flask, g, request

from tadafur.extensions import babel, csrf, login_manager


def init_app(app: Flask) -> None:
    from tadafur import access, i18n
    from tadafur.accounts import auditors
    from tadafur.accounts.models import User
    from tadafur.core import bench, errors, htmx, security_headers
    from tadafur.extensions import db

    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_language,
        default_translation_directories=str(app.root_path + "/../translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The session names `id:version`; a reset password or second factor bumps the
        version, which ends every session opened before."""
        from tadafur.accounts.auditors import has_access

        ident, _sep, version = user_id.partition(":")
        user = db.session.get(User, int(ident)) if ident.isdigit() else None
        if user is None or str(user.session_version or 0) != (version or "0"):
            return None
        return user if user.active and has_access(user) else None

    login_manager.unauthorized_handler(htmx.unauthorized)

    @app.before_request
    def assign_request_id() -> None:
        supplied = request.headers.get("X-Request-ID", "")
        g.request_id = supplied[:64] if supplied.isprintable() and supplied else uuid.uuid4().hex

    i18n.register_template_helpers(app)
    access.register(app)
    auditors.register(app)
    from tadafur.accounts import security_views

    security_views.register(app)
    htmx.register(app)
    security_headers.register(app)
    errors.register(app)
    _register_blueprints(app)
    bench.register(app)
    _register_commands(app)


def _register_blueprints(app: Flask) -> None:
    from tadafur.core.views import blueprint as core
    from tadafur.modules import domain_submodules

    app.register_blueprint(core)
    for module in domain_submodules("views"):
        app.register_blueprint(module.blueprint)


def _register_commands(app: Flask) -> None:
    from tadafur.cli import register

    register(app)
