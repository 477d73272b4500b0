"""The jobs as people see them: a project's documents being prepared (an htmx fragment that
polls every 2 s while something is pending, and reloads the page when it is ready), and the
programme officer's list of failed and pending jobs with a "start again" button (audited)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import requires
from tadafur.core.htmx import is_htmx, redirect_to, safe_next
from tadafur.extensions import db
from tadafur.jobs import services
from tadafur.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from tadafur.jobs.registry import error_words, kind_label
from tadafur.projects.queries import project_or_404

blueprint = Blueprint("jobs", __name__)


def state_label(job: Job) -> str:
    return {QUEUED: _("waiting"), RUNNING: _("in progress"), DONE: _("done"),
            FAILED: _("failed")}.get(job.state, job.state)


def template_helpers() -> dict:
    return {"project_jobs": lambda project: services.shown_for_project(project.id),
            "job_label": lambda job: kind_label(job.kind),
            "job_state": state_label,
            "job_error": lambda job: error_words(job.error_code, job.error_params)}


@blueprint.route("/projects/<int:project_id>/jobs")
@requires("project.view", load=project_or_404)
def project_status(project):
    """The fragment; once nothing is pending any more, an htmx poll reloads the page (the
    document and the sign-off appear)."""
    jobs = services.shown_for_project(project.id)
    response = render_template("jobs/_project_jobs.html", project=project, shown_jobs=jobs)
    if is_htmx() and request.args.get("polling") and not any(j.pending for j in jobs):
        return response, 200, {"HX-Refresh": "true"}
    return response


@blueprint.route("/jobs")
@requires("jobs.manage")
def index():
    return render_template("jobs/index.html", unfinished=services.unfinished(),
                           recent=services.recent())


@blueprint.route("/jobs/<int:job_id>/retry", methods=["POST"])
@requires("jobs.manage")
def retry(job_id: int):
    job = db.get_or_404(Job, job_id)
    if job.state != FAILED:
        abort(409)
    services.retry(job, current_user._get_current_object())
    db.session.commit()
    default = url_for("jobs.index")
    return redirect_to(safe_next(request.form.get("next"), default))
