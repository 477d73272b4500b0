"""Producing, registering, finding and verifying documents.

`produce` renders a document, stores the bytes and registers them in the caller's
transaction (flush only). If anything fails, nothing is registered and the file it wrote is
removed: a failed render leaves no trace but the error.

The convention's life: the workflow calls `freeze_convention` when the project enters the
signature state (the frozen text is what the parties sign: their sign-offs bind to its
sha256); when the last sign-off completes the gate, `finalize_convention` produces the final
signed-off convention: the convention, the sign-off record appended, and the platform's
PAdES seal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from tadafur.documents import rendering, sealing
from tadafur.documents.models import RegisteredDocument, new_code, normalise_code
from tadafur.documents.store import document_store, sha256_of
from tadafur.extensions import db
from tadafur.models_base import utcnow

CONVENTION, CONVENTION_SIGNED, SIGNOFF_RECORD = "convention", "convention_signed", "signoff_record"
AMENDMENT = "amendment"  # a sealed amendment (avenant), produced when its gate completes
REPORT_KINDS = ("monitoring_report", "final_report", "evaluation_report", "audit_extract")
# Carry the platform's seal: the signed-off convention, the amendments, and the reports the
# parties validate.
SEALED_KINDS = (CONVENTION_SIGNED, AMENDMENT, "monitoring_report", "final_report",
                "evaluation_report")
# Registered once every party has signed off (a monitoring report after its validations).
FINAL_KINDS = (CONVENTION_SIGNED, AMENDMENT, "monitoring_report")
KINDS = (CONVENTION, CONVENTION_SIGNED, SIGNOFF_RECORD, AMENDMENT, *REPORT_KINDS)
# Callables(document) -> the sign-offs a final document records, or None when it is not
# theirs (the amendments module registers one for the documents its gate produces).
SIGNOFF_FINDERS: list = []
# Callables(project, party) -> the User named as that party's signatory, or None (an approved
# amendment changing a signatory registers one); else the first active signatory is named.
SIGNATORY_FINDERS: list = []
# (project) -> [(funder, amount, paid_on)] of the tranches already paid (the execution module
# registers one): a consolidated convention keeps them as paid and spreads what remains.
PAID_TRANCHE_FINDERS: list = []
GENERATABLE = (CONVENTION, SIGNOFF_RECORD)  # from the documents tab
LANGUAGES = ("ar", "fr", "bilingual")
CONVENTION_ARTICLES = (
    "object", "duration", "objectives", "obligations", "budget", "disbursement", "committee",
    "reporting", "visibility", "termination", "disputes",
)
TRANCHES = (Decimal("0.40"), Decimal("0.40"), Decimal("0.20"))
CENT = Decimal("0.01")


class DocumentError(Exception):
    """User-facing (translated) reason why a document could not be produced."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def kind_label(kind: str) -> str:
    return {
        CONVENTION: _("Partnership convention"),
        CONVENTION_SIGNED: _("Signed-off partnership convention"),
        SIGNOFF_RECORD: _("Sign-off record"),
        AMENDMENT: _("Amendment to the convention"),
        "monitoring_report": _("Monitoring report"),
        "final_report": _("Final report"),
        "evaluation_report": _("Evaluation report"),
        "audit_extract": _("Audit extract"),
    }.get(kind, kind)


def language_label(language: str) -> str:
    return {"ar": "العربية", "fr": "Français", "en": "English",
            "bilingual": "العربية / Français"}.get(language, language)


# ---------------------------------------------------------------- queries

def _of_project(project: Any):
    """The registry's condition for `project`'s documents; None: programme-wide ones."""
    if project is None:
        return RegisteredDocument.project_id.is_(None)
    return RegisteredDocument.project_id == project.id


def latest(project: Any, kind: str) -> RegisteredDocument | None:
    return db.session.scalar(
        select(RegisteredDocument)
        .where(_of_project(project), RegisteredDocument.kind == kind)
        .order_by(RegisteredDocument.version.desc()).limit(1))


def latest_frozen(project: Any, kind: str = CONVENTION) -> RegisteredDocument | None:
    return db.session.scalar(
        select(RegisteredDocument)
        .where(RegisteredDocument.project_id == project.id, RegisteredDocument.kind == kind,
               RegisteredDocument.frozen.is_(True))
        .order_by(RegisteredDocument.version.desc()).limit(1))


