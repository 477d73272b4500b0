"""The project workspace in the browser: the list's filters in French, and the Arabic journey
of a project from its draft to the convention signed by the three parties, every step
updating the page without a full reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tadafur.accounts.models import Role
from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.organisations.models import Commune
from tadafur.projects import services
from tests.factories import make_association, make_user


def _mark_page(page: Page) -> None:
    """A flag on the window: it survives htmx swaps and disappears with a full reload."""
    page.evaluate("window.__noReload = true")


def _still_same_page(page: Page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was fully reloaded"


def _partner_communes() -> list[Commune]:
    return list(db.session.scalars(select(Commune).where(Commune.is_partner)
                                   .order_by(Commune.id).limit(2)))


def test_list_filters_update_as_you_type_in_french(page, live_server, browser_user, log_in,
                                                   page_checked):
    services.seed_themes()
    themes = {t.code: t for t in services.all_themes()}
    first, second = _partner_communes()
    for commune, titles in ((first, ["Jardin partagé", "Conseil des jeunes"]),
                            (second, ["Jardin des femmes"])):
        association = make_association(commune)
        agent = make_user(Role.COMMUNE_AGENT, commune)
        for title in titles:
            services.create_project(agent, {
                "commune_id": commune.id, "lead_association_id": association.id,
                "title_fr": title, "title_ar": "مشروع",
                "theme_ids": [themes["environment"].id] if "Jardin" in title else []})
    db.session.commit()
    officer = browser_user(Role.PROGRAMME_OFFICER, locale="fr")
    log_in(page, officer, language="fr")
    page.goto("/projects")
    rows = page.locator("#project-rows tr")
    expect(rows).to_have_count(3)
    page_checked(page, "projects-list-fr")
    _mark_page(page)

    page.locator("#q").press_sequentially("jardin", delay=30)
    expect(rows).to_have_count(2)
    expect(page).to_have_url(f"{live_server.url}/projects?q=jardin")
    page.locator("#commune").select_option(str(second.id))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Jardin des femmes")
    assert f"commune={second.id}" in page.url and "q=jardin" in page.url
    page.locator("#commune").select_option("")
    page.locator("#q").fill("")
    page.locator("#theme").select_option(str(themes["environment"].id))
    expect(rows).to_have_count(2)
    page.locator("#state").select_option("submitted")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td[colspan]")).to_have_count(1)  # nothing matches
    assert "state=submitted" in page.url and "q=" not in page.url
    _still_same_page(page)


def _switch_user(page: Page, log_in, user, project_id: int) -> None:
    page.context.clear_cookies()
    log_in(page, user, language="ar")
    page.goto(f"/projects/{project_id}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    _mark_page(page)


def _act(page: Page, trigger: str, *, password: str | None = None, comment: str | None = None,
         fields: dict[str, str] | None = None) -> None:
    """Open the action's dialog, fill it in and confirm; the panel answers in place."""
    dialog = page.locator(f'details.action:has(input[name="trigger"][value="{trigger}"])')
    dialog.locator("summary").click()
    for name, value in (fields or {}).items():
        dialog.locator(f'[name="data-{name}"]').fill(value)
    if comment:
        dialog.locator('textarea[name="comment"]').fill(comment)
    if password:
        dialog.locator('input[name="password"]').fill(password)
    dialog.locator('button[type="submit"]').click()
    expect(page.locator("#action-panel .flash-success")).to_be_visible()
    _still_same_page(page)


def _expect_state(page: Page, state: str) -> None:
    expect(page.locator(f"#state-badge .state-{state}")).to_be_visible()
    expect(page.locator("#timeline li").first).to_be_visible()


