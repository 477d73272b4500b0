"""Error pages in the user's language. No traceback ever reaches a user."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from tadafur.core.htmx import is_htmx
from tadafur.core.storage import StorageUnavailable
from tadafur.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    401: _l("Please log in to continue."),
    403: _l("You are not allowed to see or do this."),
    404: _l("This page does not exist, or it was moved."),
    405: _l("This action is not possible here."),
    409: _l("Someone else changed this at the same time. Reload and try again."),
    413: _l("The file or form you sent is too large."),
    429: _l("Too many attempts. Please wait a little and try again."),
    500: _l("Something went wrong on our side. Nothing was saved; please try again."),
    503: _l("The service is briefly unavailable. Nothing was saved; please try again in a minute."),
}


def render_error(status: int, message: str | None = None):
    text = message or MESSAGES.get(status, MESSAGES[500])
    template = "core/_error_fragment.html" if is_htmx() else "core/error.html"
    return render_template(template, status=status, message=text), status


def _forget_session() -> None:
    """Roll back; a dead connection may refuse even that (the pool then discards it)."""
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback on a dead connection", exc_info=True)


def _remove_session(_error: BaseException | None) -> None:
    """End the request's session even when its connection died after the answer was made.

    Flask-SQLAlchemy's own teardown rolls back on close; with the database gone that raises
    after the view (or the 503 page) has answered, and the server would replace the answer
    with its bare 500 page. Registered after Flask-SQLAlchemy, so Flask runs it first; the
    pool discards the dead connection, and the next request gets a fresh one.
    """
    try:
        db.session.remove()
    except DBAPIError:
        log.warning("the database connection died at the end of a request", exc_info=True)
        db.session.registry.clear()


def register(app: Flask) -> None:
    app.teardown_appcontext(_remove_session)

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        db.session.rollback()
        return render_error(
            400, str(_l("Your form expired or was sent from elsewhere. Please try again."))
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        db.session.rollback()
        return render_error(error.code or 500)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception):
        """The database is down or restarting: a 503 page that needs no database.

        The pool pings connections before use (SQLALCHEMY_ENGINE_OPTIONS), so once the
        database is back the next request gets a fresh connection: no restart needed.
        """
        log.warning("database unavailable: %s", error)
        _forget_session()
        # The page must not look the user up again (that needs the database): render it
        # as for a visitor.
        g._login_user = current_app.login_manager.anonymous_user()
        body, status = render_error(503)
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(StorageUnavailable)
    def storage_unavailable(error: StorageUnavailable):
        """The object store did not answer: the same 503 as a database outage (an upload's
        transaction is rolled back, so nothing was saved), never a 'missing file' page."""
        log.warning("storage unavailable: %s", error)
        _forget_session()
        body, status = render_error(503)
        return body, status, {"Retry-After": "30"}

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        if error.connection_invalidated:  # the connection died under the request
            return database_unavailable(error)
        return unexpected_error(error)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unexpected error", exc_info=error)
        _forget_session()
        return render_error(500)
