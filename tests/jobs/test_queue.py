"""The real queue (a thread on SQLite, procrastinate's worker on PostgreSQL): a transition
answers before its PDF exists and the document appears when the job is done; a failing job is
retried, then failed, shown to the programme officer, leaves no half-registered document, and
starts again on request; e-mails and the audit chain's verification run as jobs too."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tadafur.accounts.models import User
from tadafur.audit.models import AuditEvent, AuditVerification
from tadafur.documents import services as documents
from tadafur.extensions import db
from tadafur.jobs import worker
from tadafur.jobs.models import Job
from tadafur.notifications import services as notifications
from tadafur.projects.models import Project
from tests.factories import PASSWORD, login
from tests.workflow.conftest import act, build_project, to_state

pytestmark = pytest.mark.committing


@contextlib.contextmanager
def eager(app):
    """Walk the workflow quickly first: jobs run inline, as in the rest of the suite."""
    saved = app.config["JOBS_MODE"]
    app.config["JOBS_MODE"] = "eager"
    try:
        yield
    finally:
        app.config["JOBS_MODE"] = saved


@pytest.fixture
def people(agent, president, chair, officer, member):
    return {"agent": agent, "president": president, "chair": chair, "officer": officer,
            "member": member}


@pytest.fixture
def who(people):
    """A persona read afresh (the tests drop their session to see the worker's commits)."""
    ids = {name: user.id for name, user in people.items()}
    return lambda name: db.session.get(User, ids[name])


def _at_convention_signature(app, commune, association, people, signed_by=()):
    with eager(app):
        project = build_project(commune, association, people["agent"])
        to_state(project, "convention_signature", **people)
        for signer in signed_by:
            act(people[signer], project, "signoff:convention")
    return project.id


def _jobs(project_id: int, kind: str) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.project_id == project_id,
                                                     Job.kind == kind).order_by(Job.id)))


def _files(app) -> set[str]:
    root = Path(app.config["INSTANCE_DOCUMENTS"])
    return {str(p.relative_to(root)) for p in root.rglob("*.pdf")}


def _sign(client, project_id: int):
    return client.post(f"/projects/{project_id}/act", data={
        "trigger": "signoff:convention", "password": PASSWORD, "data-decision": "approve",
        "comment": ""})


def test_convention_to_sign_is_prepared_by_a_job_and_offered_once_ready(
        app, client, queue, commune, association, people, who):
    with eager(app):
        project = build_project(commune, association, people["agent"])
        to_state(project, "decision", **people)
    act(people["officer"], project, "prepare_convention")  # the worker is not running yet
    project_id = project.id
    assert project.state == "convention_signature"
    assert documents.latest_frozen(project) is None
    [job] = _jobs(project_id, "documents.freeze_convention")
    assert job.state == "queued"

    login(client, people["president"])
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "The document is being prepared: it can be signed once it is ready." in page
    assert 'hx-trigger="every 2s"' in page and "Preparing the convention for signature" in page
    refused = _sign(client, project_id)
    assert refused.status_code in (200, 409, 422)
    db.session.remove()
    project = db.session.get(Project, project_id)
    assert not [s for s in documents.signoffs_of(project) if s.gate == "convention"]

    queue.start()
    assert queue.wait(job.id).state == "done"
    project = db.session.get(Project, project_id)
    frozen = documents.latest_frozen(project)
    assert frozen is not None and frozen.frozen
    poll = client.get(f"/projects/{project_id}/jobs?polling=1", headers={"HX-Request": "true"})
    assert poll.headers.get("HX-Refresh") == "true"
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "The document is being prepared" not in page and 'hx-trigger="every 2s"' not in page
    assert _sign(client, project_id).status_code in (200, 303)
    db.session.remove()
    project = db.session.get(Project, project_id)
    assert [s.signed_hash for s in documents.signoffs_of(project)
            if s.gate == "convention"] == [frozen.sha256]


def test_gate_completing_signoff_answers_before_the_sealed_pdf_which_then_appears(
        app, client, queue, commune, association, people):
    project_id = _at_convention_signature(app, commune, association, people,
                                          signed_by=("president", "chair"))
    login(client, people["officer"])
    started = time.perf_counter()
    response = _sign(client, project_id)
    elapsed = time.perf_counter() - started
    print(f"\ngate-completing sign-off POST ({queue.dialect}, jobs off the request): "
          f"{elapsed * 1000:.0f} ms")
    assert response.status_code in (200, 303)
    db.session.remove()
    project = db.session.get(Project, project_id)
    assert project.state == "in_execution"
    assert documents.latest(project, documents.CONVENTION_SIGNED) is None  # not yet
    [job] = _jobs(project_id, "documents.finalize_convention")
    assert job.state == "queued" and job.id in queue.handed
    fragment = client.get(f"/projects/{project_id}/jobs").get_data(as_text=True)
    assert "Sealing the signed-off convention" in fragment and "every 2s" in fragment

    queue.start()
    assert queue.wait(job.id).state == "done"
    project = db.session.get(Project, project_id)
    final = documents.latest(project, documents.CONVENTION_SIGNED)
    assert final is not None and final.sealed and final.final
    assert documents.verify_upload(documents.stored_bytes(final)).authentic
    assert client.get(f"/projects/{project_id}/jobs").get_data(as_text=True).count("<li") == 0


