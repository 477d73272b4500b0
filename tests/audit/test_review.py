"""The audit review: scoped filters, keyset pages, side-by-side values, CSV, verification runs."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tadafur.audit.models import AuditEvent, AuditVerification
from tadafur.audit.services import record
from tadafur.extensions import db
from tests.factories import login


@pytest.fixture
def events(commune, other_commune):
    made = []
    for n in range(3):
        made.append(record("commune.updated", object_type="commune", object_id=commune.id,
                           commune_id=commune.id, summary=f"ours {n}",
                           before={"name_fr": f"Old {n}"}, after={"name_fr": f"New {n}"},
                           actor_name="agent.one@example.org"))
        made.append(record("commune.updated", object_type="commune",
                           object_id=other_commune.id, commune_id=other_commune.id,
                           summary=f"theirs {n}", actor_name="agent.two@example.org"))
    db.session.commit()
    return made


def _seqs(html: str) -> list[str]:
    import re

    return re.findall(r'/audit/events/(\d+)"', html)


def _shown(html: str, events, which: str) -> set[int]:
    """Which of the fixture's events ("ours n" / "theirs n") the page links to."""
    seqs = set(_seqs(html))
    return {n for n in range(3) for e in events
            if e.summary == f"{which} {n}" and str(e.seq) in seqs}


def test_reviewer_sees_every_commune(client, reviewer, events):
    login(client, reviewer)
    html = client.get("/audit/").get_data(as_text=True)
    assert _shown(html, events, "ours") == {0, 1, 2} == _shown(html, events, "theirs")


def test_commune_user_sees_only_their_commune(client, agent, events, other_commune):
    login(client, agent)
    html = client.get("/audit/").get_data(as_text=True)
    assert _shown(html, events, "ours") == {0, 1, 2} and not _shown(html, events, "theirs")
    html = client.get(f"/audit/?commune={other_commune.id}").get_data(as_text=True)
    assert not _shown(html, events, "theirs")
    foreign = next(e for e in events if e.summary.startswith("theirs"))
    assert client.get(f"/audit/events/{foreign.seq}").status_code == 404
    assert "theirs" not in client.get("/audit/export.csv").get_data(as_text=True)


def test_association_users_do_not_reach_the_review(client, member):
    login(client, member)
    assert client.get("/audit/").status_code == 403


def test_filters_narrow_the_events(client, officer, events, commune):
    login(client, officer)
    html = client.get(f"/audit/?commune={commune.id}&actor=AGENT.ONE@example.org&q=new 1").get_data(
        as_text=True)
    assert _shown(html, events, "ours") == {1} and not _shown(html, events, "theirs")
    html = client.get("/audit/?action=user.&date_from=2000-01-01&date_to=not-a-date")
    assert html.status_code == 200
    assert "were not understood" in html.get_data(as_text=True)


def test_keyset_pages_follow_each_other_without_overlap(app, client, officer, events):
    login(client, officer)
    from tadafur.audit import review

    with app.test_request_context():
        first, cursor = review.search(officer, review.AuditFilter(), limit=2)
        second, _ = review.search(officer, review.AuditFilter(), before_seq=cursor, limit=2)
    assert [e.seq for e in first] == sorted((e.seq for e in first), reverse=True)
    assert max(e.seq for e in second) < min(e.seq for e in first)
    fragment = client.get(f"/audit/?before={events[-1].seq}",
                          headers={"HX-Request": "true", "HX-Target": "more-events"})
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    assert str(events[-1].seq) not in _seqs(html)


def test_event_shows_before_and_after_side_by_side(client, officer, events):
    login(client, officer)
    html = client.get(f"/audit/events/{events[0].seq}").get_data(as_text=True)
    assert "Old 0" in html and "New 0" in html
    assert html.index("Old 0") < html.index("New 0")
    assert "Commune corrected" in html and "commune.updated" not in html.replace(
        'data-code="commune.updated"', "")


def test_csv_export_has_the_filtered_events_and_defuses_formulas(client, officer, commune):
    record("commune.updated", object_type="commune", commune_id=commune.id,
           summary="=HYPERLINK(\"http://evil\")")
    db.session.commit()
    login(client, officer)
    response = client.get(f"/audit/export.csv?commune={commune.id}")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows and all(row["commune_id"] == str(commune.id) for row in rows)
    assert any(row["summary"].startswith("'=HYPERLINK") for row in rows)
    assert {(row["Action"], row["action"]) for row in rows} == {
        ("Commune corrected", "commune.updated")}


def test_verification_run_records_progress_and_outcome(app, client, officer, events):
    assert app.config["AUDIT_VERIFY_IN_BACKGROUND"] is False  # run in the request, for tests
    login(client, officer)
    response = client.post("/audit/verifications")
    assert response.status_code == 303
    run = db.session.scalar(select(AuditVerification).order_by(AuditVerification.id.desc()))
    total = db.session.scalar(select(db.func.count()).select_from(AuditEvent))
    assert run.finished_at is not None and run.intact
    assert run.up_to_seq == run.checked >= total - 1
    html = client.get("/audit/").get_data(as_text=True)
    assert f"up to event {run.up_to_seq}" in html


def test_reviewers_cannot_start_runs_or_export_heads(client, reviewer):
    login(client, reviewer)
    assert client.post("/audit/verifications").status_code == 403
    assert client.post("/audit/heads").status_code == 403


def test_exported_head_is_signed_and_later_verify_checks_it(app, client, officer, events,
                                                             tmp_path):
    login(client, officer)
    response = client.post("/audit/heads")
    assert response.status_code == 303
    statement = client.get(response.headers["Location"]).get_data(as_text=True)
    assert statement.startswith("Tadafur audit chain head\n")
    assert "signature: " in statement
    path = tmp_path / "head.txt"
    path.write_text(statement)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--statement", str(path)])
    assert result.exit_code == 0, result.output
    forged = statement.replace("hash: ", "hash: 0")
    path.write_text(forged)
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--statement", str(path)])
    assert result.exit_code == 2 and "signature does not match" in result.output


def test_verify_fails_when_history_no_longer_passes_through_an_exported_head(app, events):
    from sqlalchemy import text

    from tadafur.audit.review import export_head
    from tadafur.audit.services import compute_hash, verify_chain
    from tadafur.audit.triggers import create_audit_triggers, drop_audit_triggers

    checkpoint = export_head("officer@example.org")
    db.session.commit()
    # rewrite the newest exported event and every hash after it, consistently
    connection = db.session.connection()
    drop_audit_triggers(connection)
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.seq >= checkpoint.seq)
                              .order_by(AuditEvent.seq)).all()
    previous = db.session.get(AuditEvent, checkpoint.seq - 1).hash
    for event in rows:
        db.session.expunge(event)
        event.summary = event.summary + " (rewritten)"
        event.prev_hash = previous
        event.hash = compute_hash(event)
        previous = event.hash
        db.session.execute(text("UPDATE audit_event SET summary=:s, prev_hash=:p, hash=:h "
                                "WHERE seq=:q"), {"s": event.summary, "p": event.prev_hash,
                                                  "h": event.hash, "q": event.seq})
    db.session.execute(text("UPDATE audit_chain_head SET hash=:h"), {"h": previous})
    create_audit_triggers(connection)
    db.session.expire_all()
    result = verify_chain()
    assert not result.intact
    assert result.broken_seq == checkpoint.seq
    assert "exported chain head" in result.reason