def latest_for_projects(project_ids: list[int], kind: str, prefer_frozen: bool = False
                        ) -> dict[int, RegisteredDocument]:
    """{project id: its latest document of `kind`} in one query (frozen first if asked)."""
    if not project_ids:
        return {}
    rows = db.session.scalars(
        select(RegisteredDocument)
        .where(RegisteredDocument.project_id.in_(project_ids), RegisteredDocument.kind == kind)
        .order_by(RegisteredDocument.project_id, RegisteredDocument.version.desc()))
    found: dict[int, RegisteredDocument] = {}
    frozen: dict[int, RegisteredDocument] = {}
    for document in rows:
        found.setdefault(document.project_id, document)
        if document.frozen:
            frozen.setdefault(document.project_id, document)
    return {**found, **frozen} if prefer_frozen else found


def documents_of(project: Any) -> list[RegisteredDocument]:
    return list(db.session.scalars(
        select(RegisteredDocument).where(RegisteredDocument.project_id == project.id)
        .order_by(RegisteredDocument.id.desc())))


def stored_bytes(document: RegisteredDocument) -> bytes:
    return document_store().get(document.storage_key)


def signoffs_of(project: Any) -> list[Any]:
    """The project's sign-offs, through the workflow's service (or its model)."""
    try:
        from tadafur.workflow.services import signoffs
    except ImportError:
        try:
            from tadafur.workflow.models import SignOff
        except ImportError:  # the workflow module is not installed
            return []
        return list(db.session.scalars(select(SignOff).where(SignOff.project_id == project.id)
                                       .order_by(SignOff.signed_at, SignOff.id)))
    return list(signoffs(project))


# ---------------------------------------------------------------- producing

def produce(project: Any, kind: str, actor: Any, language: str | None = None, *,
            frozen: bool = False, gate: str | None = None,
            sections: list[dict] | None = None,
            context: dict | None = None) -> RegisteredDocument:
    """Render, store and register one document (flushes; the caller commits).

    `sections` fill the report layout (monitoring, evaluation, audit extract); `context`
    carries what an amendment and its consolidated convention print (`amendment`).
    """
    if kind not in KINDS:
        raise DocumentError(_("Unknown kind of document."))
    language = language or current_app.config.get("DOCUMENTS_CONVENTION_LANGUAGE", "bilingual")
    if language not in LANGUAGES:
        raise DocumentError(_("Unknown document language."))
    previous = latest(project, kind)
    document = RegisteredDocument(
        code=new_code(), project_id=project.id if project else None, kind=kind,
        language=language,
        version=(previous.version + 1) if previous else 1,
        content_version=getattr(project, "content_version", None),
        created_by_id=getattr(actor, "id", None), created_at=utcnow(),
        supersedes_id=previous.id if previous else None, frozen=frozen,
        final=kind in FINAL_KINDS, sealed=kind in SEALED_KINDS, gate=gate)
    try:
        pdf = _render(project, document, sections, context or {})
        if document.sealed:
            pdf = sealing.seal(pdf)
    except rendering.RenderError as error:
        raise DocumentError(_("The document could not be rendered; nothing was saved.")) \
            from error
    except sealing.SealError as error:
        raise DocumentError(_("The document could not be sealed; nothing was saved.")) \
            from error
    return _register(project, document, pdf, actor)


def _register(project: Any, document: RegisteredDocument, pdf: bytes,
              actor: Any) -> RegisteredDocument:
    from tadafur.audit.services import record

    store = document_store()
    stored = store.put(pdf)
    try:
        document.sha256, document.size, document.storage_key = (
            stored.sha256, stored.size, stored.key)
        with db.session.begin_nested():
            db.session.add(document)
            db.session.flush()
            record("document.sealed" if document.sealed else "document.registered",
                   obj=document, project=project, actor=actor,
                   summary=f"{document.kind} v{document.version} ({document.language})",
                   after={"kind": document.kind, "version": document.version,
                          "language": document.language, "sha256": document.sha256,
                          "size": document.size, "code": document.code,
                          "frozen": document.frozen, "final": document.final,
                          "supersedes_id": document.supersedes_id})
    except Exception:
        if stored.created:
            store.discard(stored.key)
        raise
    return document


def freeze_convention(project: Any, actor: Any) -> RegisteredDocument:
    """DOCUMENT_PRODUCERS['convention']: the text put to signature, frozen."""
    return produce(project, CONVENTION, actor, frozen=True)


def finalize_convention(project: Any, gate: str, actor: Any) -> RegisteredDocument | None:
    """GATE_COMPLETED: after the convention's last sign-off, the sealed final convention."""
    frozen = latest_frozen(project)
    if frozen is None:
        return None
    signed = _gate_signoffs(project, gate, frozen.sha256)
    if not signed:
        return None  # not the convention's gate
    return produce(project, CONVENTION_SIGNED, actor, frozen.language, gate=gate)