def test_arabic_journey_from_draft_to_the_signed_convention(page, live_server, browser_user,
                                                            log_in, page_checked):
    services.seed_themes()
    commune = _partner_communes()[0]
    association = make_association(commune, "Association Horizons")
    db.session.commit()
    member = browser_user(Role.ASSOCIATION_MEMBER, association)
    chair = browser_user(Role.ASSOCIATION_SIGNATORY, association)
    agent = browser_user(Role.COMMUNE_AGENT, commune)
    president = browser_user(Role.COMMUNE_SIGNATORY, commune)
    officer = browser_user(Role.PROGRAMME_OFFICER, locale="ar")

    # 1. The association member drafts the proposal (plain form, then the project page).
    log_in(page, member, language="ar")
    page.goto("/projects/new")
    page.locator("#title_ar").fill("فضاء الحوار للشباب")
    page.locator("#title_fr").fill("Espace de dialogue des jeunes")
    page.locator("#summary").fill("فضاء منتظم للحوار بين الشباب والمجلس الجماعي.")
    page.locator("#objectives").fill("تكوين 40 شابا وشابة في الحوار المواطن.")
    page.locator("#start_date").fill("2026-04-01")
    page.locator("#end_date").fill("2026-01-31")
    _mark_page(page)
    page.locator("#project-form button[type=submit]").click()
    # The 422 answer is swapped into the form: the error beside the field, the input kept.
    expect(page.locator("#end_date-error")).to_be_visible()
    expect(page.locator("#end_date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#title_fr")).to_have_value("Espace de dialogue des jeunes")
    _still_same_page(page)
    page_checked(page, "project-form-error-ar")
    page.locator("#end_date").fill("2026-12-31")
    page.locator("#project-form button[type=submit]").click()
    expect(page.locator("#state-badge .state-draft")).to_be_visible()
    project_id = int(page.url.rstrip("/").rsplit("/", 1)[1].split("?")[0])
    page_checked(page, "project-draft-ar")
    _mark_page(page)
    page.locator('#project-tabs a[href$="tab=plan"]').click()
    expect(page.locator("#activity-form")).to_be_visible()
    page.locator("#activity-title").fill("ورشة الانطلاق")
    page.locator("#activity-planned_start").fill("2026-04-10")
    page.locator("#activity-form button[type=submit]").click()
    expect(page.locator("#activities")).to_contain_text("ورشة الانطلاق")
    _still_same_page(page)
    # A complete proposal needs an indicator with a baseline and a target (issue 17).
    page.locator("#indicator-name").fill("شباب مشاركون")
    page.locator("#indicator-unit").fill("أشخاص")
    page.locator("#indicator-baseline").fill("0")
    page.locator("#indicator-target").fill("60")
    page.locator("#indicator-form button[type=submit]").click()
    expect(page.locator("#indicator-form")).to_be_visible()
    expect(page.locator("main")).to_contain_text("شباب مشاركون")
    _still_same_page(page)

    # 2. The commune agent adds a budget line: the totals are recomputed in place.
    _switch_user(page, log_in, agent, project_id)
    page.locator('#project-tabs a[href$="tab=budget"]').click()
    expect(page.locator("#budget-form")).to_be_visible()
    page.locator("#description").fill("ورشات ومواد")
    page.locator("#amount").fill("60000")
    page.locator("#funder").select_option("programme")
    page.locator("#budget-form button[type=submit]").click()
    expect(page.locator("#budget-lines")).to_contain_text("ورشات ومواد")
    expect(page.locator("#budget-total")).to_contain_text("60.000,00")
    expect(page.locator('#budget-totals tr[data-funder="programme"]')).to_contain_text("100")
    page_checked(page, "project-budget-ar")
    _still_same_page(page)

    # 3. Both sides endorse (sign-off with the password), then the proposal is submitted.
    _switch_user(page, log_in, president, project_id)
    _act(page, "signoff:endorsement", password=president.password)
    _switch_user(page, log_in, chair, project_id)
    _act(page, "signoff:endorsement", password=chair.password)
    _switch_user(page, log_in, agent, project_id)
    page.locator('#project-tabs a[href$="tab=budget"]').click()
    expect(page.locator("#budget-form")).to_be_visible()
    _act(page, "submit")
    _expect_state(page, "submitted")
    # The open tab reloads itself: the proposal can no longer be edited.
    expect(page.locator("#budget-form")).to_have_count(0)
    expect(page.locator('#action-panel a[href$="/edit"]')).to_have_count(0)

    # 4. The programme officer finds it eligible; the committee selects it.
    _switch_user(page, log_in, officer, project_id)
    _act(page, "declare_eligible", comment="الملف كامل")
    _expect_state(page, "selection")
    _act(page, "record_selection", fields={"committee_date": today().isoformat(), "score": "84"})
    _expect_state(page, "council_deliberation")

    # 5. The commune records the council's deliberation (and the governor's visa).
    _switch_user(page, log_in, agent, project_id)
    _act(page, "record_deliberation", fields={
        "session_date": today().isoformat(), "session_number": "07/2026", "vote_for": "21",
        "vote_against": "2", "vote_abstain": "1"})
    _expect_state(page, "governor_visa")
    _act(page, "record_visa", fields={"visa_date": today().isoformat(), "visa_reference": "V-114"})
    _expect_state(page, "decision")

    # 6. The convention is produced, then signed by the three parties.
    _switch_user(page, log_in, officer, project_id)
    _act(page, "prepare_convention")
    _expect_state(page, "convention_signature")
    for signer in (president, chair):
        _switch_user(page, log_in, signer, project_id)
        _act(page, "signoff:convention", password=signer.password)
        _expect_state(page, "convention_signature")
    _switch_user(page, log_in, officer, project_id)
    _act(page, "signoff:convention", password=officer.password)
    _expect_state(page, "in_execution")
    expect(page.locator("#timeline")).to_contain_text(officer.full_name)
    page.locator('#project-tabs a[href$="tab=signoffs"]').click()
    expect(page.locator("#signoffs tbody tr")).to_have_count(5)
    page_checked(page, "project-signed-ar")
    _still_same_page(page)
    # The officer's home page and inbox after the journey.
    page.goto("/")
    expect(page.locator("#my-tasks")).to_be_visible()
    page_checked(page, "my-tasks-ar")
    page.goto("/notifications")
    expect(page.locator("#inbox-list")).to_be_visible()
    page_checked(page, "notifications-ar")


