"""On PostgreSQL: validators clicking at once validate a report once, with one PDF."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from tadafur.accounts.models import User
from tadafur.audit.services import verify_chain
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tadafur.reporting import services
from tadafur.reporting.models import MonitoringReport, ReportValidation
from tests.factories import PASSWORD
from tests.reporting.conftest import write_report

THREADS = 8


@pytest.mark.committing
def test_eight_threads_race_to_validate_one_report(app, dialect, running, member, agent,
                                                   officer):
    if dialect != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) are a PostgreSQL matter")
    report = write_report(member, running)
    services.submit_report(member, report)
    db.session.commit()
    report_id, validators = report.id, [agent.id, officer.id]
    db.session.remove()
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def validate(user_id: int) -> None:
        barrier.wait(timeout=30)
        with app.app_context():
            try:
                user = db.session.get(User, user_id)
                target = db.session.get(MonitoringReport, report_id)
                services.validate_report(user, target, "approve", None, PASSWORD)
                db.session.commit()
                outcome = "validated"
            except services.ReportError:
                db.session.rollback()
                outcome = "refused"
            except Exception as error:  # reported, not swallowed
                db.session.rollback()
                outcome = f"error: {error!r}"
            finally:
                db.session.remove()
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=validate, args=(validators[i % 2],))
               for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused"] * (THREADS - 2) + ["validated"] * 2, outcomes
    report = db.session.get(MonitoringReport, report_id)
    assert report.status == "validated"
    assert db.session.scalar(select(func.count()).select_from(ReportValidation)) == 2
    assert db.session.scalar(select(func.count()).select_from(RegisteredDocument).where(
        RegisteredDocument.kind == "monitoring_report")) == 1
    assert verify_chain().intact
