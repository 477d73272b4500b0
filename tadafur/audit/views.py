"""The audit review: filters, infinite scroll, event detail, CSV export, integrity panel."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tadafur import vocabulary
from tadafur.access import can, requires
from tadafur.audit import review, wording
from tadafur.audit.evidence import build_package, produce_extract
from tadafur.audit.models import AuditCheckpoint
from tadafur.core.errors import render_error
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.documents.services import LANGUAGES as DOCUMENT_LANGUAGES, DocumentError
from tadafur.extensions import db
from tadafur.i18n import current_language
from tadafur.organisations.services import programme_regions, provinces_of
from tadafur.projects.models import Project
from tadafur.projects.queries import project_or_404

blueprint = Blueprint("audit", __name__, url_prefix="/audit")


@blueprint.app_context_processor
def audit_wording() -> dict:
    """Events in words, for the audit pages and the project's History tab."""

    return {"audit_details": wording.details, "action_label": vocabulary.action_label,
            "roles_label": vocabulary.roles_label, "object_words": wording.object_words,
            "audit_fields": wording.fields_list, "audit_changes": wording.changed_values,
            "field_value": vocabulary.format_value, "file_size": vocabulary.file_size,
            "list_words": vocabulary.list_words}


@blueprint.route("/")
@requires("audit.view")
def overview():
    criteria = review.AuditFilter.from_args(request.args)
    before = request.args.get("before", "")
    events, next_cursor = review.search(current_user, criteria,
                                        before_seq=int(before) if before.isdigit() else None)
    context = {"events": events, "next_cursor": next_cursor, "criteria": criteria,
               "filter_args": criteria.as_args(),
               "references": wording.project_references(events)}
    if is_htmx() and request.headers.get("HX-Target") in ("audit-rows", "more-events"):
        return render_template("audit/_rows.html", **context)
    checkpoints = db.session.scalars(select(AuditCheckpoint)
                                     .order_by(AuditCheckpoint.seq.desc()).limit(5))
    return render_template(
        "audit/overview.html", **context, regions=programme_regions(),
        provinces=provinces_of(criteria.region_id),
        latest=review.latest_verification(), completed=review.last_completed_verification(),
        checkpoints=list(checkpoints), actions=review.action_choices(),
        scope=review.scoped_commune_ids(current_user))


@blueprint.route("/events/<int:seq>")
@requires("audit.view")
def event(seq: int):
    found = review.visible_event(current_user, seq)
    if found is None:
        abort(404)
    references = wording.project_references([found])
    # the event's object and the ids in its values, named in one query per kind
    names = wording.referenced_names([found], objects=True)
    return render_template("audit/event.html", event=found,
                           reference=references.get(found.project_id), names=names,
                           rows=wording.changed_values(found, everything=True, names=names))


@blueprint.route("/export.csv")
@requires("audit.view")
def export_csv():
    criteria = review.AuditFilter.from_args(request.args)
    language = request.args.get("lang")
    if language not in current_app.config["LANGUAGES"]:
        language = None  # the reader's language
    rows = review.export_csv(current_user._get_current_object(), criteria, language)
    response = Response(stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=tadafur-audit.csv"
    return response


@blueprint.route("/extract.pdf")
@requires("audit.view")
def extract_pdf():
    """The filtered events as a registered (verifiable) PDF audit extract: attached to the
    project when the filter names one, programme-wide otherwise."""


    criteria = review.AuditFilter.from_args(request.args)
    project = db.session.get(Project, criteria.project_id) if criteria.project_id else None
    if criteria.project_id and project is None:
        abort(404)
    if project is not None and not can(current_user, "project.view", project):
        abort(403)
    events = review.all_matching(current_user, criteria)
    if not events:
        return render_error(400, _("No event matches this filter: there is nothing to extract."))
    language = _document_language("document_language")
    try:
        document = produce_extract(project, current_user._get_current_object(), events,
                                   language, lambda: review.describe(criteria))
    except DocumentError as error:
        db.session.rollback()
        return render_error(503, error.message)
    db.session.commit()
    return redirect_to(url_for("documents.download", document_id=document.id))


@blueprint.route("/verifications", methods=["POST"])
@requires("audit.integrity")
def start_verification():
    review.start_verification(current_app._get_current_object(), current_user.email,
                              background=current_app.config.get("AUDIT_VERIFY_IN_BACKGROUND",
                                                                True))
    if is_htmx():
        return verification_status()
    return redirect_to(url_for("audit.overview"))


@blueprint.route("/verifications/latest")
@requires("audit.view")
def verification_status():
    return render_template("audit/_verification.html", latest=review.latest_verification(),
                           completed=review.last_completed_verification())


@blueprint.route("/heads", methods=["POST"])
@requires("audit.integrity")
def export_head():
    checkpoint = review.export_head(current_user.email)
    db.session.commit()
    return redirect_to(url_for("audit.head_statement", seq=checkpoint.seq))


@blueprint.route("/heads/<int:seq>.txt")
@requires("audit.view")
def head_statement(seq: int):
    checkpoint = db.session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.seq == seq))
    if checkpoint is None:
        abort(404)
    response = Response(checkpoint.statement, mimetype="text/plain")
    response.headers["Content-Disposition"] = \
        f"attachment; filename=tadafur-audit-head-{seq}.txt"
    return response


@blueprint.route("/projects/<int:project_id>/evidence.zip")
@requires("evidence.download", load=project_or_404)
def evidence_package(project):
    """One click: the project's registered PDFs, audit extract, PDF inventory and signed
    manifest. The registered PDFs it adds speak the reader's language unless ?lang=ar|fr|
    bilingual asks for another (as the audit extract's document_language)."""
    language = _document_language("lang", "document_language")
    try:
        name, data = build_package(project, current_user._get_current_object(), language)
    except DocumentError as error:
        db.session.rollback()
        abort(503, error.message)
    db.session.commit()
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


def _document_language(*arguments: str) -> str:
    """The language of a PDF made on request (extract, evidence package): the first of
    `arguments` given, else the reader's (documents exist in Arabic, French or both, so an
    English reader gets French); an unknown value gets French, never an error."""
    asked = next((request.args[name] for name in arguments if request.args.get(name)), None)
    language = asked or ("ar" if current_language() == "ar" else "fr")
    return language if language in DOCUMENT_LANGUAGES else "fr"
