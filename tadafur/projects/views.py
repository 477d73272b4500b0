"""The project workspace: the list, creation and co-editing, the project page and its tabs,
the workflow action panel, the discussion, and the themes' administration page.

Every page works as plain form POST + redirect; with htmx the same URLs answer fragments
(422 with the form and its errors beside the fields, out-of-band swaps after an action).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import requires
from tadafur.core.htmx import is_htmx, redirect_to
from tadafur.extensions import db
from tadafur.projects import services
from tadafur.projects.forms import (
    ActionForm,
    ActivityForm,
    BudgetLineForm,
    IndicatorForm,
    MessageForm,
    ProjectForm,
    ThemeForm,
)
from tadafur.projects.models import Project, Theme
from tadafur.projects.page import (
    TABS as TABS,  # moved; importable from here as before
    missing_link,
    page_context,
    render_tab as render_tab,
    shown_tab,
    tab_context,
    tab_labels as tab_labels,
)
from tadafur.workflow import services as workflow
from tadafur.workflow.labels import field_label

blueprint = Blueprint("projects", __name__)
PAGE_SIZE = 25


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def load_project(project_id: int, **_other_url_values) -> Project:
    """The project of the URL (404 when missing); other URL values go on to the view."""
    project = services.load_for_page(project_id)
    if project is None:
        abort(404)
    return project


# ---------------------------------------------------------------- the list

def _criteria() -> services.ProjectFilter:
    phase = request.args.get("phase", "")[:40]
    state = request.args.get("state", "")[:60]
    return services.ProjectFilter(
        text=request.args.get("q", "")[:100].strip(),
        region_id=_int_arg("region"), province_id=_int_arg("province"),
        commune_id=_int_arg("commune"), association_id=_int_arg("association"),
        phase=phase if phase in dict(services.phase_choices()) else "",
        state=state if state in dict(services.state_choices()) else "",
        theme_id=_int_arg("theme"), overdue=request.args.get("overdue") == "1",
    )


@blueprint.route("/projects")
@requires("project.list")
def index():
    criteria = _criteria()
    rows = services.search_projects(current_user, criteria, after_id=_int_arg("after"),
                                    limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    context = {"projects": rows, "criteria": criteria, "more": more,
               "overdue_ids": services.overdue_ids(rows)}
    if is_htmx() and request.headers.get("HX-Target") in ("project-rows", "more-projects"):
        response = make_response(render_template("projects/_rows.html", **context))
        if request.headers.get("HX-Target") == "project-rows":
            # The address bar shows the filters only, without the empty fields of the form.
            response.headers["HX-Push-Url"] = url_for("projects.index", **criteria.as_args())
        return response
    return render_template("projects/index.html", **services.filter_options(), **context)


# ---------------------------------------------------------------- creating and editing

def _fill_choices(form: ProjectForm, project: Project | None) -> None:
    """A creator chooses among their own communes and associations; partners among all."""
    if project is None:
        form.commune_id.choices, form.lead_association_id.choices = (
            services.creation_choices(current_user))
    else:
        form.commune_id.choices = [(project.commune_id, project.commune.name)]
        form.commune_id.data = project.commune_id
        form.lead_association_id.choices = services.association_choices(
            commune_ids=[project.commune_id], association_ids=[project.lead_association_id])
    form.partner_ids.choices = services.association_choices()
    form.theme_ids.choices = [(t.id, t.name) for t in services.all_themes()
                              if t.active or (project is not None and t in project.themes)]


@blueprint.route("/projects/new", methods=["GET", "POST"])
@requires("project.create")
def new():
    form = ProjectForm()
    _fill_choices(form, None)
    status = 200
    if form.validate_on_submit():
        try:
            project = services.create_project(current_user, {
                **form.values(), "commune_id": form.commune_id.data})
        except services.ProjectError as error:
            db.session.rollback()
            _field_error(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("Project %(reference)s created.", reference=project.reference), "success")
            return redirect_to(url_for("projects.show", project_id=project.id))
    elif form.is_submitted():
        status = 422
    return _form_page(form, None, status)


def _field_error(form, error: services.ProjectError) -> None:
    target = getattr(form, error.field, None) if error.field else None
    if target is not None:
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _form_page(form: ProjectForm, project: Project | None, status: int,
               conflict: services.ProjectConflict | None = None):
    template = ("projects/_form.html" if is_htmx() and status != 200
                else "projects/form.html")
    # the ids in the others' values, named once for the whole box
    names = services.conflict_names(conflict.changes) if conflict else {}
    return render_template(template, form=form, project=project, conflict=conflict,
                           conflict_names=names, labels=services.FIELD_LABELS), status


@blueprint.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@requires("project.edit", load=load_project)
def edit(project: Project):
    if not workflow.is_editable(project):
        flash(_("This project can no longer be edited in its current state."), "error")
        return redirect_to(url_for("projects.show", project_id=project.id))
    form = ProjectForm(obj=project)
    if request.method == "GET":
        form.partner_ids.data = [a.id for a in project.partners]
        form.theme_ids.data = [t.id for t in project.themes]
        form.version.data = str(project.version)
    _fill_choices(form, project)
    status, conflict = 200, None
    if form.validate_on_submit():
        expected = form.expected_version()
        try:
            services.update_project(current_user, project, form.values(),
                                    expected if expected is not None else -1)
        except services.ProjectConflict as error:
            db.session.rollback()
            conflict = error
            # Their input stays in the form; the next save is based on what they have seen.
            form.version.data = str(error.current_version)
            status = 409
        except services.ProjectError as error:
            db.session.rollback()
            _field_error(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("Changes saved."), "success")
            return redirect_to(url_for("projects.show", project_id=project.id))
    elif form.is_submitted():
        status = 422
    return _form_page(form, project, status, conflict)


# ---------------------------------------------------------------- the project page and tabs


@blueprint.route("/projects/<int:project_id>")
@requires("project.view", load=load_project)
def show(project: Project):
    tab = request.args.get("tab", "overview")
    if tab not in TABS:
        tab = "overview"
    context = tab_context(project, shown_tab(project, tab))
    return render_template("projects/show.html", **{**page_context(project), **context})


@blueprint.route("/projects/<int:project_id>/tabs/<tab>")
@requires("project.view", load=load_project)
def tab_fragment(project: Project, tab: str):
    if tab not in TABS or shown_tab(project, tab) != tab:
        abort(404)
    context = tab_context(project, tab)
    return render_template(f"projects/_tab_{tab}.html", oob_nav=is_htmx(),
                           tab_labels=tab_labels(), tabs=TABS, **context)


def _content_post(project: Project, tab: str, form_name: str, form, service, *args):
    """Add or remove a line of the budget, an activity or an indicator."""
    if form is not None and not form.validate_on_submit():
        return render_tab(project, tab, 422, **{form_name: form})
    try:
        service(current_user, project, *args)
    except services.ProjectError as error:
        db.session.rollback()
        project = load_project(project.id)
        if form is not None and error.field:
            _field_error(form, error)
            return render_tab(project, tab, 422, **{form_name: form})
        if is_htmx():
            return render_tab(project, tab, 409, tab_error=error.message)
        return _flash_and_back(project, tab, error.message)
    db.session.commit()
    project = load_project(project.id)
    if is_htmx():
        return render_tab(project, tab)
    flash(_("Saved."), "success")
    return redirect_to(url_for("projects.show", project_id=project.id, tab=tab))


def _flash_and_back(project: Project, tab: str, message: str):
    flash(message, "error")
    return redirect_to(url_for("projects.show", project_id=project.id, tab=tab))


@blueprint.route("/projects/<int:project_id>/budget", methods=["POST"])
@requires("project.edit", load=load_project)
def add_budget_line(project: Project):
    form = BudgetLineForm()
    return _content_post(project, "budget", "form", form,
                         lambda actor, p: services.add_budget_line(actor, p, form.values()))


@blueprint.route("/projects/<int:project_id>/budget/<int:line_id>/remove", methods=["POST"])
@requires("project.edit", load=load_project)
def remove_budget_line(project: Project, line_id: int):
    return _content_post(project, "budget", "form", None, services.remove_budget_line, line_id)


@blueprint.route("/projects/<int:project_id>/activities", methods=["POST"])
@requires("project.edit", load=load_project)
def add_activity(project: Project):
    form = ActivityForm(prefix="activity")
    return _content_post(project, "plan", "activity_form", form,
                         lambda actor, p: services.add_activity(actor, p, form.values()))


@blueprint.route("/projects/<int:project_id>/activities/<int:activity_id>/remove",
                 methods=["POST"])
@requires("project.edit", load=load_project)
def remove_activity(project: Project, activity_id: int):
    return _content_post(project, "plan", "activity_form", None, services.remove_activity,
                         activity_id)


@blueprint.route("/projects/<int:project_id>/activities/<int:activity_id>/status",
                 methods=["POST"])
@requires("project.edit", load=load_project)
def activity_status(project: Project, activity_id: int):
    status = request.form.get("status", "")[:20]
    reason = request.form.get("reason", "")[:2000]
    return _content_post(project, "plan", "activity_form", None,
                         services.set_activity_status, activity_id, status, reason)


@blueprint.route("/projects/<int:project_id>/indicators", methods=["POST"])
@requires("project.edit", load=load_project)
def add_indicator(project: Project):
    form = IndicatorForm(prefix="indicator")
    return _content_post(project, "plan", "indicator_form", form,
                         lambda actor, p: services.add_indicator(actor, p, form.values()))


@blueprint.route("/projects/<int:project_id>/indicators/<int:indicator_id>/remove",
                 methods=["POST"])
@requires("project.edit", load=load_project)
def remove_indicator(project: Project, indicator_id: int):
    return _content_post(project, "plan", "indicator_form", None, services.remove_indicator,
                         indicator_id)


@blueprint.route("/projects/<int:project_id>/messages", methods=["POST"])
@requires("project.discuss", load=load_project)
def post_message(project: Project):
    form = MessageForm()
    if not form.validate_on_submit():
        return render_tab(project, "discussion", 422, form=form)
    try:
        services.post_message(current_user, project, form.body.data)
    except services.ProjectError as error:
        db.session.rollback()
        _field_error(form, error)
        return render_tab(project, "discussion", 422, form=form)
    db.session.commit()
    if is_htmx():
        return render_tab(load_project(project.id), "discussion")
    return redirect_to(url_for("projects.show", project_id=project.id, tab="discussion")
                       + "#discussion-form")


# ---------------------------------------------------------------- workflow actions

@blueprint.route("/projects/<int:project_id>/actions")
@requires("project.view", load=load_project)
def actions(project: Project):
    return render_template("projects/_actions.html", project=project,
                           actions=workflow.available_actions(current_user, project))


def _action_data(action) -> dict:
    """The extra fields an action asks for, as typed; the engine checks and converts them."""
    return {name: request.form.get(f"data-{name}", "").strip()[:5000] for name in action.fields}


@blueprint.route("/projects/<int:project_id>/act", methods=["POST"])
@requires("project.act", load=load_project)
def act(project: Project):
    """Fire a workflow action. htmx gets the panel plus the badge and timeline out of band."""
    form = ActionForm()
    trigger = (form.trigger.data or "").strip()
    action = next((a for a in workflow.available_actions(current_user, project)
                   if a.trigger == trigger), None)
    error, field_problems = None, []
    if action is None:
        error = _("This action is not available any more. The page shows what you can do now.")
    elif not form.validate_on_submit():
        error = _("Please correct the form.")
    elif action.needs_password and not form.password.data:
        form.password.errors = [_("Enter your password to sign.")]
        error = _("Please correct the form.")
    else:
        try:
            workflow.fire(current_user, project, trigger,
                          comment=(form.comment.data or "").strip() or None,
                          data=_action_data(action) or None,
                          password=form.password.data or None, code=form.code.data or None)
        except workflow.WorkflowError as refusal:
            # A wrong second-factor code is kept as a failed attempt (nothing else changed).
            db.session.commit() if refusal.field == "code" else db.session.rollback()
            error = refusal.message
            if refusal.field in ("comment", "password", "code"):
                getattr(form, refusal.field).errors = [refusal.message]
            elif refusal.field:
                field_problems = [refusal.field]
        else:
            db.session.commit()
            done = (_("Your decision is recorded: %(action)s.", action=action.label)
                    if action.kind == "signoff" else _("Done: %(action)s.", action=action.label))
            project = load_project(project.id)
            if is_htmx():
                response = make_response(render_template(
                    "projects/_action_result.html", project=project, done=done,
                    actions=workflow.available_actions(current_user, project),
                    timeline=workflow.history(project)[-5:]))
                response.headers["HX-Trigger"] = "project-changed"  # the open tab reloads
                return response
            flash(done, "success")
            return redirect_to(url_for("projects.show", project_id=project.id))
    project = load_project(project.id)
    panel = {"project": project, "actions": workflow.available_actions(current_user, project),
             "error": error, "failed": trigger, "form": form, "field_problems": field_problems}
    if is_htmx():
        return render_template("projects/_actions.html", **panel), 422
    page = {**tab_context(project, "overview"), **page_context(project), **panel}
    return render_template("projects/show.html", **page), 422


# ---------------------------------------------------------------- themes (administrators)

@blueprint.route("/themes")
@requires("reference.manage")
def themes():
    return render_template("projects/themes.html", themes=services.all_themes())


def load_theme(theme_id: int) -> Theme:
    return db.get_or_404(Theme, theme_id)


def _theme_page(form: ThemeForm, theme: Theme | None):
    status = 200
    if form.validate_on_submit():
        try:
            services.save_theme(theme, form.values())
        except services.ProjectError as error:
            db.session.rollback()
            _field_error(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("Theme saved."), "success")
            return redirect_to(url_for("projects.themes"))
    elif form.is_submitted():
        status = 422
    return render_template("projects/theme_form.html", form=form, theme=theme), status


@blueprint.route("/themes/new", methods=["GET", "POST"])
@requires("reference.manage")
def new_theme():
    return _theme_page(ThemeForm(), None)


@blueprint.route("/themes/<int:theme_id>/edit", methods=["GET", "POST"])
@requires("reference.manage", load=load_theme)
def edit_theme(theme: Theme):
    return _theme_page(ThemeForm(obj=theme), theme)


def _action_field_label(name: str) -> str:
    return _("Decision") if name == "decision" else field_label(name)


def _action_field_kind(project: Project, action, name: str) -> str:
    return services.field_kind(project, action.trigger, name)


def template_helpers() -> dict:
    """What the action panel and the history tab ask (the workflow's own helpers are
    tadafur.workflow.picture's)."""
    return {"action_field_label": _action_field_label, "action_field_kind": _action_field_kind,
            "missing_link": missing_link,
            "describe": services.describe}
