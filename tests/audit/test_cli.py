from sqlalchemy import text

from tadafur.audit.services import record
from tadafur.audit.triggers import create_audit_triggers, drop_audit_triggers
from tadafur.extensions import db


def test_verify_command_reports_intact_chain(app):
    record("test.cli", object_type="thing", summary="one")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("intact: ")
    assert result.output.strip().endswith(" events")


def test_verify_command_names_first_broken_event_and_fails(app):
    first = record("test.cli", object_type="thing", summary="one")
    record("test.cli", object_type="thing", summary="two")
    db.session.commit()
    connection = db.session.connection()
    drop_audit_triggers(connection)
    db.session.execute(text("UPDATE audit_event SET summary='forged' WHERE seq=:s"),
                       {"s": first.seq})
    create_audit_triggers(connection)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"broken at event {first.seq}" in result.output
