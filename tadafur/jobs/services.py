"""The job queue's one interface: `enqueue` in the caller's transaction, `run` one job,
`drain` the due ones (the in-process thread and the tests), `retry` a failed one.

A job is a row of `job` written in the caller's transaction (flush only): it exists if and
only if that transaction commits. After the commit, the ids are handed to the dispatcher the
worker module installed (tadafur.jobs.worker: wake the in-process thread on SQLite, defer a
procrastinate job on PostgreSQL). In "eager" mode (the tests' default) the handler runs at
once, inside the caller's transaction, as the work did before jobs existed: a failure then
refuses what asked for it.

`run` claims a queued job (one UPDATE, so two workers never run it twice), then runs its
handler and marks it done in ONE transaction: what the handler registers (a document: row and
audit event) is committed with the job's "done", or not at all. A failure rolls that back,
records the error as a code and parameters, and puts the job back in the queue after a delay,
or marks it failed after its last attempt.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from tadafur.audit import services as audit  # audit.record read at call time (tests stop it)
from tadafur.extensions import db
from tadafur.jobs.models import DONE, FAILED, PENDING, QUEUED, RUNNING, Job
from tadafur.jobs.registry import KINDS, JobFailure, classify, producing
from tadafur.models_base import utcnow

log = logging.getLogger(__name__)

_AFTER_COMMIT = "tadafur.jobs.after_commit"
DISPATCH = "tadafur.jobs.dispatch"  # app.extensions key: callable(ids) installed by worker


class JobError(Exception):
    pass


def mode(app=None) -> str:
    """eager | thread | procrastinate, from JOBS_MODE ("auto": by the database)."""
    app = app or current_app
    chosen = app.config.get("JOBS_MODE", "auto")
    if chosen != "auto":
        return chosen
    uri = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    return "procrastinate" if uri.startswith("postgresql") else "thread"


def enqueue(kind: str, *, project: Any = None, actor: Any = None, **params: Any) -> Job:
    """Ask for `kind` to run with `params` (JSON values) once the caller's transaction
    commits; the handler finds the project and the actor on the job row."""
    if kind not in KINDS:
        raise JobError(f"unknown job kind {kind!r}")
    now = utcnow()
    job = Job(kind=kind, project_id=getattr(project, "id", None),
              params_json=json.dumps(params, sort_keys=True, default=str), state=QUEUED,
              attempts=0, max_attempts=int(current_app.config.get("JOBS_MAX_ATTEMPTS", 3)),
              created_by_id=getattr(actor, "id", None), created_at=now, run_after=now)
    db.session.add(job)
    db.session.flush()
    if mode() == "eager":
        job.state, job.attempts, job.started_at = RUNNING, 1, now
        KINDS[kind].handler(job)  # a failure refuses the caller's transaction
        job.state, job.finished_at = DONE, utcnow()
        db.session.flush()
        return job
    db.session().info.setdefault(_AFTER_COMMIT, []).append(job.id)
    return job


@event.listens_for(Session, "after_commit")
def _dispatch_after_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released (SQLAlchemy calls after_commit for those too)
    ids = session.info.pop(_AFTER_COMMIT, None)
    if not ids or not has_app_context():
        return
    dispatch = current_app.extensions.get(DISPATCH)
    if dispatch is None:
        return  # no worker in this process (a CLI command): `flask worker` picks them up
    try:
        dispatch(ids)
    except Exception as error:  # the rows are committed; a worker's sweep finds them
        log.warning("could not hand jobs %s to the worker: %s", ids, error)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: its job rows are gone, run() will find nothing to claim
    session.info.pop(_AFTER_COMMIT, None)


# ---------------------------------------------------------------- running

def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=float(current_app.config.get("JOBS_RETRY_SECONDS", 10))
                        * attempts)


def run(job_id: int) -> str | None:
    """Run one queued job; its state afterwards (None: not queued, someone else has it)."""
    claimed = db.session.execute(
        update(Job).where(Job.id == job_id, Job.state == QUEUED)
        .values(state=RUNNING, attempts=Job.attempts + 1, started_at=utcnow(),
                finished_at=None)).rowcount
    db.session.commit()
    if not claimed:
        return None
    job = db.session.get(Job, job_id)
    try:
        kind = KINDS.get(job.kind)
        if kind is None:
            raise JobFailure("unexpected", error=job.kind)
        kind.handler(job)
        job.state, job.finished_at = DONE, utcnow()
        job.error_code = job.error_params_json = None
        db.session.commit()
        return DONE
    except Exception as error:
        db.session.rollback()  # nothing the handler did stays (files: documents.services)
        code, params = classify(error)
        log.warning("job %s (%s) failed: %s", job_id, code, error, exc_info=code == "unexpected")
        job = db.session.get(Job, job_id)
        job.error_code, job.error_params_json = code, json.dumps(params, default=str)
        if job.attempts < job.max_attempts:
            job.state, job.run_after = QUEUED, utcnow() + backoff(job.attempts)
        else:
            job.state, job.finished_at = FAILED, utcnow()
        state = job.state
        db.session.commit()
        return state


def due(limit: int = 20, *, ignore_delay: bool = False) -> list[int]:
    query = select(Job.id).where(Job.state == QUEUED)
    if not ignore_delay:
        query = query.where(Job.run_after <= utcnow())
    return list(db.session.scalars(query.order_by(Job.id).limit(limit)))


def drain(*, ignore_delay: bool = False, limit: int = 1000) -> int:
    """Run due jobs until none is left (a retry's delay counts unless `ignore_delay`); the
    number run. The in-process thread's loop, and what tests call to finish the work."""
    count = 0
    while count < limit:
        ids = due(ignore_delay=ignore_delay)
        if not ids:
            return count
        for job_id in ids:
            if run(job_id) is not None:
                count += 1
    return count


def requeue_stale() -> list[int]:
    """Jobs "running" for longer than JOBS_STALE_SECONDS lost their worker: queue them again
    (their transaction never committed, so nothing of theirs was kept)."""
    limit = utcnow() - dt.timedelta(seconds=float(
        current_app.config.get("JOBS_STALE_SECONDS", 900)))
    ids = list(db.session.scalars(select(Job.id).where(Job.state == RUNNING,
                                                       Job.started_at < limit)))
    if ids:
        db.session.execute(update(Job).where(Job.id.in_(ids), Job.state == RUNNING)
                           .values(state=QUEUED, run_after=utcnow()))
    db.session.commit()
    return ids


def retry(job: Job, actor: Any) -> Job:
    """Start a failed job again (the programme officer's button), audited; the caller
    commits, and the job is dispatched after the commit."""
    if job.state != FAILED:
        raise JobError("only a failed job is started again")
    before = {"state": job.state, "attempts": job.attempts, "error": job.error_code}
    job.state, job.attempts, job.run_after, job.finished_at = QUEUED, 0, utcnow(), None
    db.session.flush()
    audit.record("job.retried", object_type="job", object_id=job.id,
                 project=job.project if job.project_id else None, actor=actor,
                 summary=f"{job.kind} #{job.id} started again", before=before,
                 after={"state": QUEUED})
    if mode() == "eager":
        run_inline(job)
    else:
        db.session().info.setdefault(_AFTER_COMMIT, []).append(job.id)
    return job


def run_inline(job: Job) -> None:
    """Eager mode's retry: run now, inside the caller's transaction."""
    job.state, job.attempts, job.started_at = RUNNING, 1, utcnow()
    try:
        with db.session.begin_nested():
            KINDS[job.kind].handler(job)
    except Exception as error:
        code, params = classify(error)
        job.state, job.finished_at = FAILED, utcnow()
        job.error_code, job.error_params_json = code, json.dumps(params, default=str)
    else:
        job.state, job.finished_at, job.error_code, job.error_params_json = (
            DONE, utcnow(), None, None)
    db.session.flush()


# ---------------------------------------------------------------- what the pages show

def of_project(project_id: int, limit: int = 20) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.project_id == project_id)
                                   .order_by(Job.id.desc()).limit(limit)))