def _gate_signoffs(project: Any, gate: str, sha256: str | None = None) -> list[Any]:
    rows = [s for s in signoffs_of(project) if s.gate == gate and getattr(s, "valid", True)]
    if sha256 is not None:
        rows = [s for s in rows if s.signed_hash == sha256]
    if rows:
        last_round = max(getattr(s, "round", 0) for s in rows)
        rows = [s for s in rows if getattr(s, "round", 0) == last_round]
    return sorted(rows, key=lambda s: s.signed_at)


# ---------------------------------------------------------------- rendering

def verification_url(code: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") or os.environ.get("TADAFUR_PUBLIC_BASE_URL")
    if base:
        return f"{base.rstrip('/')}/verify/{code}"
    if has_request_context() or current_app.config.get("SERVER_NAME"):
        return url_for("documents.verify_code", code=code, _external=True)
    return f"http://localhost:5000/verify/{code}"


def _render(project: Any, document: RegisteredDocument,
            sections: list[dict] | None = None, context: dict | None = None) -> bytes:
    common = _common_context(project, document)
    context = context or {}
    if document.kind == CONVENTION:
        return rendering.render_pdf(_convention_html(project, document, common))
    if document.kind == AMENDMENT or (document.kind == CONVENTION_SIGNED
                                      and "amendment" in context):
        return rendering.render_pdf(_amendment_html(project, document, common, context))
    if document.kind == CONVENTION_SIGNED:
        frozen = latest_frozen(project)
        common.update(signed_document=frozen, party_label=party_label,
                      signoffs=_gate_signoffs(project, document.gate,
                                              frozen.sha256 if frozen else None))
        return rendering.render_pdf(_convention_html(project, document, common))
    if document.kind == SIGNOFF_RECORD:
        signoffs = [s for s in signoffs_of(project) if getattr(s, "valid", True)]
        return rendering.render_pdf(_record_html(project, document, common, signoffs, None))
    return rendering.render_pdf(_report_html(project, document, common, sections))


def _common_context(project: Any, document: RegisteredDocument) -> dict:
    url = verification_url(document.code)
    return {
        "project": project, "document": document, "verify_url": url,
        "qr": rendering.qr_data_uri(url),
        "fingerprint": content_fingerprint(project)[:12] if project else None,
        "generated_at": document.created_at, "draft": not (document.frozen or document.final),
        "signed_document": None,
    }


def _locale_for(language: str) -> str:
    return "fr" if language == "bilingual" else language


def _convention_html(project: Any, document: RegisteredDocument, common: dict) -> str:
    languages = ("fr", "ar") if document.language == "bilingual" else (document.language,)
    facts = convention_facts(project)
    parts: dict[str, dict[str, Markup]] = {}
    env = current_app.jinja_env
    for language in languages:
        module = env.get_template(f"documents/convention/articles_{language}.html").module
        with force_locale(language):
            context = {**common, **facts, "lang": language}
            parts[language] = {
                "preamble": Markup(module.preamble(context)),
                "parties": Markup(module.parties(context)),
                "articles": [Markup(getattr(module, name)(context, number))
                             for number, name in enumerate(CONVENTION_ARTICLES, start=1)],
                "heading": Markup(module.heading(context)),
            }
    with force_locale(_locale_for(document.language)):
        return render_template("documents/convention.html", **common, **facts,
                               parts=parts, languages=languages, zip=zip,
                               articles_module=lambda language: env.get_template(
                                   f"documents/convention/articles_{language}.html").module,
                               lang=_locale_for(document.language),
                               bilingual=document.language == "bilingual")


def _amendment_html(project: Any, document: RegisteredDocument, common: dict,
                    context: dict) -> str:
    """The sealed amendment (its diff and sign-off record), or the consolidated convention
    (the convention with the amended values, naming the amendment, with its record)."""
    from tadafur.amendments import services as amendments

    amendment = context["amendment"]
    common.update(amendment=amendment, party_label=party_label,
                  signoffs=[s for s in amendments.signoffs_of(amendment) if s.valid
                            and s.signed_hash == amendment.subject_hash])
    languages = ("fr", "ar") if document.language == "bilingual" else (document.language,)
    if document.kind == CONVENTION_SIGNED:
        common["consolidated_bands"] = [(language, _consolidated_band(amendment, document,
                                                                      language))
                                        for language in languages]
        return _convention_html(project, document, common)
    bodies = []
    for language in languages:
        with force_locale(language):
            bodies.append((language, Markup(render_template(
                "documents/_amendment_body.html", **common, lang=language,
                diff=amendments.diff(amendment, lambda text, lang=language: _day(text, lang)),
                kind_label=lambda kind: amendments.kind_label(
                    kind, amendments.rules_of(project)),
                parties=amendments.party_labels(amendment)))))
    with force_locale(_locale_for(document.language)):
        return render_template("documents/amendment.html", **common, bodies=bodies,
                               lang=_locale_for(document.language))


def _consolidated_band(amendment: Any, document: RegisteredDocument, language: str) -> str:
    """The consolidated convention's notice, in one of its languages."""
    from tadafur.i18n import format_day

    with force_locale(language):
        return _("Consolidated text: the convention as amended by amendment No. %(number)s, "
                 "approved on %(when)s. It supersedes version %(previous)s.",
                 number=amendment.number,
                 when=format_day(amendment.decided_at or document.created_at, "long",
                                 language),
                 previous=document.version - 1 if document.version > 1 else "—")


def _day(text: str | None, language: str) -> str:
    from tadafur.i18n import format_day

    return format_day(dt.date.fromisoformat(text), language=language) if text else "—"


def _record_html(project: Any, document: RegisteredDocument, common: dict,
                 signoffs: list[Any], frozen: RegisteredDocument | None) -> str:
    language = _locale_for(document.language)
    with force_locale(language):
        context = {**common, "lang": language, "signoffs": signoffs,
                   "signed_document": frozen, "party_label": party_label}
        return render_template("documents/signoff_record.html", **context)


def _report_html(project: Any, document: RegisteredDocument, common: dict,
                 sections: list[dict] | None = None) -> str:
    language = _locale_for(document.language)
    with force_locale(language):
        return render_template("documents/report.html", **common, lang=language,
                               title=kind_label(document.kind), sections=sections or [])


def party_label(party: str) -> str:
    return {"commune": _("Commune"), "association": _("Association"),
            "programme": _("Programme")}.get(party, party)


# ---------------------------------------------------------------- the convention's facts

@dataclass
class BudgetShare:
    funder: str
    total: Decimal
    share: Decimal  # percent, two decimals


@dataclass
class Tranche:
    funder: str
    number: int
    amount: Decimal
    due: str  # "signature" | "interim" | "final"
    date: dt.date | None


@dataclass
class Facts:
    lines: list = field(default_factory=list)
    shares: list[BudgetShare] = field(default_factory=list)
    total: Decimal = Decimal("0")
    tranches: list[Tranche] = field(default_factory=list)


def convention_facts(project: Any) -> dict:
    """Everything the convention computes from the project: totals, shares, schedule, dates."""
    from tadafur.accounts.models import Membership, Role, User

    lines = list(project.budget_lines)
    total = sum((line.amount for line in lines), Decimal("0"))
    funders = []
    for line in lines:
        if line.funder not in funders:
            funders.append(line.funder)
    shares = []
    for funder in funders:
        part = sum((line.amount for line in lines if line.funder == funder), Decimal("0"))
        share = (part * 100 / total).quantize(CENT, ROUND_HALF_UP) if total else Decimal("0")
        shares.append(BudgetShare(funder, part, share))

    start, end = project.start_date, project.end_date
    months = None
    midpoint = None
    if start and end:
        months = max(1, round((end - start).days / 30.4375))
        midpoint = start + (end - start) / 2
    tranches = []
    paid = [row for finder in PAID_TRANCHE_FINDERS for row in finder(project)]
    stages = list(zip(TRANCHES, ("signature", "interim", "final"),
                      (start, midpoint, end + dt.timedelta(days=30) if end else None),
                      strict=True))
    for share in shares:
        if share.funder not in ("commune", "programme") or not share.total:
            continue
        done = [(amount, day) for funder, amount, day in paid if funder == share.funder]
        for number, (amount, day) in enumerate(done, start=1):
            tranches.append(Tranche(share.funder, number, amount, "paid", day))
        remaining = share.total - sum((amount for amount, _day in done), Decimal("0"))
        ahead = stages[len(done):] or stages[-1:]
        if remaining <= 0:
            continue
        weight = sum((rate for rate, _due, _date in ahead), Decimal("0"))
        amounts = [(remaining * rate / weight).quantize(CENT, ROUND_HALF_UP)
                   for rate, _due, _date in ahead]
        amounts[-1] = remaining - sum(amounts[:-1])
        for number, (amount, (_rate, due, date)) in enumerate(
                zip(amounts, ahead, strict=True), start=len(done) + 1):
            tranches.append(Tranche(share.funder, number, amount, due, date))

    def signatory(role: Role, column: Any, value: int) -> User | None:
        party = "commune" if role == Role.COMMUNE_SIGNATORY else "association"
        for finder in SIGNATORY_FINDERS:
            named = finder(project, party)
            if named is not None:
                return named
        return db.session.scalar(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.role == role.value, column == value, User.active.is_(True))
            .order_by(User.id).limit(1))

    return {
        "budget_lines": lines, "shares": shares, "budget_total": total, "tranches": tranches,
        "months": months, "interim_date": midpoint,
        "final_report_date": end + dt.timedelta(days=30) if end else None,
        "commune_signatory": signatory(Role.COMMUNE_SIGNATORY, Membership.commune_id,
                                       project.commune_id),
        "association_signatory": signatory(Role.ASSOCIATION_SIGNATORY,
                                           Membership.association_id,
                                           project.lead_association_id),
        "programme_name": current_app.config.get(
            "PROGRAMME_NAME", {"ar": "برنامج تضافر", "fr": "Programme Tadafur"}),
        "court": current_app.config.get(
            "DOCUMENTS_COURT", {"ar": "المحكمة الإدارية المختصة",
                                "fr": "le tribunal administratif compétent"}),
    }


