"""The audit review: filter, page through and export the trail, and run verifications.

Scoped through access: oversight roles see every commune; commune users see only events of
their own communes; nobody else reaches it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_babel import force_locale, gettext as _
from markupsafe import Markup
from sqlalchemy import false, func, or_, select

from tadafur.access import auditor_scope, sees_everything
from tadafur.accounts.models import COMMUNE_ROLES, Role
from tadafur.audit.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditVerification
from tadafur.audit.services import record, verify_chain
from tadafur.audit.signing import sign_detached, verify_detached
from tadafur.audit.wording import details, object_words, project_references, referenced_names
from tadafur.core.filters import optional_date, optional_id
from tadafur.documents import labels as document_labels
from tadafur.exports import csv_writer
from tadafur.extensions import db
from tadafur.i18n import current_language, format_day, format_moment, localized
from tadafur.jobs import services as jobs
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune, Province, Region
from tadafur.projects.models import Project
from tadafur.vocabulary import ACTIONS, TRANSITIONS, action_label, roles_label

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000


@dataclass
class AuditFilter:
    region_id: int | None = None
    province_id: int | None = None
    commune_id: int | None = None
    project_id: int | None = None
    actor: str = ""
    action: str = ""
    text: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        """Parse query arguments; a malformed value is dropped and reported, never a 500."""
        criteria = cls()
        errors = criteria.errors
        criteria.region_id = optional_id(args, "region", errors)
        criteria.province_id = optional_id(args, "province", errors)
        criteria.commune_id = optional_id(args, "commune", errors)
        criteria.project_id = optional_id(args, "project", errors)
        criteria.actor = (args.get("actor") or "").strip()[:254]
        criteria.action = (args.get("action") or "").strip()[:64]
        criteria.text = (args.get("q") or "").strip()[:200]
        criteria.date_from = optional_date(args, "date_from", errors)
        criteria.date_to = optional_date(args, "date_to", errors)
        return criteria

    def as_args(self) -> dict[str, str]:
        values = {"region": self.region_id, "province": self.province_id,
                  "commune": self.commune_id, "project": self.project_id, "actor": self.actor,
                  "action": self.action, "q": self.text, "date_from": self.date_from,
                  "date_to": self.date_to}
        return {key: str(value) for key, value in values.items() if value}


def scoped_commune_ids(user) -> list[int] | None:
    """None: every commune. A list: only these (commune users, outside auditors)."""
    if sees_everything(user):
        return None
    return [m.commune_id for m in user.memberships
            if m.commune_id and Role(m.role) in COMMUNE_ROLES] + sorted(
        auditor_scope(user).commune_ids)


def _filtered(user, criteria: AuditFilter):
    statement = select(AuditEvent)
    scope = scoped_commune_ids(user)
    if scope is not None:
        projects = sorted(auditor_scope(user).project_ids)
        conditions = [AuditEvent.commune_id.in_(scope)] if scope else []
        if projects:
            conditions.append(AuditEvent.project_id.in_(projects))
        statement = statement.where(or_(*conditions) if conditions else false())
    if criteria.commune_id:
        statement = statement.where(AuditEvent.commune_id == criteria.commune_id)
    elif criteria.province_id:
        statement = statement.where(AuditEvent.commune_id.in_(
            select(Commune.id).where(Commune.province_id == criteria.province_id)))
    elif criteria.region_id:
        statement = statement.where(AuditEvent.commune_id.in_(
            select(Commune.id).join(Province).where(Province.region_id == criteria.region_id)))
    if criteria.project_id:
        statement = statement.where(AuditEvent.project_id == criteria.project_id)
    if criteria.actor:
        actor = criteria.actor.lower()
        if "@" in actor:  # an e-mail address: exact, served by an index
            statement = statement.where(AuditEvent.actor_name == actor)
        else:
            statement = statement.where(func.lower(AuditEvent.actor_name)
                                        .contains(actor, autoescape=True))
    if criteria.action in known_actions():  # chosen from the list: exactly that action
        statement = statement.where(AuditEvent.action == criteria.action)
    elif criteria.action:  # a prefix typed in the address ("project.")
        statement = statement.where(AuditEvent.action.startswith(criteria.action,
                                                                 autoescape=True))
    if criteria.text:
        needle = criteria.text.lower()
        statement = statement.where(or_(
            func.lower(AuditEvent.summary).contains(needle, autoescape=True),
            func.lower(AuditEvent.action).contains(needle, autoescape=True),
            func.lower(AuditEvent.before).contains(needle, autoescape=True),
            func.lower(AuditEvent.after).contains(needle, autoescape=True)))
    if criteria.date_from:
        statement = statement.where(AuditEvent.occurred_at >= dt.datetime.combine(
            criteria.date_from, dt.time.min))
    if criteria.date_to:
        statement = statement.where(AuditEvent.occurred_at < dt.datetime.combine(
            criteria.date_to + dt.timedelta(days=1), dt.time.min))
    return statement


def known_actions() -> set[str]:
    return set(ACTIONS) | {f"project.{trigger}" for trigger in TRANSITIONS}


def action_choices() -> list[tuple[str, str]]:
    """(code, words) of every action, by words in the reader's language: the filter offers
    actions by what they mean, not by their codes."""

    return sorted(((code, action_label(code)) for code in known_actions()),
                  key=lambda choice: choice[1].casefold())


def search(user, criteria: AuditFilter, before_seq: int | None = None,
           limit: int = PAGE_SIZE) -> tuple[list[AuditEvent], int | None]:
    """Newest first, keyset-paginated on seq. Returns the page and the next cursor."""
    statement = _filtered(user, criteria)
    if before_seq:
        statement = statement.where(AuditEvent.seq < before_seq)
    rows = list(db.session.scalars(statement.order_by(AuditEvent.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].seq if more and rows else None)


def all_matching(user, criteria: AuditFilter, limit: int = EXPORT_LIMIT) -> list[AuditEvent]:
    """Every event the filter selects, oldest first (for a registered PDF extract)."""
    statement = _filtered(user, criteria).order_by(AuditEvent.seq).limit(limit)
    return list(db.session.scalars(statement))


def describe(criteria: AuditFilter) -> list[str]:
    """The filter in words, printed on the PDF extract so a reader knows what it covers."""

    described = []
    labels = {Region: _("Region: %(name)s"), Province: _("Province: %(name)s"),
              Commune: _("Commune: %(name)s")}
    for model, value in ((Region, criteria.region_id), (Province, criteria.province_id),
                         (Commune, criteria.commune_id)):
        if value and (place := db.session.get(model, value)) is not None:
            described.append(labels[model] % {"name": localized(place)})
    if criteria.project_id and (project := db.session.get(Project, criteria.project_id)):
        described.append(_("Project: %(reference)s", reference=project.reference))
    if criteria.actor:
        described.append(_("Actor: %(name)s", name=criteria.actor))
    if criteria.action:
        described.append(_("Action: %(action)s",
                           action=document_labels.action_label(criteria.action)))
    if criteria.text:
        described.append(_("Text: «%(text)s»", text=criteria.text))
    if criteria.date_from:
        described.append(_("From: %(date)s", date=format_day(criteria.date_from, "long")))
    if criteria.date_to:
        described.append(_("To: %(date)s", date=format_day(criteria.date_to, "long")))
    return described or [_("the whole trail visible to its author")]


def visible_event(user, seq: int) -> AuditEvent | None:
    statement = _filtered(user, AuditFilter()).where(AuditEvent.seq == seq)
    return db.session.scalar(statement)


CSV_CODES = ("seq", "occurred_at_utc", "actor", "role", "action", "object_type", "object_id",
             "project_id", "commune_id", "summary", "before", "after", "address",
             "request_id", "prev_hash", "hash")
CSV_HEADER = CSV_CODES  # the evidence package's events.csv: the stored columns as recorded


def _csv_header() -> tuple[str, ...]:
    """Words for the reader first, then the stored codes and values, as recorded."""
    return (_("Event"), _("Time (Morocco)"), _("Actor"), _("Role"), _("Action"), _("Object"),
            _("Project"), _("Details"), *CSV_CODES)


def export_csv(user, criteria: AuditFilter, language: str | None = None) -> Iterator[str]:
    """The filtered events as CSV, oldest first, streamed in batches (keyset on seq).

    Each row carries the event in words in `language` (roles, action, object, details) and
    every stored column with its codes, unchanged (a reviewer can recompute the hashes).
    """


    language = language or current_language()
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    with force_locale(language):
        writer.writerow(_csv_header())
    yield buffer.getvalue()
    last, sent = 0, 0
    while sent < EXPORT_LIMIT:
        rows = list(db.session.scalars(_filtered(user, criteria).where(AuditEvent.seq > last)
                                       .order_by(AuditEvent.seq).limit(2000)))
        if not rows:
            return
        buffer.seek(0)
        buffer.truncate()
        references = project_references(rows)
        with force_locale(language):
            # the batch's objects by name, one query per kind (localized: in the locale)
            names = referenced_names(rows, values=False, objects=True)
            for e in rows:
                reference = references.get(e.project_id)
                words = Markup(details(e, reference)).striptags()
                writer.writerow((
                    e.seq, format_moment(e.occurred_at), e.actor_name,
                    roles_label(e.actor_role), action_label(e.action),
                    _csv_safe(object_words(e, reference, names)), reference, _csv_safe(words),
                    e.seq, e.occurred_at.isoformat(), e.actor_name, e.actor_role,
                    e.action, e.object_type, e.object_id, e.project_id, e.commune_id,
                    _csv_safe(e.summary), e.before, e.after, e.address, e.request_id,
                    e.prev_hash, e.hash))
        yield buffer.getvalue()
        last, sent = rows[-1].seq, sent + len(rows)


def _csv_safe(text: str | None) -> str | None:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


# ---------------------------------------------------------------- verification runs

def latest_verification() -> AuditVerification | None:
    return db.session.scalar(select(AuditVerification).order_by(AuditVerification.id.desc())
                             .limit(1))


def last_completed_verification() -> AuditVerification | None:
    return db.session.scalar(select(AuditVerification)
                             .where(AuditVerification.finished_at.is_not(None))
                             .order_by(AuditVerification.id.desc()).limit(1))


def start_verification(app: Flask | None = None, started_by: str | None = None,
                       background: bool = True) -> AuditVerification:
    """Record a run and verify the chain in a job (tadafur.jobs), saving progress as it goes;
    commits. `app` and `background` are kept for callers; the job queue decides where it
    runs (the tests' eager mode: at once, in this request).

    A run already in progress (started less than an hour ago) is returned instead of
    starting another: verification reads the whole log, once is enough.
    """
    running = latest_verification()
    if running is not None and running.running and \
            running.started_at > utcnow() - dt.timedelta(hours=1):
        return running
    total = db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    run = AuditVerification(started_at=utcnow(), started_by=started_by, total=total)
    db.session.add(run)
    db.session.flush()
    jobs.enqueue("audit.verify", run_id=run.id)
    db.session.commit()
    return run


def verify_job(job: Any) -> None:
    """The `audit.verify` job."""
    verify_run(job.params["run_id"])


def verify_run(run_id: int) -> None:
    """Verify and store the outcome. Progress commits as it goes, so any server can show it
    (events are append-only, so reading the chain across several transactions is safe).
    """
    run = db.session.get(AuditVerification, run_id)

    def progress(count: int) -> None:
        run.checked = count
        db.session.commit()

    try:
        result = verify_chain(progress=progress)
    except Exception as error:  # recorded on the run and shown on the panel
        db.session.rollback()
        run.intact, run.reason = False, f"verification failed: {error}"[:200]
    else:
        run.checked, run.intact = result.count, result.intact
        run.broken_seq, run.reason = result.broken_seq, result.reason or None
        if result.intact:
            run.up_to_seq, run.up_to_hash = result.count, result.last_hash
    run.finished_at = utcnow()
    db.session.flush()


# ---------------------------------------------------------------- exported chain heads

STATEMENT_TITLE = "Tadafur audit chain head"


def _signature(text: str) -> tuple[str, str]:
    """Sign with the platform's seal key (ECDSA P-256), so anyone holding the platform's
    certificate can check the statement; (algorithm, base64 signature)."""
    return "ecdsa-p256-sha256", sign_detached(text.encode("utf-8"))


def export_head(exported_by: str | None) -> AuditCheckpoint:
    """Freeze the current chain head as a signed statement, kept here and handed out."""
    head = db.session.execute(select(AuditChainHead.seq, AuditChainHead.hash)
                              .where(AuditChainHead.id == 1)).one()
    existing = db.session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.seq == head.seq))
    if existing is not None:
        return existing
    now = utcnow()
    body = (f"{STATEMENT_TITLE}\n"
            f"event: {head.seq}\n"
            f"hash: {head.hash}\n"
            f"exported_at: {now.strftime('%Y-%m-%dT%H:%M:%SZ')}\n"
            f"exported_by: {exported_by or 'system'}\n")
    algorithm, signature = _signature(body)
    statement = body + f"signature_algorithm: {algorithm}\nsignature: {signature}\n"
    checkpoint = AuditCheckpoint(seq=head.seq, hash=head.hash, exported_at=now,
                                 exported_by=exported_by, statement=statement)
    db.session.add(checkpoint)
    db.session.flush()
    record("audit.head_exported", object_type="audit_checkpoint", object_id=head.seq,
           summary=f"chain head exported at event {head.seq}",
           after={"seq": head.seq, "hash": head.hash})
    return checkpoint


class StatementError(ValueError):
    """The text is not a statement this platform signed."""


def parse_statement(text: str) -> tuple[int, str]:
    """(seq, hash) of a statement, after checking its signature."""
    if not text.startswith(STATEMENT_TITLE + "\n") or "\nsignature: " not in text:
        raise StatementError("not a Tadafur chain-head statement")
    body, _sep, tail = text.partition("signature_algorithm: ")
    fields = dict(line.split(": ", 1) for line in body.strip().splitlines()[1:] if ": " in line)
    signature = tail.partition("signature: ")[2].strip()
    if not verify_detached(body.encode("utf-8"), signature):
        raise StatementError("the statement's signature does not match")
    try:
        return int(fields["event"]), fields["hash"].strip()
    except (KeyError, ValueError):
        raise StatementError("the statement lacks its event or hash") from None
