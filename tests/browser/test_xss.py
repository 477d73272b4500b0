"""Stored script payloads in a project's fields, budget, plan and discussion never run in the
browser: the pages show them as text, `window.__xss` stays undefined and no dialog opens."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from playwright.sync_api import Page
from sqlalchemy import select

from tadafur.accounts.models import Role, User
from tadafur.extensions import db
from tadafur.organisations.models import Commune
from tadafur.projects import services
from tests.factories import make_association

PAYLOADS = ["<script>window.__xss=1</script>", "<img src=x onerror=window.__xss=1>",
            "\"><svg onload=window.__xss=1>", "javascript:window.__xss=1"]
TABS = ("overview", "budget", "plan", "signoffs", "documents", "discussion", "history")


def _no_script_ran(page: Page, dialogs: list[str], where: str) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__xss") == "undefined", f"a payload ran on {where}"
    assert not dialogs, f"a dialog opened on {where}: {dialogs}"


def test_stored_payloads_never_run(page, live_server, browser_user, log_in):
    commune = db.session.scalar(select(Commune).where(Commune.is_partner).order_by(Commune.id)
                                .limit(1))
    association = make_association(commune)
    live_agent = browser_user(Role.COMMUNE_AGENT, commune, locale="fr")
    agent = db.session.get(User, live_agent.id)
    project = services.create_project(agent, {
        "commune_id": commune.id, "lead_association_id": association.id,
        "title_ar": PAYLOADS[1], "title_fr": PAYLOADS[0], "partner_ids": [], "theme_ids": []})
    services.update_project(agent, project, {
        "summary": PAYLOADS[1], "objectives": PAYLOADS[2], "target_groups": PAYLOADS[3],
        "place": PAYLOADS[0], "start_date": dt.date(2026, 3, 1),
        "end_date": dt.date(2026, 12, 31)}, project.version)
    services.add_budget_line(agent, project, {"category": "events", "description": PAYLOADS[1],
                                              "amount": Decimal("1000"), "funder": "programme",
                                              "in_kind": False})
    services.add_activity(agent, project, {"title": PAYLOADS[2], "planned_start": None,
                                           "planned_end": None})
    for payload in PAYLOADS:
        services.post_message(agent, project, payload)
    project_id = project.id
    db.session.commit()

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page, live_agent, language="fr")
    for url in ["/", "/projects", "/projects?q=script", f"/projects/{project_id}",
                *(f"/projects/{project_id}?tab={tab}" for tab in TABS),
                f"/projects/{project_id}/edit", "/notifications", "/audit/"]:
        page.goto(url)
        _no_script_ran(page, dialogs, url)
    page.goto(f"/projects/{project_id}?tab=discussion")
    text = page.locator("main").inner_text()
    for payload in PAYLOADS:
        assert payload in text, f"{payload!r} is not shown as text"
    # htmx swaps: open each tab by clicking, as a user does.
    page.goto(f"/projects/{project_id}")
    for tab in TABS[1:]:
        link = page.locator(f"a[href*='tab={tab}']").first
        if link.count():
            link.click()
            page.wait_for_timeout(150)
            _no_script_ran(page, dialogs, f"tab {tab} (htmx)")
    page.screenshot(path="test-results/screenshots/xss-discussion.png", full_page=True)
