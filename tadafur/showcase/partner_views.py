"""Partners' pages of the showcase module: the lessons library, "start from this project",
and the association's choice of public photos. Routes on `views.blueprint`."""

from __future__ import annotations

from flask import abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import requires
from tadafur.core.htmx import redirect_to
from tadafur.execution import attachments as files
from tadafur.extensions import db
from tadafur.projects import services as projects
from tadafur.projects.models import Project
from tadafur.reporting.models import CRITERIA
from tadafur.reporting.services import CRITERION_LABELS
from tadafur.showcase import lessons, photos, public, replication
from tadafur.showcase.forms import PublishPhotoForm, StartFromForm, WithdrawPhotoForm
from tadafur.showcase.views import blueprint


def load_project(project_id: int) -> Project:
    found = db.session.get(Project, project_id)
    if found is None:
        abort(404)
    return found


@blueprint.route("/lessons")
@requires("lessons.view")
def library():
    criteria = lessons.LessonFilter.from_args(request.args, public.phases())
    states = public.states_in_phase(criteria.phase) if criteria.phase else None
    found, total = lessons.search(current_user, criteria, states)
    pages = max(1, -(-total // lessons.PAGE_SIZE))
    return render_template("showcase/lessons.html", criteria=criteria, found=found,
                           total=total, pages=pages, choices=public.filter_choices(),
                           criteria_names=_criteria_choices())


def _criteria_choices() -> list[tuple[str, str]]:
    return [(c, str(CRITERION_LABELS[c])) for c in CRITERIA]


def _start_form(source: Project) -> StartFromForm:
    form = StartFromForm()
    communes, associations = projects.creation_choices(current_user)
    form.commune_id.choices = [(None, ""), *communes] if len(communes) > 1 else communes
    form.lead_association_id.choices = [(None, ""), *associations]
    return form


@blueprint.route("/projects/<int:project_id>/start-from", methods=["GET", "POST"])
@requires("project.replicate", load=load_project)
def start_from(source: Project):
    form = _start_form(source)
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                created = replication.start_from(current_user, source, {
                    "commune_id": form.commune_id.data,
                    "lead_association_id": form.lead_association_id.data,
                    "with_amounts": form.with_amounts.data})
            except replication.ReplicationError as error:
                db.session.rollback()
                getattr(form, error.field or "commune_id").errors = [error.message]
            else:
                db.session.commit()
                flash(_("A new draft was started from %(reference)s: adapt it to your commune.",
                        reference=source.reference), "success")
                return redirect_to(url_for("projects.show", project_id=created.id))
        status = 422
    return render_template("showcase/start_from.html", source=source, form=form,
                           replicated_in=public.replicated_in(source)), status


@blueprint.route("/projects/<int:project_id>/public-photos", methods=["GET", "POST"])
@requires("photo.publish", load=load_project)
def public_photos(project: Project):
    form, withdraw_form = PublishPhotoForm(), WithdrawPhotoForm()
    status = 200
    if request.method == "POST":
        status = 422
        try:
            if request.form.get("action") == "withdraw":
                if withdraw_form.validate():
                    name = photos.withdraw(current_user, project, withdraw_form.photo_id.data)
                    db.session.commit()
                    files.discard(name)
                    flash(_("The photo is no longer public."), "success")
                    return redirect_to(url_for("showcase.public_photos", project_id=project.id))
            elif form.validate():
                photos.publish(current_user, project, form.attachment_id.data,
                               bool(form.consent.data), form.caption.data or "")
                db.session.commit()
                flash(_("The photo is published on the project's public page."), "success")
                return redirect_to(url_for("showcase.public_photos", project_id=project.id))
        except photos.PhotoError as error:
            db.session.rollback()
            target = {"consent": form.consent, "photo_id": withdraw_form.photo_id}.get(
                error.field, form.attachment_id)
            target.errors = [error.message]
    return render_template("showcase/public_photos.html", project=project, form=form,
                           photos=photos.publishable_photos(project),
                           published=project.publication_approved), status
