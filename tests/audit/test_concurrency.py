"""Concurrent writers queue on the chain head instead of forking the chain."""

from __future__ import annotations

import threading

import pytest

from tadafur.audit.services import record, verify_chain
from tadafur.extensions import db

pytestmark = pytest.mark.committing


def test_parallel_writers_keep_one_unbroken_chain(app, dialect):
    if dialect != "postgresql":
        pytest.skip("SQLite serialises writers itself; the row lock matters on PostgreSQL")
    threads_count, per_thread = 10, 5
    start = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                start.wait()
                for i in range(per_thread):
                    record("test.parallel", object_type="thing", object_id=f"{n}-{i}",
                           summary="parallel write", actor_name=f"writer-{n}")
                    db.session.commit()
        except BaseException as error:  # reported below
            errors.append(error)

    with app.app_context():
        before = verify_chain().count
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with app.app_context():
        result = verify_chain()
    assert result.intact, str(result)
    assert result.count == before + threads_count * per_thread