@pytest.mark.browser_context_args(java_script_enabled=False)
def test_the_workspace_works_without_javascript(page, live_server, browser_user, log_in):
    commune = _partner_communes()[0]
    association = make_association(commune)
    db.session.commit()
    agent = browser_user(Role.COMMUNE_AGENT, commune)
    president = browser_user(Role.COMMUNE_SIGNATORY, commune)
    log_in(page, agent, language="ar")
    page.goto("/projects/new")
    page.locator("#lead_association_id").select_option(str(association.id))
    page.locator("#title_fr").fill("Projet sans JavaScript")
    with page.expect_navigation():
        page.locator("#project-form button[type=submit]").click()
    expect(page.locator("#state-badge .state-draft")).to_be_visible()
    project_url = page.url
    with page.expect_navigation():
        page.locator('#project-tabs a[href$="tab=budget"]').click()
    page.locator("#description").fill("Salle")
    page.locator("#amount").fill("-5")
    with page.expect_navigation():
        page.locator("#budget-form button[type=submit]").click()
    expect(page.locator("#amount-error")).to_be_visible()  # the page came back with a 422
    page.locator("#amount").fill("2500")
    with page.expect_navigation():
        page.locator("#budget-form button[type=submit]").click()
    expect(page.locator("#budget-total")).to_contain_text("2.500,00")
    # The rest of a complete proposal (texts, dates, an activity, an indicator): the
    # endorsement is offered only once the proposal could be submitted (issue 17).
    from tadafur.accounts.models import User
    from tadafur.projects.models import Project
    from tests.projects.conftest import complete

    db.session.rollback()
    project = db.session.get(Project, int(project_url.rstrip("/").rsplit("/", 1)[1]
                                          .split("?")[0]))
    complete(project, db.session.get(User, agent.id))
    db.session.commit()
    page.context.clear_cookies()
    log_in(page, president, language="ar")
    page.goto(project_url)
    dialog = page.locator('details.action:has(input[value="signoff:endorsement"])')
    dialog.locator("summary").click()  # a disclosure: no script needed
    dialog.locator('input[name="password"]').fill(president.password)
    with page.expect_navigation():
        dialog.locator('button[type="submit"]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator('details.action:has(input[value="signoff:endorsement"])')).to_have_count(0)
    # (axe-core needs scripts: the same pages are checked with JavaScript in the journey.)
