"""Error pages in the user's language. No traceback ever reaches a user."""

from __future__ import annotations

import logging

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from tadafur.core.htmx import is_htmx
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


def register(app: Flask) -> None:
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
    def database_unavailable(error: OperationalError):
        log.warning("database unavailable: %s", error)
        db.session.rollback()
        return render_error(503)

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        log.exception("unexpected error", exc_info=error)
        db.session.rollback()
        return render_error(500)
