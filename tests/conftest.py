"""Fixtures: one app per database (SQLite always, PostgreSQL when TADAFUR_TEST_DATABASE_URL is
set), each test inside a transaction rolled back at the end, personas, and a query counter.

Under pytest-xdist (`make test` runs `pytest -n auto`) every worker has its own databases: a
SQLite file in its own temporary folder, and a PostgreSQL database named after the one given
with the worker's id appended (`test_gw0`, `test_gw1`), created afresh when the worker starts.
Tests that commit for real empty their database afterwards, so workers must never share one.
"""

from __future__ import annotations

import contextvars
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from tadafur import create_app
from tadafur.extensions import db
from tadafur.testing import BoundSession, build_schema, reset_data
from tests.pdfs import cheap_pdfs

# A fake convention producer, installed only while no real one is registered in
# tadafur.workflow.hooks (the app refuses to start without a producer for each document kind).
from tests.workflow import doubles  # noqa: F401


def _database_of_this_worker() -> None:
    """Point TADAFUR_TEST_DATABASE_URL at a PostgreSQL database of this xdist worker's own.

    Done before any fixture reads the variable, so the scratch databases some tests derive from
    its name (backup, migrations, faults) are per worker too.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    base = os.environ.get("TADAFUR_TEST_DATABASE_URL")
    if not worker or not base:
        return
    url = make_url(base)
    name = f"{url.database}_{worker}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["TADAFUR_TEST_DATABASE_URL"] = url.set(database=name).render_as_string(
        hide_password=False)


_database_of_this_worker()


def pytest_configure(config) -> None:
    """Python's cyclic garbage collector, tuned for a test session: what was imported is
    frozen out of its scans, and it runs after 50,000 new objects instead of 700 (the ORM and
    the templates make many; 8 % less CPU on the hardening, execution and amendment tests)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("TADAFUR_TEST_DATABASE_URL") else [])


def database_url(kind: str, tmp_path_factory) -> str:
    if kind == "postgresql":
        return os.environ["TADAFUR_TEST_DATABASE_URL"]
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


class IsolatedClient(FlaskClient):
    """Runs each request in an empty context, as a real server would.

    The tests hold an app context open (to call services directly); without this, Flask
    would reuse it for every request, sharing `g` (the logged-in user, the locale, the CSRF
    token) and the database session between requests.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # consume streamed bodies inside that context
        return contextvars.Context().run(super().open, *args, **kwargs)


def make_app(url: str, **overrides) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SEED_DEMO_DATA": False,
        "SERVER_NAME": "tadafur.test",
        "LOGIN_LOCK_SECONDS": 900,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "AUDIT_VERIFY_IN_BACKGROUND": False,  # threads would share the test transaction
        # Jobs run at once, inside the transaction that asks for them (deterministic);
        # tests/jobs run the real queue (a thread on SQLite, procrastinate on PostgreSQL).
        "JOBS_MODE": "eager",
        "SHOWCASE_FIGURES_SECONDS": 0,  # figures recomputed per request (no cross-test cache)
    }
    config.update(overrides)
    application = create_app(config)
    application.test_client_class = IsolatedClient
    return application


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests
def pytest_collection_modifyitems(config, items) -> None:
    """The longest tests first (slow ones, then the browser's journeys; `make test` runs those
    marked `alone` before, by themselves), so that xdist's workers do not end the run waiting
    on one long test picked up last."""

    def weight(item) -> int:
        if item.get_closest_marker("slow"):
            return 0
        return 1 if item.get_closest_marker("browser") else 2

    items.sort(key=weight)


@pytest.fixture(scope="session", params=DATABASES)
def app(request, tmp_path_factory) -> Iterator[Flask]:
    application = make_app(database_url(request.param, tmp_path_factory),
                           INSTANCE_DOCUMENTS=str(tmp_path_factory.mktemp("documents")),
                           SEAL_DIR=str(tmp_path_factory.mktemp("seal")),
                           ATTACHMENTS_DIR=str(tmp_path_factory.mktemp("attachments")))
    with application.app_context():
        build_schema()
        from tadafur.organisations.services import seed_reference_data

        seed_reference_data()
        db.session.commit()
        # Every test starts from the state a committing test leaves behind (reset_data): the
        # reference tables, an empty audit trail at its genesis head, whatever ran before it.
        reset_data()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def transaction(request, app) -> Iterator[None]:
    """Each test runs in a transaction rolled back at the end (commits become savepoints).

    Tests marked `committing` (threads, live servers) commit for real and are cleaned after.
    """
    with app.app_context():
        # What services say outside a request (errors raised to the test) is in English;
        # each request still speaks its user's language.
        g.forced_language = "en"
        if request.node.get_closest_marker("committing"):
            db.session.remove()
            try:
                yield
            finally:
                reset_data()
            return
        original = db.session
        connection = db.engine.connect()
        outer = connection.begin()
        db.session = db._make_scoped_session(
            {"class_": BoundSession, "bind": connection,
             "join_transaction_mode": "create_savepoint"})
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            if outer.is_active:
                outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _document_layout(request) -> Iterator[None]:
    """Documents laid out as one line (tests/pdfs.py) unless the test reads their pages
    (marked `real_pdfs`): composed, sealed, stored and registered for real either way."""
    if request.node.get_closest_marker("real_pdfs"):
        yield
        return
    with cheap_pdfs():
        yield


@pytest.fixture
def client(app):
    """A browser that asks for English unless a test says otherwise (the default, Arabic,
    is what a request without Accept-Language gets: see tests/core/test_pages.py)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return test_client


@pytest.fixture
def dialect(app) -> str:
    return db.engine.dialect.name


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, _conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...` then `counter.count`."""

    @contextmanager
    def counting():
        counter = QueryCounter()
        engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", counter)

    return counting


from tests.factories import *  # noqa: E402,F403  (personas and factories as fixtures)
from tests.objectstore import moto_s3, s3_storage  # noqa: E402,F401  (an S3 server, a bucket)
