"""The execution tab in the browser, in French: a commune agent records a tranche (after a
refused amount, shown beside the field), an expense and an indicator value, and uploads a
photo as evidence, without a full reload; then the association's president reads the same
tab in Arabic, chart mirrored."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tadafur.accounts.models import Role
from tadafur.execution.demo import tiny_png
from tadafur.extensions import db
from tadafur.organisations.models import Commune, Institution
from tests.browser.conftest import SCREENSHOTS, LiveUser, screenshot_path
from tests.execution.conftest import in_execution
from tests.factories import PASSWORD, make_association, make_user


def _mark(page: Page) -> None:
    page.evaluate("window.__noReload = true")


def _same_page(page: Page) -> None:
    assert page.evaluate("window.__noReload === true"), "the page was fully reloaded"


def _project():
    commune = db.session.scalar(select(Commune).where(Commune.is_partner)
                                .order_by(Commune.id).limit(1))
    association = make_association(commune, "Association Horizons")
    agent = make_user(Role.COMMUNE_AGENT, commune, locale="fr")
    chair = make_user(Role.ASSOCIATION_SIGNATORY, association, locale="ar")
    project = in_execution(agent, commune, association)
    people = [LiveUser(u.id, u.email, u.full_name, PASSWORD) for u in (agent, chair)]
    db.session.commit()
    return project.id, project.indicators[0].id, *people


def test_recording_execution_in_french_then_reading_it_in_arabic(page, live_server, log_in,
                                                                 page_checked, dialect):
    project_id, indicator_id, agent, chair = _project()
    log_in(page, agent, language="fr")
    page.goto(f"/projects/{project_id}?tab=execution")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("#tranche-form")).to_be_visible()
    _mark(page)

    # A negative amount: refused beside the field, the other input kept, nothing stored.
    page.locator("#tranche-funder").select_option("commune")
    page.locator("#tranche-amount").fill("-5000")
    page.locator("#tranche-planned_on").fill("2026-03-01")
    page.locator("#tranche-paid_on").fill("2026-03-02")
    page.locator("#tranche-form button[type=submit]").click()
    expect(page.locator("#tranche-amount-error")).to_contain_text("supérieur à zéro")
    expect(page.locator("#tranche-amount")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#tranche-planned_on")).to_have_value("2026-03-01")
    _same_page(page)
    page_checked(page, "execution-tranche-error-fr")
    # axe-core leaves empty style attributes behind, which htmx would copy (a CSP refusal):
    # start again from a fresh page.
    page.reload()
    _mark(page)
    page.locator("#tranche-funder").select_option("commune")
    page.locator("#tranche-amount").fill("5000")
    page.locator("#tranche-planned_on").fill("2026-03-01")
    page.locator("#tranche-paid_on").fill("2026-03-02")
    page.locator("#tranche-form button[type=submit]").click()
    expect(page.locator('#statement-funders tr[data-funder="commune"]')).to_contain_text(
        "5 000,00")
    expect(page.locator('#execution-summary [data-funder="commune"]')).to_contain_text(
        "5 000,00")  # the summary beside the tabs follows (out-of-band swap)
    _same_page(page)

    page.locator("#expense-budget_line_id").select_option(label="Matériel (Commune)")
    page.locator("#expense-amount").fill("1250,50".replace(",", "."))
    page.locator("#expense-spent_on").fill("2026-04-10")
    page.locator("#expense-description").fill("Chaises pliantes")
    page.locator("#expense-form button[type=submit]").click()
    expect(page.locator("#expenses")).to_contain_text("Chaises pliantes")
    expect(page.locator("#statement-spent")).to_contain_text("1 250,50")

    for start, end, cells in (("2026-01-01", "2026-03-31", ("8", "2", "5", "1")),
                              ("2026-04-01", "2026-06-30", ("6", "1", "4", "2"))):
        page.locator("#value-indicator_id").select_option(str(indicator_id))
        page.locator("#value-period_start").fill(start)
        page.locator("#value-period_end").fill(end)
        for name, value in zip(("women_youth", "women_adult", "men_youth", "men_adult"), cells,
                               strict=True):
            page.locator(f"#value-{name}").fill(value)
        page.locator("#value-form button[type=submit]").click()
        expect(page.locator(f'[data-indicator="{indicator_id}"] tbody tr')).to_have_count(
            1 if start.endswith("01-01") else 2)
    card = page.locator(f'[data-indicator="{indicator_id}"]')
    expect(card).to_contain_text("29")  # 16 + 13 people reached, 72,5 % of 40
    expect(card.locator("svg[role=img] rect.bar")).to_have_count(2)

    page.locator("#attachment-file").set_input_files(files=[{
        "name": "photo-atelier.png", "mimeType": "image/png", "buffer": tiny_png(32, 24)}])
    page.locator("#attachment-caption").fill("Atelier du 10 avril")
    page.locator("#attachment-form button[type=submit]").click()
    expect(page.locator("#evidence")).to_contain_text("photo-atelier.png")
    _same_page(page)
    page_checked(page, "execution-tab-fr")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=screenshot_path("execution-chart-fr", dialect))
    ltr_bars = [float(x) for x in card.locator("rect.bar").evaluate_all(
        "rects => rects.map(r => r.getAttribute('x'))")]
    assert ltr_bars[0] < ltr_bars[1]  # time runs left to right

    # The download link serves the file as an attachment.
    link = page.locator("#evidence a[download]").first
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.body() == tiny_png(32, 24)
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["x-content-type-options"] == "nosniff"

    # The association's president reads the tab in Arabic: right to left, the chart
    # mirrored, the numbers kept in order.
    page.context.clear_cookies()
    log_in(page, chair, language="ar")
    page.goto(f"/projects/{project_id}?tab=execution")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("#statement-spent")).to_contain_text("1.250,50")
    page_checked(page, "execution-tab-ar")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    card = page.locator(f'[data-indicator="{indicator_id}"]')
    card.screenshot(path=screenshot_path("execution-chart-ar", dialect))
    rtl_bars = [float(x) for x in card.locator("rect.bar").evaluate_all(
        "rects => rects.map(r => r.getAttribute('x'))")]
    assert rtl_bars[0] > rtl_bars[1]  # time runs right to left
    assert card.locator("svg > title").first.text_content().strip() != ""


def test_dashboard_shows_disbursed_and_people_reached(page, live_server, browser_user, log_in,
                                                      page_checked):
    from tests.execution.test_oversight import _record

    commune = db.session.scalar(select(Commune).where(Commune.is_partner)
                                .order_by(Commune.id).limit(1))
    association = make_association(commune)
    agent = make_user(Role.COMMUNE_AGENT, commune)
    chair = make_user(Role.ASSOCIATION_SIGNATORY, association)
    officer = make_user(Role.PROGRAMME_OFFICER, db.session.scalar(
        select(Institution).where(Institution.code == "enabel")), locale="fr")
    _record(in_execution(agent, commune, association), officer, agent, chair)
    db.session.commit()
    log_in(page, LiveUser(officer.id, officer.email, officer.full_name, PASSWORD),
           language="fr")
    page.goto("/dashboards")
    expect(page.locator('[data-disbursed="programme"]')).to_contain_text("12 000,00")
    expect(page.locator("#reached-facts")).to_contain_text("24")
    page_checked(page, "dashboard-execution-fr")
