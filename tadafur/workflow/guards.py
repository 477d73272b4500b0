"""Named guards a definition may put on a transition, with their parameters.

In YAML: `guards: [proposal_complete, {public_contribution_above: {threshold: 50000}}]`, and
`unless:` for the negation. Each guard says, in the user's language, why it refused.

GUARDS is a registry: the guards on the proposal live here; a feature above the workflow
registers its own from its hooks module (tadafur.reporting.hooks: the final report and the
evaluation), before tadafur.wiring loads and checks the definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from tadafur.i18n import format_amount
from tadafur.vocabulary import list_words


@dataclass(frozen=True)
class Missing:
    """One thing a guard still lacks, and where it is fixed: `where` is a tab of the project
    page, "edit" (the proposal's form), "final_report" or "scores" (their forms); `anchor`
    the element on that page."""

    label: str
    where: str
    anchor: str = ""


@dataclass(frozen=True)
class Guard:
    name: str
    check: Callable[..., bool]
    params: frozenset[str]            # required parameters
    refusal: Callable[..., str]       # why it refused (translated), given the parameters
    negated_refusal: Callable[..., str]  # why `unless:` refused
    checklist: Callable[..., list[Missing]] | None = None  # what is missing, item by item


GUARDS: dict[str, Guard] = {}


def guard(name: str, *, params: tuple[str, ...] = (), refusal: Callable[..., str],
          negated_refusal: Callable[..., str],
          checklist: Callable[..., list[Missing]] | None = None) -> Callable:
    def register(check: Callable[..., bool]) -> Callable[..., bool]:
        GUARDS[name] = Guard(name, check, frozenset(params), refusal, negated_refusal,
                             checklist)
        return check

    return register


def unmet(project: Any, guards: tuple, unless: tuple = ()) -> list[Missing]:
    """What keeps a transition's guards from passing, item by item (empty: they pass).
    A guard without a checklist gives its refusal as one item."""
    found: list[Missing] = []
    for name, params in guards:
        spec = GUARDS[name]
        if spec.checklist is not None:  # an empty checklist is a passing guard
            found.extend(spec.checklist(project, **params))
        elif not spec.check(project, **params):
            found.append(Missing(spec.refusal(project, **params), "overview"))
    for name, params in unless:
        spec = GUARDS[name]
        if spec.check(project, **params):
            found.append(Missing(spec.negated_refusal(project, **params), "overview"))
    return found


def validate_params(name: str, params: dict) -> str | None:
    """None when fine, else what is wrong (English, for the definition checker)."""
    spec = GUARDS[name]
    missing = spec.params - set(params)
    unknown = set(params) - spec.params
    if missing:
        return f"guard {name!r} needs parameter(s) {', '.join(sorted(missing))}"
    if unknown:
        return f"guard {name!r} has unknown parameter(s) {', '.join(sorted(unknown))}"
    if "threshold" in params:
        try:
            Decimal(str(params["threshold"]))
        except InvalidOperation:
            return f"guard {name!r}: threshold must be a number, not {params['threshold']!r}"
    return None


def proposal_checklist(project: Any) -> list[Missing]:
    """What a complete proposal still lacks, each with where it is written."""
    missing = []
    if not (project.title_ar or project.title_fr):
        missing.append(Missing(_("a title"), "edit", "title_ar"))
    if not (project.summary or "").strip():
        missing.append(Missing(_("a summary"), "edit", "summary"))
    if not (project.objectives or "").strip():
        missing.append(Missing(_("objectives"), "edit", "objectives"))
    if project.start_date is None or project.end_date is None:
        missing.append(Missing(_("start and end dates"), "edit", "start_date"))
    if not project.budget_lines:
        missing.append(Missing(_("a budget"), "budget", "budget-form"))
    if not project.activities:
        missing.append(Missing(_("at least one activity"), "plan", "activity-form"))
    if not any(i.baseline is not None and i.target is not None for i in project.indicators):
        missing.append(Missing(_("at least one indicator with a baseline and a target"),
                               "plan", "indicator-form"))
    return missing


def missing_for_proposal(project: Any) -> list[str]:
    """What a complete proposal still lacks, as translated labels."""
    return [item.label for item in proposal_checklist(project)]


@guard("proposal_complete",
       refusal=lambda project: _("The proposal is not complete: it still needs %(missing)s.",
                                 missing=list_words(missing_for_proposal(project))),
       negated_refusal=lambda project: _("The proposal is already complete."),
       checklist=proposal_checklist)
def proposal_complete(project: Any) -> bool:
    return not missing_for_proposal(project)


def _open_activities(project: Any) -> list[Any]:
    return [a for a in project.activities
            if not (a.status == "done"
                    or (a.status == "closed" and (a.closing_reason or "").strip()))]


@guard("all_activities_done_or_closed",
       refusal=lambda project: _(
           "Every activity must be done, or closed with a reason, first. Still open: "
           "%(titles)s. Mark them in the tab “Activities and indicators”.",
           titles=list_words(a.title for a in _open_activities(project))),
       negated_refusal=lambda project: _("Every activity is already done or closed."),
       checklist=lambda project: [
           Missing(_("“%(title)s”: done, or closed with a reason", title=a.title), "plan",
                   f"activity-{a.id}") for a in _open_activities(project)])
def all_activities_done_or_closed(project: Any) -> bool:
    return not _open_activities(project)


def _threshold(threshold: Any) -> Decimal:
    return Decimal(str(threshold))


def _amount(value: Any) -> str:
    return format_amount(_threshold(value))


@guard("public_contribution_above", params=("threshold",),
       refusal=lambda project, threshold: _(
           "This path is for projects whose public contribution is above %(amount)s.",
           amount=_amount(threshold)),
       negated_refusal=lambda project, threshold: _(
           "The public contribution is above %(amount)s: the convention path is required.",
           amount=_amount(threshold)))
def public_contribution_above(project: Any, threshold: Any) -> bool:
    return project.public_contribution > _threshold(threshold)