def shown_for_project(project_id: int) -> list[Job]:
    """What the project page shows: pending jobs, and the latest failed one per kind that
    no later job of the same kind replaced."""
    latest: dict[str, Job] = {}
    for job in reversed(of_project(project_id, 50)):
        latest[job.kind] = job
    return [j for j in latest.values() if j.state in (*PENDING, FAILED)]


def preparing(project_ids: list[int], document_kind: str) -> set[int]:
    """The projects (among `project_ids`) whose latest job producing `document_kind` has not
    finished well: that document is being prepared (or failed), nothing to sign yet."""
    kinds = producing(document_kind)
    if not kinds or not project_ids:
        return set()
    latest: dict[int, str] = {}
    for project_id, state in db.session.execute(
            select(Job.project_id, Job.state)
            .where(Job.project_id.in_(project_ids), Job.kind.in_(kinds)).order_by(Job.id)):
        latest[project_id] = state
    return {p for p, state in latest.items() if state != DONE}


def unfinished(limit: int = 200) -> list[Job]:
    """The programme officer's list: failed and pending jobs, the oldest first."""
    return list(db.session.scalars(select(Job).where(Job.state.in_((*PENDING, FAILED)))
                                   .order_by(Job.id).limit(limit)))


def recent(limit: int = 50) -> list[Job]:
    return list(db.session.scalars(select(Job).where(Job.state == DONE)
                                   .order_by(Job.id.desc()).limit(limit)))
