"""In the browser, in Arabic and in French: a visitor finds a closed project by its theme,
reads its lessons, downloads its sheet and verifies it; an agent of another commune starts
from it and gets a draft with the copied plan; the source then says it was replicated in one
commune. Every page axe-checked; screenshots on desktop and phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tadafur.accounts.models import Role
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.organisations.models import Commune
from tadafur.projects import services as projects
from tadafur.projects.models import Project
from tadafur.showcase import photos
from tests.execution.conftest import in_execution
from tests.factories import make_association, make_user
from tests.showcase.conftest import LESSON_AR, LESSON_FR, close

REPLICATED = {"ar": "كُرِّر في جماعة واحدة", "fr": "Reproduit dans 1 commune"}
START = {"ar": "الانطلاق من هذا المشروع", "fr": "Partir de ce projet"}
SHEET = {"ar": "تحميل بطاقة المشروع (PDF)", "fr": "Télécharger la fiche projet (PDF)"}
AUTHENTIC = {"ar": "أصلية", "fr": "Authentique"}


def _closed_project() -> tuple[int, int, str]:
    """A closed, published project with a public photo; (project id, theme id, title)."""
    from tadafur.execution.demo import demo_photo

    projects.seed_themes()
    theme = projects.all_themes()[1]
    commune = db.session.scalar(select(Commune).where(Commune.is_partner)
                                .order_by(Commune.id).limit(1))
    association = make_association(commune)
    agent = make_user(Role.COMMUNE_AGENT, commune)
    member = make_user(Role.ASSOCIATION_MEMBER, association)
    project = in_execution(agent, commune, association)
    project.title_ar, project.title_fr = "مجلس الشباب المحلي", "Conseil local des jeunes"
    attachment = execution.store_attachment(member, project, demo_photo(1), "atelier.jpg",
                                            caption="Atelier")
    close(project, agent, theme=theme)
    photos.publish(member, project, attachment.id, True, "La salle de l'atelier")
    db.session.commit()
    return project.id, theme.id, project.title_fr


@pytest.mark.parametrize("language", ["ar", "fr"])
def test_a_visitor_finds_reads_and_verifies_then_another_commune_starts_from_it(
        page: Page, page_checked, live_server, log_in, language, tmp_path):
    project_id, theme_id, _title = _closed_project()
    title = db.session.get(Project, project_id).title_ar if language == "ar" else _title
    other = db.session.scalars(select(Commune).where(Commune.is_partner)
                               .order_by(Commune.id).limit(2)).all()[1]
    lead = make_association(other, "Association de la commune voisine")
    lead_id = lead.id
    agent = make_user(Role.COMMUNE_AGENT, other, locale=language)
    db.session.commit()
    agent_email = agent.email

    page.context.add_cookies([{"name": "tadafur_lang", "value": language,
                               "url": live_server.url}])
    page.goto("/showcase")
    page_checked(page, f"showcase-index-{language}")
    page.select_option("#s-theme", str(theme_id))
    page.select_option("#s-phase", "evaluation")
    page.locator("form.filters button[type=submit]").click()
    page.get_by_role("link", name=title).click()
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("ul.lessons").first).to_contain_text(LESSON_AR)
    expect(page.locator("body")).to_contain_text(LESSON_FR)
    expect(page.locator(".photo-grid img")).to_have_count(1)
    page_checked(page, f"showcase-project-{language}")
    page.set_viewport_size({"width": 390, "height": 844})
    page_checked(page, f"showcase-project-phone-{language}")
    page.set_viewport_size({"width": 1280, "height": 900})

    with page.expect_download() as download:
        page.evaluate("document.querySelector('a.button[href*=\"sheet.pdf\"]')"
                      ".setAttribute('download', '')")
        page.get_by_role("link", name=SHEET[language]).click()
    sheet = tmp_path / "sheet.pdf"
    download.value.save_as(sheet)
    page.goto("/verify")
    page.set_input_files("#verify-document", str(sheet))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".verify-result")).to_have_attribute("data-authentic", "true")
    page_checked(page, f"showcase-verified-{language}")

    from tests.factories import PASSWORD

    page.context.clear_cookies()
    page.context.add_cookies([{"name": "tadafur_lang", "value": language,
                               "url": live_server.url}])
    page.goto("/login")
    page.locator("#email").fill(agent_email)
    page.locator("#password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#login-form button[type=submit]").click()
    page.goto(f"/showcase/projects/{project_id}")
    page.get_by_role("link", name=START[language]).click()
    page_checked(page, f"showcase-start-from-{language}")
    page.select_option("#lead_association_id", str(lead_id))
    page.locator("form.panel button[type=submit]").click()
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("h1")).to_have_text(title)
    db.session.rollback()  # end the snapshot this thread read before the request
    new = db.session.scalar(select(Project).where(Project.commune_id == other.id))
    assert new is not None and [a.title for a in new.activities] == [
        "Atelier de lancement", "Forum des jeunes"]
    page.goto(f"/showcase/projects/{project_id}")
    expect(page.locator(".replicated")).to_have_text(REPLICATED[language])
    page_checked(page, f"showcase-replicated-{language}")
    page.goto("/lessons?q=" + ("الشباب" if language == "ar" else "conseil"))
    expect(page.locator(".lesson-list")).to_contain_text(
        LESSON_AR if language == "ar" else LESSON_FR)
    page_checked(page, f"showcase-lessons-{language}")