def test_failing_job_is_retried_then_failed_leaves_nothing_and_starts_again(
        app, client, queue, commune, association, people, who, monkeypatch):
    project_id = _at_convention_signature(app, commune, association, people,
                                          signed_by=("president", "chair"))
    real = documents.finalize_convention

    def registers_then_fails(project, gate, actor):
        real(project, gate, actor)  # the file is stored and the row flushed...
        raise RuntimeError("the disk filled up")  # ...then the job fails

    monkeypatch.setattr(documents, "finalize_convention", registers_then_fails)
    files = _files(app)
    act(who("officer"), db.session.get(Project, project_id), "signoff:convention")
    [job] = _jobs(project_id, "documents.finalize_convention")
    queue.start()
    failed = queue.wait(job.id, states=("failed",))
    assert failed.attempts == 3 and failed.error_code == "unexpected"
    assert failed.error_params == {"error": "RuntimeError"}
    project = db.session.get(Project, project_id)
    assert documents.latest(project, documents.CONVENTION_SIGNED) is None
    assert _files(app) == files  # every file a failed attempt stored was discarded

    login(client, who("officer"), language="fr")
    listing = client.get("/jobs").get_data(as_text=True)
    assert "RuntimeError" in listing and f"/jobs/{job.id}/retry" in listing
    page = client.get(f"/projects/{project_id}").get_data(as_text=True)
    assert f"/jobs/{job.id}/retry" in page
    president = app.test_client()
    login(president, who("president"))
    assert president.post(f"/jobs/{job.id}/retry").status_code == 403

    monkeypatch.undo()
    assert client.post(f"/jobs/{job.id}/retry").status_code == 303
    done = queue.wait(job.id)
    assert done.state == "done" and done.error_code is None
    project = db.session.get(Project, project_id)
    assert documents.latest(project, documents.CONVENTION_SIGNED) is not None
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "job.retried",
                                                      AuditEvent.object_id == str(job.id)))


def test_mail_is_sent_by_a_job_and_a_failing_relay_fails_it(app, queue):
    sent = app.extensions.setdefault("tadafur.sent_mail", [])
    before = len(sent)
    notifications.send_mail("someone@example.org", "Sujet du test", "Corps")
    db.session.commit()
    [job] = db.session.scalars(select(Job).where(Job.kind == "mail.send"))
    assert len(sent) == before  # nothing sent inside the request
    queue.start()
    assert queue.wait(job.id).state == "done"
    assert any(m["Subject"] == "Sujet du test" for m in sent[before:])

    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", 9  # nobody listens
    try:
        notifications.send_mail("someone@example.org", "Perdu", "Corps")
        db.session.commit()
        failing = db.session.scalars(select(Job).where(Job.kind == "mail.send")
                                     .order_by(Job.id.desc())).first()
        failed = queue.wait(failing.id, states=("failed",))
    finally:
        app.config.pop("MAIL_SERVER"), app.config.pop("MAIL_PORT")
    assert failed.error_code == "mail_failed" and failed.attempts == 3


def test_audit_verification_runs_as_a_job(app, client, queue, officer):
    db.session.commit()
    login(client, officer)
    assert client.post("/audit/verifications").status_code == 303
    db.session.remove()
    run = db.session.scalar(select(AuditVerification).order_by(AuditVerification.id.desc()))
    assert run.finished_at is None
    [job] = db.session.scalars(select(Job).where(Job.kind == "audit.verify"))
    queue.start()
    assert queue.wait(job.id).state == "done"
    db.session.remove()
    run = db.session.get(AuditVerification, run.id)
    assert run.finished_at is not None and run.intact


def test_a_lost_hand_over_is_found_by_the_sweep(app, dialect, queue):
    """PostgreSQL: a committed job whose defer never happened (its app server died between
    the commit and the hand-over) is deferred by the periodic sweep and runs."""
    if dialect != "postgresql":
        pytest.skip("the SQLite thread reads the table itself")
    job = Job(kind="mail.send", state="queued",
              params_json='{"messages": [["someone@example.org", "Perdu puis retrouvé", "x"]]}')
    db.session.add(job)
    db.session.commit()  # no enqueue(): nothing handed over
    sweeper = worker.worker_app(app)
    with sweeper.open():
        sweeper.tasks[worker.SWEEP_TASK](timestamp=0)  # what the periodic task does
    queue.start()
    assert queue.wait(job.id).state == "done"