def content_fingerprint(project: Any) -> str:
    """SHA-256 of the project's content as the convention states it (printed, shortened)."""
    values = {
        "reference": project.reference, "title_ar": project.title_ar,
        "title_fr": project.title_fr, "objectives": project.objectives,
        "commune": project.commune_id, "association": project.lead_association_id,
        "partners": sorted(a.id for a in project.partners),
        "start": project.start_date.isoformat() if project.start_date else None,
        "end": project.end_date.isoformat() if project.end_date else None,
        "budget": [[line.category, line.description, str(line.amount), line.funder,
                    bool(line.in_kind)] for line in project.budget_lines],
    }
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


# ---------------------------------------------------------------- verification

@dataclass
class Verification:
    query: str
    document: RegisteredDocument | None = None
    authentic: bool = False
    reason: str = ""
    seal: sealing.SealStatus | None = None
    signoffs: list = field(default_factory=list)
    uploaded_sha256: str | None = None
    superseded_by: RegisteredDocument | None = None


def find(text: str) -> RegisteredDocument | None:
    """A registered document by full SHA-256 or by verification code."""
    text = (text or "").strip()
    lowered = text.lower()
    if len(lowered) == 64 and all(ch in "0123456789abcdef" for ch in lowered):
        return db.session.scalar(select(RegisteredDocument)
                                 .where(RegisteredDocument.sha256 == lowered))
    code = normalise_code(text)
    if code:
        return db.session.scalar(select(RegisteredDocument)
                                 .where(RegisteredDocument.code == code))
    return None


