"""Who is told what: the table of notices (in-app notification and e-mail) by event.

One row per event: the notification kind, who is told (parties and their roles, or the
people the workflow's `reports:` section names), and the message as a msgid with named
parameters. The message is put into words in each reader's language when sent; the event
code and its parameters are the structured data a reader's language is rendered from.

`tests/workflow/test_notices.py` walks the table: every event is raised by the flow it
belongs to and reaches exactly the audience named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tadafur.accounts.models import Role
from tadafur.notifications.services import notify
from tadafur.vocabulary import Phrase, phrase
from tadafur.workflow.audience import notify_users, users_of
from tadafur.workflow.registry import definition_of

PARTIES = ("commune", "association", "programme")
SIGNATORIES = frozenset({Role.COMMUNE_SIGNATORY.value, Role.ASSOCIATION_SIGNATORY.value,
                         Role.PROGRAMME_OFFICER.value})


@dataclass(frozen=True)
class Notice:
    event: str
    kind: str  # Notification.kind
    audience: str  # "parties", "signatories", or a reports: role (see `audience_of`)
    message: Phrase  # the msgid (marked for extraction), with %(reference)s and parameters
    email: bool = True


NOTICES: dict[str, Notice] = {n.event: n for n in (
    Notice("report_submitted", "report_submitted", "monitoring_validators",
           phrase("%(reference)s: a monitoring report (%(period)s) awaits your validation.")),
    Notice("report_returned", "report_returned", "monitoring_authors",
           phrase("%(reference)s: the monitoring report (%(period)s) was returned for "
              "corrections: %(comment)s")),
    Notice("report_validated", "report_validated", "parties",
           phrase("%(reference)s: the monitoring report (%(period)s) is validated.")),
    Notice("final_report_validated", "final_report_validated", "parties",
           phrase("%(reference)s: the final report is validated.")),
    Notice("scoring_opened", "scoring_opened", "evaluation_scorers",
           phrase("%(reference)s: the joint evaluation is open: score the six criteria.")),
    Notice("project_closed", "project_closed", "parties",
           phrase("%(reference)s: the joint evaluation is signed; the project is closed.")),
    Notice("amendment_approved", "amendment_decided", "parties",
           phrase("%(reference)s: amendment No. %(number)s was approved by all parties.")),
    Notice("amendment_refused", "amendment_decided", "parties",
           phrase("%(reference)s: amendment No. %(number)s was refused; nothing changes.")),
    Notice("delegation_granted", "delegation", "delegate",
           phrase("%(name)s delegated their sign-off to you from %(start)s to %(end)s.")),
    Notice("delegation_expiring", "delegation_expiring", "delegation_people",
           phrase("The delegation from %(name)s to %(delegate)s ends on %(end)s.")),
)}

# Transitions whose arrival raises events (the workflow file says where a project goes;
# this says who hears of it).
TRANSITION_EVENTS = {
    "validate_report": ("final_report_validated", "scoring_opened"),
    "close": ("project_closed",),
}


def audience_of(notice: Notice, project: Any) -> list[Any]:
    """The active users a project notice reaches."""
    if notice.audience == "parties":
        return users_of(project, PARTIES)
    if notice.audience == "signatories":
        return users_of(project, PARTIES, SIGNATORIES)
    rules = definition_of(project).reports
    people = getattr(rules, notice.audience)
    users: list[Any] = []
    for signer in people:
        users += users_of(project, (signer.party,), signer.roles)
    return users


def send(event: str, project: Any, users: list[Any] | None = None, **params: Any) -> None:
    """Tell the audience of `event` (or `users`, for the delegation notices)."""
    notice = NOTICES[event]
    if users is None:
        users = audience_of(notice, project)
    values = {"reference": getattr(project, "reference", ""), **params}

    # Kept as its msgid and parameters, put into words in each reader's language.
    words = Phrase(notice.message.text, values)
    if project is None:
        notify(users, notice.kind, None, words)
        return
    notify_users(users, notice.kind, project, words)
