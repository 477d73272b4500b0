"""Wiring, the top layer: extensions, every domain's registrations, the workflow definitions,
template helpers, blueprints, request hooks, error pages and commands.

The one place where the app is put together. The order matters and is kept here only:
1. each domain's `hooks.register_hooks()` fills the registries lower layers own (workflow
   hooks and guards, document finders, project tabs and edit vetoes, home page panels, demo
   seeders);
2. then the workflow definitions are loaded and checked (a guard they name must exist);
3. then the template helpers, blueprints and commands.
"""

from __future__ import annotations

import uuid

from flask import Flask, g, request

from tadafur import access, i18n
from tadafur.accounts import auditors, security_views
from tadafur.accounts.models import User
from tadafur.accounts.scope import has_access
from tadafur.cli import register as register_commands
from tadafur.core import backends, bench, errors, htmx, security_headers, static_files
from tadafur.core.views import blueprint as core_blueprint
from tadafur.documents import views as documents_views
from tadafur.execution import views as execution_views
from tadafur.extensions import babel, csrf, db, login_manager
from tadafur.jobs import views as jobs_views, worker as jobs_worker
from tadafur.modules import domain_submodules
from tadafur.notifications import views as notifications_views
from tadafur.projects import views as projects_views
from tadafur.workflow import awaiting, hooks as workflow_hooks, picture, registry


def register_hooks() -> None:
    """Every domain's registrations into the registries of the layers below it (idempotent)."""
    for module in domain_submodules("hooks"):
        if module is not workflow_hooks:  # the workflow's registry itself, nothing to register
            module.register_hooks()


def register_template_helpers(app: Flask) -> None:
    """The one way templates get helpers: each module offering some has `template_helpers()`
    (and i18n `template_filters()`); a name is defined once."""
    app.jinja_env.filters.update(i18n.template_filters())
    providers = [i18n, access, htmx, picture, projects_views, execution_views, documents_views,
                 notifications_views, jobs_views]
    for provider in providers:
        helpers = provider.template_helpers()
        clash = set(helpers) & set(app.jinja_env.globals)
        if clash:
            raise RuntimeError(f"template helper(s) defined twice: {sorted(clash)}")
        app.jinja_env.globals.update(helpers)


def init_app(app: Flask) -> None:
    backends.check_settings(app)
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

    register_hooks()
    registry.init_app(app)  # after the hooks: the definitions name their guards
    awaiting.install()  # My tasks' table follows every committed change of a project
    register_template_helpers(app)
    auditors.register(app)
    security_views.register(app)  # those who must have a second factor enrol first
    security_headers.register(app)
    static_files.register(app)  # stylesheet, scripts and fonts cached by the browser
    errors.register(app)
    app.register_blueprint(core_blueprint)
    for module in domain_submodules("views"):
        app.register_blueprint(module.blueprint)
    bench.register(app)
    register_commands(app)
    jobs_worker.init_app(app)  # who runs the jobs: a thread (SQLite) or procrastinate