def verify_upload(data: bytes) -> Verification:
    digest = sha256_of(data)
    document = find(digest)
    result = Verification(query=digest, document=document, uploaded_sha256=digest)
    if document is None:
        result.reason = _("No document with exactly these bytes was registered: this file is "
                          "not an authentic Tadafur document (it may have been altered).")
        status = sealing.validate(data)
        result.seal = status if status.present else None
        return result
    return _describe(result, data)


def verify_reference(text: str) -> Verification:
    document = find(text)
    result = Verification(query=text.strip(), document=document)
    if document is None:
        result.reason = _("No registered document has this hash or verification code.")
        return result
    return _describe(result, stored_bytes(document))


def _describe(result: Verification, data: bytes) -> Verification:
    document = result.document
    result.authentic = True
    if document.sealed:
        result.seal = sealing.validate(data)
        result.authentic = result.seal.ok
    result.superseded_by = db.session.scalar(
        select(RegisteredDocument).where(RegisteredDocument.supersedes_id == document.id)
        .order_by(RegisteredDocument.version).limit(1))
    for finder in SIGNOFF_FINDERS:
        found = finder(document)
        if found is not None:
            result.signoffs = found
            return result
    bound = {document.sha256}
    if document.project is None:  # programme-wide: no sign-offs bind to it
        return result
    if document.final and document.gate:
        frozen = latest_frozen(document.project)
        if frozen is not None:
            bound.add(frozen.sha256)
        result.signoffs = _gate_signoffs(document.project, document.gate,
                                         frozen.sha256 if frozen else None)
    else:
        result.signoffs = [s for s in signoffs_of(document.project)
                           if s.signed_hash in bound and getattr(s, "valid", True)]
    return result
