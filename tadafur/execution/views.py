"""The execution tab of a project page and its forms: tranches, expenses, activity progress,
indicator values and evidence files (upload, and the audited download).

The tab itself is rendered by the project page (`tadafur.projects.page`, tab "execution"),
which asks `tab_context` for what it shows. Every form works as plain POST + redirect; with
htmx the tab comes back (422 with the errors beside the fields).
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, abort, current_app, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from tadafur.access import can, requires
from tadafur.core.errors import render_error
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.core.storage import MissingObject
from tadafur.execution import charts, services
from tadafur.execution.forms import (
    AttachmentForm,
    ExpenseForm,
    IndicatorValueForm,
    PayTrancheForm,
    ProgressForm,
    TrancheForm,
)
from tadafur.execution.models import Attachment
from tadafur.extensions import db
from tadafur.i18n import text_direction
from tadafur.projects.labels import FUNDER_LABELS
from tadafur.projects.models import Project
from tadafur.projects.page import render_tab
from tadafur.projects.queries import load_for_page
from tadafur.workflow import dates

blueprint = Blueprint("execution", __name__)
DATE_KINDS = ("tranche_planned", "tranche_paid", "expense", "indicator_period")
TAB = "execution"
FORMS = {"tranche_form": (TrancheForm, "tranche"), "pay_form": (PayTrancheForm, "pay"),
         "expense_form": (ExpenseForm, "expense"), "progress_form": (ProgressForm, "progress"),
         "value_form": (IndicatorValueForm, "value"),
         "attachment_form": (AttachmentForm, "attachment")}


def load_project(project_id: int, **_other_url_values) -> Project:
    project = load_for_page(project_id)
    if project is None:
        abort(404)
    return project


def load_attachment(project_id: int, attachment_id: int) -> Attachment:
    return services.attachment_or_404(project_id, attachment_id)


def _fill_choices(project: Project, forms: dict) -> None:
    funders = sorted(services.offered_funders(current_user, project),
                     key=lambda f: [x.value for x in FUNDER_LABELS].index(f))
    forms["tranche_form"].funder.choices = [(f, str(FUNDER_LABELS[f])) for f in funders]
    forms["expense_form"].budget_line_id.choices = [
        (line.id, f"{line.description} ({FUNDER_LABELS.get(line.funder, line.funder)})")
        for line in project.budget_lines]
    activities = [(a.id, a.title) for a in project.activities]
    forms["progress_form"].activity_id.choices = activities
    forms["attachment_form"].activity_id.choices = [(0, _("The whole project")), *activities]
    forms["value_form"].indicator_id.choices = [(i.id, i.name) for i in project.indicators]


def _forms(project: Project, posted: dict) -> dict:
    forms = {name: posted.get(name) or cls(formdata=None, prefix=prefix)
             for name, (cls, prefix) in FORMS.items()}
    _fill_choices(project, forms)
    return forms


def tab_context(project: Project, **posted) -> dict:
    """What the execution tab shows, in a fixed number of queries whatever the row counts."""
    recording = services.accepts_records(project)
    results = services.indicator_results(project)
    direction = text_direction()
    return {
        "statement": services.budget_statement(project),
        "tranches": services.tranches_of(project),
        "expenses": services.expenses_of(project),
        "activities": project.activities,
        "progress": services.latest_progress(project),
        "results": results,
        "charts": {r.indicator_id: charts.indicator_chart(r, direction) for r in results},
        "attachments": services.attachments_of(project),
        "recording": recording,
        "may_tranche": recording and bool(services.offered_funders(current_user, project)),
        "tranche_funders": services.offered_funders(current_user, project),
        "may_record": recording and can(current_user, "execution.record", project),
        "may_upload": recording and can(current_user, "attachment.upload", project),
        "max_size": services.files.size_text(services.files.max_bytes()),
        "pay_tranche_id": posted.get("pay_tranche_id"),
        "date_bounds": {kind: dates.bounds(project, kind) for kind in DATE_KINDS},
        **_forms(project, posted),
    }


def _field_error(form, error: services.ExecutionError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
        if target.type == "DateField":  # a refused date is not offered again
            target.raw_data, target.data = [], None
    else:
        form.form_errors.append(error.message)


def _post(project: Project, form_name: str, form, action, anchor: str, **extra):
    """Validate, call the service, commit once; 422 with the errors beside the fields."""
    _fill_choices(project, {**_forms(project, {}), form_name: form})
    if not form.validate_on_submit():
        return render_tab(project, TAB, 422, **{form_name: form}, **extra)
    try:
        action()
    except services.ExecutionError as error:
        db.session.rollback()
        project = load_project(project.id)
        if error.field:
            _fill_choices(project, {**_forms(project, {}), form_name: form})
            _field_error(form, error)
            return render_tab(project, TAB, 422, **{form_name: form}, **extra)
        return render_tab(project, TAB, 409, tab_error=error.message)
    db.session.commit()
    project = load_project(project.id)
    if is_htmx():
        return render_tab(project, TAB)
    flash(_("Saved."), "success")
    return redirect_to(url_for("projects.show", project_id=project.id, tab=TAB) + anchor)


@blueprint.route("/projects/<int:project_id>/execution/tranches", methods=["POST"])
@requires("tranche.record", load=load_project)
def add_tranche(project: Project):
    form = TrancheForm(prefix="tranche")
    return _post(project, "tranche_form", form,
                 lambda: services.record_tranche(current_user, project, form.values()),
                 "#tranches")


@blueprint.route("/projects/<int:project_id>/execution/tranches/<int:tranche_id>/pay",
                 methods=["POST"])
@requires("tranche.record", load=load_project)
def pay_tranche(project: Project, tranche_id: int):
    form = PayTrancheForm(prefix="pay")
    return _post(project, "pay_form", form,
                 lambda: services.pay_tranche(current_user, project, tranche_id,
                                              form.paid_on.data, form.justification.data),
                 "#tranches", pay_tranche_id=tranche_id)


@blueprint.route("/projects/<int:project_id>/execution/expenses", methods=["POST"])
@requires("execution.record", load=load_project)
def add_expense(project: Project):
    form = ExpenseForm(prefix="expense")
    return _post(project, "expense_form", form,
                 lambda: services.record_expense(current_user, project, form.values()),
                 "#expenses")


@blueprint.route("/projects/<int:project_id>/execution/progress", methods=["POST"])
@requires("execution.record", load=load_project)
def add_progress(project: Project):
    form = ProgressForm(prefix="progress")
    return _post(project, "progress_form", form,
                 lambda: services.record_progress(current_user, project, form.values()),
                 "#progress")


@blueprint.route("/projects/<int:project_id>/execution/indicator-values", methods=["POST"])
@requires("execution.record", load=load_project)
def add_indicator_value(project: Project):
    form = IndicatorValueForm(prefix="value")
    return _post(project, "value_form", form,
                 lambda: services.record_indicator_value(current_user, project,
                                                         form.values()),
                 "#indicator-results")


@blueprint.route("/projects/<int:project_id>/execution/attachments", methods=["POST"])
@requires("attachment.upload", load=load_project)
def upload(project: Project):
    """Check the file by its content and size; store it; on any failure nothing remains."""
    form = AttachmentForm(prefix="attachment")
    stored: list[Attachment] = []

    def store() -> None:
        upload = form.file.data
        if upload is None or not getattr(upload, "filename", None):
            raise services.ExecutionError(_("Choose a file."), "file")
        data = upload.stream.read(services.files.max_bytes() + 1)
        stored.append(services.store_attachment(
            current_user, project, data, upload.filename,
            activity_id=form.activity_id.data or None, caption=form.caption.data or ""))

    try:
        return _post(project, "attachment_form", form, store, "#evidence")
    except BaseException:
        for attachment in stored:  # written, then the transaction failed: remove the file
            services.discard_attachment(attachment)
        raise


@blueprint.route("/projects/<int:project_id>/attachments/<int:attachment_id>")
@requires("attachment.download", load=load_attachment)
def download(attachment: Attachment):
    """The file as an attachment with its stored type, never rendered by the browser."""
    try:
        data = services.read_attachment(current_user, attachment, attachment.project)
    except MissingObject:
        abort(404)
    except services.ExecutionError as error:
        current_app.logger.error("attachment %s does not match its hash", attachment.id)
        return render_error(409, error.message)
    db.session.commit()
    response = make_response(data)
    response.headers["Content-Type"] = attachment.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Content-Disposition"] = _disposition(attachment.display_name)
    return response


def _disposition(name: str) -> str:
    """`attachment` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987)."""
    fallback = "".join(ch for ch in name.encode("ascii", "ignore").decode()
                       if ch not in '"\\;').strip() or "evidence"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


@blueprint.app_errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """A request over MAX_CONTENT_LENGTH (any form of the app): a clear message with the
    limit, nothing stored."""
    db.session.rollback()
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    if request.endpoint == "execution.upload":
        limit = min(limit, services.files.max_bytes())
    message = _("The file is too large: at most %(size)s. Nothing was saved.",
                size=services.files.size_text(limit))
    if is_htmx() and request.endpoint == "execution.upload":
        # htmx swaps only 2xx, 409 and 422 answers: give the upload form its message.
        project = load_for_page((request.view_args or {}).get("project_id", 0))
        if project is not None and can(current_user, "attachment.upload", project):
            form = AttachmentForm(formdata=None, prefix="attachment")
            form.file.errors = [message]
            return render_tab(project, TAB, 422, attachment_form=form)
    return render_error(413, message)


def template_helpers() -> dict:
    return {"shows_execution": services.shows_execution,
            "progress_status": services.progress_status}
