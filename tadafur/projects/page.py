"""The project page: its tabs in order, their labels, what each shows (a feature's tab from
the tab registry, tadafur.projects.tabs) and the fragment or whole page htmx or a plain
request gets. Used by the project views and by the features' views that answer on a tab."""

from __future__ import annotations

from flask import render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tadafur.access import can
from tadafur.audit import wording
from tadafur.core.htmx import is_htmx
from tadafur.execution.services import budget_statement, shows_execution
from tadafur.projects import services, tabs
from tadafur.projects.forms import (
    ActivityForm,
    BudgetLineForm,
    IndicatorForm,
    MessageForm,
)
from tadafur.projects.models import Project
from tadafur.workflow import services as workflow

TABS = ("overview", "budget", "plan", "execution", "reports", "evaluation", "signoffs",
        "amendments", "documents", "discussion", "history")


def tab_labels() -> dict[str, str]:
    return {"overview": _("Overview"), "budget": _("Budget"),
            "plan": _("Activities and indicators"), "execution": _("Execution"),
            "reports": _("Reports"), "evaluation": _("Evaluation"), "signoffs": _("Sign-offs"),
            "amendments": _("Amendments"),
            "documents": _("Documents"), "discussion": _("Discussion"),
            "history": _("History")}


def tab_context(project: Project, tab: str, tab_error: str | None = None, **forms) -> dict:
    context: dict = {"project": project, "tab": tab, "tab_error": tab_error,
                     "editable": workflow.is_editable(project)
                     and can(current_user, "project.edit", project)}
    if tab == "overview":
        context["missing"] = services.missing_for_proposal(project)
    elif tab == "budget":
        context["summary"] = services.budget_summary(project)
        context["form"] = forms.get("form") or BudgetLineForm(formdata=None)
        context["funders"] = services.FUNDER_LABELS
        context["categories"] = services.BUDGET_CATEGORIES
    elif tab == "plan":
        context["activity_form"] = (forms.get("activity_form")
                                    or ActivityForm(formdata=None, prefix="activity"))
        context["indicator_form"] = (forms.get("indicator_form")
                                     or IndicatorForm(formdata=None, prefix="indicator"))
        context["levels"] = services.INDICATOR_LEVELS
        context["activities"] = project.activities
        context["tracking"] = (services.may_track_activities(project)
                               and can(current_user, "project.edit", project))
        context["indicators"] = project.indicators
    elif tab == "signoffs":
        context["signoffs"] = workflow.signoffs(project)
        context["gates"] = {**services.gates_of(project), "amendment": _("Amendment")}
    elif tab == "documents":
        context["documents"] = services.documents_of(project)
        context["documents_template"] = services.documents_template()
    elif tab == "discussion":
        context["messages"] = services.messages_of(project)
        context["form"] = forms.get("form") or MessageForm(formdata=None)
        context["may_post"] = can(current_user, "project.discuss", project)
    elif tab == "history":
        context["steps"] = workflow.history(project)
        context["changes"] = services.audit_events_of(project)
        # the ids the events point at, named for the whole page at once
        context["change_names"] = wording.referenced_names(context["changes"])
    else:  # a tab a feature registered (execution, reports, evaluation, amendments)
        context.update(tabs.context_of(project, tab, **forms))
    return context


def shown_tab(project: Project, tab: str) -> str:
    """The execution tab exists from execution onwards; before, its address shows the
    overview."""
    return "overview" if tab == "execution" and not shows_execution(project) else tab


def page_context(project: Project) -> dict:
    context = {"actions": workflow.available_actions(current_user, project),
               "timeline": workflow.history(project)[-5:],
               "tab_labels": tab_labels(), "tabs": TABS}
    if shows_execution(project):  # budget against actual, beside every tab
        context["statement"] = budget_statement(project)
    return context


def render_tab(project: Project, tab: str, status: int = 200, tab_error: str | None = None,
               **forms):
    """The tab fragment for htmx; the whole page (with that tab open) for plain requests."""
    context = tab_context(project, tab, tab_error, **forms)
    if is_htmx():
        return render_template(f"projects/_tab_{tab}.html", oob_nav=True,
                               tab_labels=tab_labels(), tabs=TABS, **context), status
    return render_template("projects/show.html", **{**page_context(project), **context}), status


def missing_link(project: Project, item) -> str:
    """Where a missing item of a blocked action is fixed (guards.Missing.where)."""
    anchor = f"#{item.anchor}" if item.anchor else ""
    if item.where == "edit":
        return url_for("projects.edit", project_id=project.id) + anchor
    if item.where == "final_report":
        return url_for("reporting.final_report", project_id=project.id)
    tab = item.where if item.where in TABS else "overview"
    return url_for("projects.show", project_id=project.id, tab=tab) + anchor
