"""A connection that dies after the answer was made must not turn that answer into a 500.

Seen in tests/hardening/test_faults.py: the database stopped between a page's last query and
the end of the request; Flask-SQLAlchemy's teardown then rolled back on the dead connection and
gunicorn replaced the page with its own bare 500.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from tadafur.core import errors
from tadafur.extensions import db


def test_the_session_is_ended_before_flask_sqlalchemy_tries(app):
    """Flask runs teardowns last-registered first: ours must come after Flask-SQLAlchemy's."""
    names = [function.__name__ for function in app.teardown_appcontext_funcs]
    assert names.index("_remove_session") > names.index("_teardown_session"), names


def test_a_dead_connection_at_teardown_is_logged_and_forgotten(app, monkeypatch, caplog):
    session = db.session()

    def die() -> None:
        raise OperationalError("ROLLBACK", {}, Exception("server closed the connection"))

    monkeypatch.setattr(session, "close", die)
    errors._remove_session(None)  # no exception reaches the server
    assert not db.session.registry.has()  # Flask-SQLAlchemy's teardown has nothing left to do
    assert "died at the end of a request" in caplog.text


def test_other_errors_at_teardown_are_not_hidden(app, monkeypatch):
    session = db.session()

    def fail() -> None:
        raise ValueError("bug")

    monkeypatch.setattr(session, "close", fail)
    with pytest.raises(ValueError):
        errors._remove_session(None)
