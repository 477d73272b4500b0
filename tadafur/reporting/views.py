"""Pages of the monitoring reports, the final report and the evaluation of a project.

Plain form POST + redirect; a refused input re-renders the form with the message beside the
field (422); a refusal about the state of things answers 409 with the page and its reason.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import can, requires
from tadafur.core.htmx import redirect_to
from tadafur.execution.services import financial_closure
from tadafur.extensions import db
from tadafur.projects.queries import load_for_page
from tadafur.reporting import services
from tadafur.reporting.forms import (
    FinalReportForm,
    MonitoringReportForm,
    ParticipationForm,
    ScoresForm,
    ValidationForm,
)
from tadafur.workflow import services as workflow
from tadafur.workflow.labels import party_label

blueprint = Blueprint("reporting", __name__)


def load_project(project_id: int, **_other_url_values):
    project = load_for_page(project_id)
    if project is None:
        abort(404)
    return project


def _refused(form, error: services.ReportError) -> int:
    """Put the refusal beside its field (or above the form); the status to answer.

    A wrong second-factor code is kept (a failed attempt the login throttle counts): it is
    refused before anything else changed."""
    db.session.commit() if error.field == "code" else db.session.rollback()
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)
    return error.status


def _save(form, save, message: str) -> tuple[bool, int]:
    """Validate `form`, run `save`, commit and flash `message`: (saved, status to render).

    A refused save (ReportError) puts its message beside the field (422 or 409); nothing is
    committed then.
    """
    if not form.validate_on_submit():
        return False, 422 if form.is_submitted() else 200
    try:
        save()
    except services.ReportError as error:
        return False, _refused(form, error)
    db.session.commit()
    flash(message, "success")
    return True, 200


def _back(project, tab: str = "reports"):
    return redirect_to(url_for("projects.show", project_id=project.id, tab=tab))


# ---------------------------------------------------------------- monitoring reports

@blueprint.route("/projects/<int:project_id>/reports/new", methods=["GET", "POST"])
@requires("reports.write", load=load_project)
def new_report(project):
    form = MonitoringReportForm()
    status = 200
    if form.validate_on_submit():
        try:
            report = services.create_report(current_user, project, form.values())
        except services.ReportError as error:
            status = _refused(form, error)
        else:
            db.session.commit()
            flash(_("Monitoring report saved as a draft."), "success")
            return redirect_to(url_for("reporting.show_report", project_id=project.id,
                                       report_id=report.id))
    elif form.is_submitted():
        status = 422
    return render_template("reporting/report_form.html", project=project, form=form,
                           report=None), status


@blueprint.route("/projects/<int:project_id>/reports/<int:report_id>")
@requires("reports.view", load=load_project)
def show_report(project, report_id: int):
    report = services.report_or_404(project, report_id)
    return _report_page(project, report, ValidationForm(formdata=None), 200)


def _report_page(project, report, validation_form, status: int, edit_form=None):
    author = services.is_monitoring_author(current_user, project) and \
        services.monitoring_open(project)
    if edit_form is None and author and report.status == "draft":
        edit_form = MonitoringReportForm(formdata=None, obj=report)
    return render_template(
        "reporting/report.html", project=project, report=report, form=validation_form,
        edit_form=edit_form, may_edit=author and report.status == "draft",
        validating=services.open_validation_parties(current_user, report),
        validations=report.validations, party_label=party_label,
        status_labels=services.STATUS_LABELS,
        missing=[party_label(p) for p in services.missing_validators(report)]), status


@blueprint.route("/projects/<int:project_id>/reports/<int:report_id>/edit", methods=["POST"])
@requires("reports.write", load=load_project)
def edit_report(project, report_id: int):
    report = services.report_or_404(project, report_id)
    form = MonitoringReportForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.update_report(current_user, report, form.values())
        except services.ReportError as error:
            status = _refused(form, error)
            report = services.report_or_404(project, report_id)
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect_to(url_for("reporting.show_report", project_id=project.id,
                                       report_id=report.id))
    return _report_page(project, report, ValidationForm(formdata=None), status, form)


@blueprint.route("/projects/<int:project_id>/reports/<int:report_id>/submit", methods=["POST"])
@requires("reports.write", load=load_project)
def submit_report(project, report_id: int):
    report = services.report_or_404(project, report_id)
    try:
        services.submit_report(current_user, report)
    except services.ReportError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The report was submitted for validation."), "success")
    return redirect_to(url_for("reporting.show_report", project_id=project.id,
                               report_id=report_id))


@blueprint.route("/projects/<int:project_id>/reports/<int:report_id>/validate",
                 methods=["POST"])
@requires("reports.validate", load=load_project)
def validate_report(project, report_id: int):
    report = services.report_or_404(project, report_id)
    form = ValidationForm()
    status = 422
    if form.validate_on_submit():
        try:
            services.validate_report(current_user, report, form.decision.data,
                                     form.comment.data, form.password.data,
                                     code=form.code.data or None)
        except services.ReportError as error:
            status = _refused(form, error)
            report = services.report_or_404(project, report_id)
        else:
            db.session.commit()
            flash(_("Your decision was recorded."), "success")
            return redirect_to(url_for("reporting.show_report", project_id=project.id,
                                       report_id=report_id))
    return _report_page(project, report, form, status)


# ---------------------------------------------------------------- final report

@blueprint.route("/projects/<int:project_id>/final-report", methods=["GET", "POST"])
@requires("final_report.write", load=load_project)
def final_report(project):
    report = services.final_report_of(project)
    form = FinalReportForm(obj=report) if request.method == "GET" else FinalReportForm()
    saved, status = _save(form, lambda: services.save_final_report(
        current_user, project, form.values()), _("Final report saved."))
    if saved:
        return _back(project)

    submit = next((a for a in workflow.available_actions(current_user, project)
                   if a.trigger == "submit_final_report"), None)
    return render_template("reporting/final_form.html", project=project, form=form,
                           open=services.final_report_open(project),
                           missing=services.final_report_missing(project),
                           closure=financial_closure(project), saved=report is not None,
                           submit=submit), status


# ---------------------------------------------------------------- evaluation

@blueprint.route("/projects/<int:project_id>/evaluation/scores", methods=["GET", "POST"])
@requires("evaluation.score", load=load_project)
def scores(project):
    parties = services.scorer_parties(current_user, project)
    party = request.values.get("party") if request.values.get("party") in parties \
        else parties[0]
    entry = services.entries_of(project).get(party)
    if request.method == "GET":
        form = ScoresForm(obj=entry)
        if entry is not None:
            for criterion, score_field, justification_field in form.criteria():
                row = entry.score_of(criterion)
                if row is not None:
                    score_field.data = str(row.score)
                    justification_field.data = row.justification
    else:
        form = ScoresForm()
    saved, status = _save(form, lambda: services.save_scores(
        current_user, project, party, form.values()), _("Your scores were saved."))
    if saved:
        return _back(project, "evaluation")
    return render_template("reporting/scores_form.html", project=project, form=form,
                           party=party, parties=parties, party_label=party_label,
                           open=services.evaluation_open(project),
                           labels=services.CRITERION_LABELS,
                           criterion_help=services.CRITERION_HELP), status


@blueprint.route("/projects/<int:project_id>/evaluation/participation",
                 methods=["GET", "POST"])
@requires("evaluation.score", load=load_project)
def participation(project):
    evaluation = services.evaluation_of(project)
    form = ParticipationForm(obj=evaluation) if request.method == "GET" \
        else ParticipationForm()
    saved, status = _save(form, lambda: services.save_participation(
        current_user, project, form.values()), _("Participation results saved."))
    if saved:
        return _back(project, "evaluation")
    return render_template("reporting/participation_form.html", project=project, form=form,
                           open=services.evaluation_open(project)), status


# ---------------------------------------------------------------- the project's tabs

def tab_context(project, tab: str) -> dict:
    """What the project page's `reports` and `evaluation` tabs show (a fixed number of
    queries whatever the number of reports)."""
    if tab == "reports":
        return {
            "reports": services.reports_of(project),
            "final": services.final_report_of(project),
            "final_missing": services.final_report_missing(project),
            "may_write": can(current_user, "reports.write", project)
            and services.monitoring_open(project),
            "may_write_final": can(current_user, "final_report.write", project)
            and services.final_report_open(project),
            "status_labels": services.STATUS_LABELS,
            "funder_label": services.funder_label,
        }
    parties, rows = services.consolidated(project)
    return {
        "eval_parties": parties, "eval_rows": rows,
        "eval_entries": services.entries_of(project),
        "evaluation": services.evaluation_of(project),
        "may_score": can(current_user, "evaluation.score", project)
        and services.evaluation_open(project),
        "eval_missing": services.evaluation_missing(project),
        "criterion_labels": services.CRITERION_LABELS,
        "criterion_help": services.CRITERION_HELP,
    }
