"""What each role does in the benchmark: its accounts and its mix of requests.

Kept apart from the Locust file (no Locust import) so the mix can be read, tested and reused
without gevent's monkey-patching, which importing Locust applies to the whole process.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

ROLES = ("officer", "reviewer", "admin", "agent", "president", "member", "chair")
PROGRAMME_ROLES = ("officer", "reviewer", "admin")  # they see all the programme's projects
AUDIT_ROLES = (*PROGRAMME_ROLES, "agent", "president")
TABS = ("overview", "budget", "plan", "signoffs", "documents", "discussion", "history")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LOGIN_LABELS = ("login page", "login POST", "login landing")


@dataclass
class Account:
    """One virtual user's account and what it may see (read from the seeded database)."""

    role: str
    email: str
    password: str
    projects: list[int]
    documents: list[int]
    drafts: list[int] = field(default_factory=list)  # where this user's party may sign
    commune_id: int | None = None


@dataclass(frozen=True)
class Request:
    """One request of the mix; `label` is the endpoint's name in the report."""

    label: str
    method: str
    url: str
    form: dict | None = None
    headers: dict | None = None


def choose(account: Account, rng: random.Random) -> Request:
    """The next request of `account`: the role's mix, weighted, with its think time outside.

    The floor is part of every user's mix, so it is measured under the same load as the pages.
    """
    project = rng.choice(account.projects)
    mix: list[tuple[int, Request]] = [
        (3, Request("my tasks", "GET", "/")),
        (3, Request("project list with filters", "GET", rng.choice([
            "/projects?state=draft", "/projects?phase=execution&q=jeunes",
            f"/projects?state=in_execution&commune={account.commune_id or ''}",
            "/projects?overdue=1", "/projects?q=Espace"]))),
        (3, Request("project page", "GET", f"/projects/{project}")),
        (4, Request("project tab", "GET", f"/projects/{project}/tabs/{rng.choice(TABS)}",
                    headers={"HX-Request": "true"})),
        (2, Request("floor", "GET", f"/_bench/floor?id={project}")),
        # the public showcase (issue 19's budget: p95 under 100 ms), as a partner browses it
        (1, Request("public showcase", "GET", rng.choice([
            "/showcase", "/showcase?phase=evaluation", "/showcase/feed.atom"]))),
    ]
    if account.documents:
        mix.append((1, Request("document download", "GET",
                               f"/documents/{rng.choice(account.documents)}/download")))
    if account.role in AUDIT_ROLES:
        mix.append((2, Request("audit search", "GET", rng.choice([
            "/audit/?q=submitted", "/audit/?action=signoff.",
            f"/audit/?project={project}", "/audit/?actor=user42@example.org"]))))
    if account.drafts:
        mix.append((1, Request("sign-off POST", "POST", f"/projects/{account.drafts[-1]}/act",
                               form={"trigger": "signoff:endorsement", "decision": "approve",
                                     "password": account.password})))
    return rng.choices([m for _, m in mix], weights=[w for w, _ in mix])[0]
