"""An amendment in the browser, in Arabic: proposed by the association (a refused extension
first, the error beside the field), signed off by the three parties in the sign-off panel,
sealed; the consolidated convention prints the new figures and the previous version still
verifies, marked superseded. Then a delegation granted and revoked, in French."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tadafur.accounts.models import Role, User
from tadafur.amendments.models import Amendment
from tadafur.documents import services as documents
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune
from tests.factories import PASSWORD, make_association
from tests.workflow.conftest import build_project, to_state


def _commune() -> Commune:
    return db.session.scalar(select(Commune).where(Commune.is_partner).order_by(Commune.id))


def _switch(page: Page, log_in, user, path: str, language: str = "ar") -> None:
    page.context.clear_cookies()
    log_in(page, user, language=language)
    page.goto(path)


def _sign(page: Page, password: str) -> None:
    panel = page.locator("#amendment-signoff")
    panel.locator("select[name=decision]").select_option("approve")
    panel.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.mark.real_pdfs
def test_amendment_from_proposal_to_sealed_pdf_in_arabic(page, live_server, browser_user,
                                                         log_in, page_checked, tmp_path):
    commune = _commune()
    association = make_association(commune, "Association Horizons")
    db.session.commit()
    live = {name: browser_user(role, organisation) for name, role, organisation in (
        ("member", Role.ASSOCIATION_MEMBER, association),
        ("chair", Role.ASSOCIATION_SIGNATORY, association),
        ("agent", Role.COMMUNE_AGENT, commune),
        ("president", Role.COMMUNE_SIGNATORY, commune),
        ("officer", Role.PROGRAMME_OFFICER, None))}
    users = {name: db.session.get(User, user.id) for name, user in live.items()}
    project = build_project(commune, association, users["agent"])
    to_state(project, "in_execution", **users)
    db.session.commit()
    first = documents.latest(project, documents.CONVENTION_SIGNED)
    furniture = next(x for x in project.budget_lines if x.funder == "programme")
    works = next(x for x in project.budget_lines if x.funder == "commune")
    project_id, first_code = project.id, first.code

    # 1. The association member proposes; an extension beyond the programme is refused.
    _switch(page, log_in, live["member"], f"/projects/{project_id}?tab=amendments")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator(f'a[href="/projects/{project_id}/amendments/new"]').click()
    page.locator("#justification").fill("ارتفاع أسعار الأثاث وتأخر الأشغال.")
    page.locator(f"#line-{furniture.id}-amount").fill("47000")
    page.locator(f"#line-{works.id}-amount").fill("33000")
    page.locator("#end_date").fill("2029-06-30")
    page.locator(".amendment-form button[type=submit]").click()
    expect(page.locator("#end_date-error")).to_be_visible()
    expect(page.locator("#end_date")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#line-{furniture.id}-amount")).to_have_value("47000")
    page_checked(page, "amendment-form-error-ar")
    page.locator("#end_date").fill("2027-06-30")
    page.locator(".amendment-form button[type=submit]").click()
    expect(page.locator("#amendment-budget")).to_be_visible()
    expect(page.locator("#amendment-budget")).to_contain_text("47.000,00")
    expect(page.locator("#amendment-signoffs tbody tr")).to_have_count(3)  # 17.5 %: officer too
    page_checked(page, "amendment-diff-ar")
    amendment_path = page.url.removeprefix(live_server.url)

    # 2. The three parties sign it off in the panel (password again).
    for name in ("president", "chair", "officer"):
        _switch(page, log_in, live[name], amendment_path)
        _sign(page, live[name].password)
        signed = page.locator("#amendment-signoffs tr[data-party] td",
                              has_text=live[name].full_name)
        expect(signed).to_have_count(1)
    expect(page.locator("h1 .status-approved")).to_be_visible()
    page_checked(page, "amendment-approved-ar")

    # 3. The consolidated convention shows the new figures; the previous one still verifies.
    db.session.rollback()  # end this thread's read transaction: see what the server committed
    amendment = db.session.scalar(select(Amendment).where(Amendment.project_id == project_id))
    consolidated = db.session.get(documents.RegisteredDocument, amendment.consolidated_id)
    download = page.request.get(f"/documents/{consolidated.id}/download")
    assert download.ok
    text = _pdf_text(download.body(), tmp_path)
    assert "47 000,00" in text and "33 000,00" in text
    sealed = page.request.get(f"/documents/{amendment.document_id}/download")
    sealed_text = _pdf_text(sealed.body(), tmp_path)
    assert "40 000,00" in sealed_text and "47 000,00" in sealed_text
    page.goto(f"/verify/{first_code}")
    expect(page.locator(".verify-result")).to_have_attribute("data-authentic", "true")
    expect(page.locator(".superseded")).to_be_visible()
    page_checked(page, "verify-superseded-ar")


def test_delegation_granted_and_revoked_in_french(page, live_server, browser_user, log_in,
                                                  page_checked):
    commune = _commune()
    association = make_association(commune, "Association Atlas")
    db.session.commit()
    chair = browser_user(Role.ASSOCIATION_SIGNATORY, association, locale="fr")
    member = browser_user(Role.ASSOCIATION_MEMBER, association, locale="fr")
    log_in(page, chair, language="fr")
    page.goto("/delegations")
    page.locator("#delegate_id").select_option(str(member.id))
    page.locator("#starts_on").fill("2026-01-01")
    page.locator("#ends_on").fill("2025-12-01")
    page.locator("#reason").fill("Congé annuel")
    page.locator("#password").fill(PASSWORD)
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("#ends_on-error")).to_be_visible()
    page_checked(page, "delegation-error-fr")
    today = utcnow().date()
    page.locator("#starts_on").fill(today.isoformat())
    page.locator("#ends_on").fill((today + dt.timedelta(days=20)).isoformat())
    page.locator("#password").fill(PASSWORD)
    page.locator("form.card button[type=submit]").click()
    expect(page.locator("#given tbody tr")).to_contain_text(member.full_name)
    page_checked(page, "delegations-fr")
    page.locator("#given summary.danger").click()
    page.locator("#given input[type=password]").fill(PASSWORD)
    page.locator("#given button.danger").click()
    expect(page.locator("#given tbody tr")).to_contain_text("Révoqu")
    _switch(page, log_in, member, "/delegations", "fr")
    expect(page.locator("#received tbody tr")).to_contain_text(chair.full_name)
    page_checked(page, "delegations-received-fr")
