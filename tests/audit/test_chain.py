"""The audit chain: written with the change, refused when altered, verified end to end."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import compute_hash, record, verify_chain
from tadafur.audit.triggers import create_audit_triggers, drop_audit_triggers
from tadafur.extensions import db


def _three_events():
    for n in range(3):
        record("test.event", object_type="thing", object_id=n, summary=f"event {n}",
               before={"n": n}, after={"n": n + 1, "password": "hunter2"})
    db.session.flush()


def test_events_form_an_intact_chain():
    before = verify_chain().count
    _three_events()
    result = verify_chain()
    assert result.intact, str(result)
    assert result.count == before + 3
    assert str(result) == f"intact: {before + 3} events"


def test_secrets_are_masked_in_before_and_after():
    _three_events()
    event = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert "hunter2" not in event.after
    assert '"password":"***"' in event.after


def test_each_hash_covers_the_previous_one():
    _three_events()
    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.seq)).all()
    for previous, current in itertools.pairwise(events):
        assert current.prev_hash == previous.hash
        assert compute_hash(current) == current.hash


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET summary = 'forged'",
    "DELETE FROM audit_event",
])
def test_database_refuses_update_and_delete(statement):
    _three_events()
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))


def test_postgresql_refuses_truncate(dialect):
    if dialect != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    _three_events()
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("TRUNCATE audit_event"))


# ------------------------------------------------------------ tampering behind the app's back

def _tamper(statement: str, **params) -> None:
    connection = db.session.connection()
    drop_audit_triggers(connection)
    db.session.execute(text(statement), params)
    create_audit_triggers(connection)
    db.session.expire_all()


def _middle_seq() -> int:
    return db.session.scalar(text("SELECT max(seq) FROM audit_event")) - 1


def test_verify_finds_an_altered_event():
    _three_events()
    seq = _middle_seq()
    _tamper("UPDATE audit_event SET summary = 'nothing happened' WHERE seq = :s", s=seq)
    result = verify_chain()
    assert not result.intact
    assert result.broken_seq == seq
    assert "altered" in result.reason


def test_verify_finds_an_altered_value_even_with_recomputed_hash():
    """Rewriting an event and its own hash still breaks the link from the next event."""
    _three_events()
    seq = _middle_seq()
    event = db.session.get(AuditEvent, seq)
    db.session.expunge(event)
    event.after = '{"n":999}'
    forged_hash = compute_hash(event)
    _tamper("UPDATE audit_event SET after = :a, hash = :h WHERE seq = :s",
            a=event.after, h=forged_hash, s=seq)
    result = verify_chain()
    assert not result.intact
    assert result.broken_seq == seq + 1


def test_verify_finds_a_deleted_event():
    _three_events()
    seq = _middle_seq()
    _tamper("DELETE FROM audit_event WHERE seq = :s", s=seq)
    result = verify_chain()
    assert not result.intact
    assert result.broken_seq == seq


def test_verify_finds_deleted_newest_events():
    _three_events()
    last = db.session.scalar(text("SELECT max(seq) FROM audit_event"))
    _tamper("DELETE FROM audit_event WHERE seq = :s", s=last)
    result = verify_chain()
    assert not result.intact
    assert "head" in result.reason


def test_verify_finds_reordered_events():
    _three_events()
    seq = _middle_seq()
    # swap the contents of two neighbours (keeping their sequence numbers)
    first = db.session.get(AuditEvent, seq)
    second = db.session.get(AuditEvent, seq + 1)
    a = (first.summary, first.after, first.hash)
    b = (second.summary, second.after, second.hash)
    _tamper("UPDATE audit_event SET summary=:s, after=:a, hash=:h WHERE seq=:q",
            s=b[0], a=b[1], h="x" * 64, q=seq)
    _tamper("UPDATE audit_event SET summary=:s, after=:a, hash=:h WHERE seq=:q",
            s=a[0], a=a[1], h=b[2], q=seq + 1)
    _tamper("UPDATE audit_event SET hash=:h WHERE seq=:q", h=a[2], q=seq)
    result = verify_chain()
    assert not result.intact
    assert result.broken_seq == seq


def test_change_and_audit_roll_back_together(commune):
    """A change whose transaction fails leaves neither the change nor its audit event."""
    from tadafur.organisations.services import update_commune

    count_before = verify_chain().count
    old_name = commune.name_fr
    with pytest.raises(RuntimeError), db.session.begin_nested():
        update_commune(commune, {"name_fr": "Renamed"})
        raise RuntimeError("crash before commit")
    db.session.expire_all()
    assert commune.name_fr == old_name
    assert verify_chain().count == count_before
