"""Amendments: the proposal form, the amendment's page (its diff against the version in
force, its sign-off panel and record, its documents). Plain POST + redirect; with htmx the
sign-off panel answers a fragment."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import can, requires
from tadafur.amendments import services
from tadafur.amendments.forms import ProposalForm, SignForm
from tadafur.amendments.models import Amendment
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.documents.models import RegisteredDocument
from tadafur.extensions import db
from tadafur.projects.labels import BUDGET_CATEGORIES, FUNDER_LABELS
from tadafur.projects.models import Project
from tadafur.projects.queries import project_or_404

blueprint = Blueprint("amendments", __name__)


def tab_context(project: Project, tab: str, **forms) -> dict:
    """What the project page's Amendments tab shows (registered by amendments/hooks.py)."""
    return {"amendments": services.amendments_of(project),
            "may_propose": (services.may_be_amended(project)
                            and can(current_user, "amendment.propose", project)),
            "amendment_kind_label": lambda p, kind: services.kind_label(
                kind, services.rules_of(p))}


def load_amendment(amendment_id: int) -> Amendment:
    return db.session.get(Amendment, amendment_id) or abort(404)


def _proposal_from(form_data, project: Project) -> services.Proposal:
    """The per-item fields of the proposal form, as typed (the service parses them)."""
    def value(name: str) -> str:
        return (form_data.get(name) or "").strip()[:300]

    return services.Proposal(
        end_date=value("end_date") or None,
        lines={line.id: {"amount": value(f"line-{line.id}-amount"),
                         "funder": value(f"line-{line.id}-funder")}
               for line in project.budget_lines},
        activities={a.id: {"title": value(f"activity-{a.id}-title") or a.title,
                           "planned_start": value(f"activity-{a.id}-planned_start"),
                           "planned_end": value(f"activity-{a.id}-planned_end")}
                    for a in project.activities},
        indicators={i.id: {"target": value(f"indicator-{i.id}-target")}
                    for i in project.indicators},
        signatories={party: value(f"signatory-{party}") or None
                     for party in services.SIGNATORY_ROLES},
        new_activity={k: value(f"new-activity-{k}")
                      for k in ("title", "planned_start", "planned_end")},
        new_line={**{k: value(f"new-line-{k}")
                      for k in ("category", "description", "funder", "amount")},
                  "in_kind": bool(form_data.get("new-line-in_kind"))},
        removed_lines={x.id for x in project.budget_lines
                       if form_data.get(f"line-{x.id}-remove")},
        new_indicator={k: value(f"new-indicator-{k}")
                       for k in ("level", "name", "unit", "baseline", "target")},
        removed_activities={a.id for a in project.activities
                            if form_data.get(f"activity-{a.id}-remove")},
        removed_indicators={i.id for i in project.indicators
                            if form_data.get(f"indicator-{i.id}-remove")})


@blueprint.route("/projects/<int:project_id>/amendments/new", methods=["GET", "POST"])
@requires("amendment.propose", load=project_or_404)
def new(project: Project):
    form = ProposalForm()
    status, error, error_field = 200, None, None
    if not services.may_be_amended(project):
        status, error = 409, _("A project can be amended only during its execution or "
                               "follow-up.")
    elif form.validate_on_submit():
        try:
            amendment = services.propose(current_user, project, form.justification.data,
                                         _proposal_from(request.form, project))
        except services.AmendmentError as refused:
            db.session.rollback()
            status, error, error_field = 422, refused.message, refused.field
            if refused.field == "justification":
                form.justification.errors = [*form.justification.errors, refused.message]
        else:
            db.session.commit()
            flash(_("Amendment No. %(number)d proposed: it awaits the parties' sign-off.",
                    number=amendment.number), "success")
            return redirect_to(url_for("amendments.show", amendment_id=amendment.id))
    elif form.is_submitted():
        status = 422
    project = project_or_404(project.id)
    return render_template(
        "amendments/new.html", project=project, form=form, error=error,
        error_field=error_field, typed=request.form if request.method == "POST" else {},
        funders=FUNDER_LABELS, categories=BUDGET_CATEGORIES,
        rules=services.rules_of(project), locked=services.locked_keys(project),
        signatories=[(party, services.current_signatory(project, party),
                      services.signatory_choices(project, party))
                     for party in services.SIGNATORY_ROLES]), status


def _page(amendment: Amendment, form: SignForm | None = None, error: str | None = None,
          status: int = 200, message: str | None = None):
    rules = services.rules_of(amendment.project)
    gate = services.gate_of(amendment, rules) if rules else None
    context = {
        "amendment": amendment, "project": amendment.project,
        "diff": services.diff(amendment),
        "kind_label": lambda kind: services.kind_label(kind, rules),
        "parties": services.party_labels(amendment),
        "status": services.status_of(amendment, gate) if gate else None,
        "signoffs": services.signoffs_of(amendment),
        "may_sign": services.may_sign(current_user, amendment),
        "form": form or SignForm(formdata=None), "error": error, "message": message,
        "documents": [db.session.get(_document_model(), i) for i in
                      (amendment.document_id, amendment.consolidated_id) if i],
    }
    template = ("amendments/_signoff_panel.html" if is_htmx() and request.method == "POST"
                else "amendments/show.html")
    return render_template(template, **context), status


def _document_model():
    return RegisteredDocument


@blueprint.get("/amendments/<int:amendment_id>")
@requires("amendment.view", load=load_amendment)
def show(amendment: Amendment):
    return _page(amendment)


@blueprint.post("/amendments/<int:amendment_id>/sign")
@requires("amendment.sign", load=load_amendment)
def sign(amendment: Amendment):
    form = SignForm()
    if not form.validate_on_submit():
        return _page(amendment, form, status=422)
    try:
        services.sign(current_user, amendment, decision=form.decision.data,
                      comment=form.comment.data, password=form.password.data,
                      code=form.code.data or None)
    except services.AmendmentError as refused:
        # A wrong second-factor code is kept as a failed attempt (nothing else changed).
        db.session.commit() if refused.field == "code" else db.session.rollback()
        field = getattr(form, refused.field, None) if refused.field else None
        if field is not None:
            field.errors = [*field.errors, refused.message]
            return _page(load_amendment(amendment.id), form, status=422)
        return _page(load_amendment(amendment.id), form, refused.message, 422)
    db.session.commit()
    produced = _("Amendment approved by all parties: the consolidated convention is produced.") \
        if amendment.consolidated_id else _("Amendment approved by all parties: the "
                                            "consolidated convention is being prepared.")
    message = {"approved": produced,
               "rejected": _("Amendment refused: nothing changes.")}.get(
        amendment.status, _("Your sign-off is recorded."))
    flash(message, "success")
    return redirect_to(url_for("amendments.show", amendment_id=amendment.id))
