"""In the browser, in Arabic: a project walked from execution to closed. Evidence uploaded,
two monitoring reports written, submitted and validated (password) by the commune and the
programme officer, the final report and its gate, the evaluation scored by the three
parties, the consolidated view, the closing gate."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlalchemy import select

from tadafur.accounts.models import Role
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.organisations.models import Commune
from tadafur.projects.models import Indicator, Project
from tadafur.reporting.models import CRITERIA, MonitoringReport
from tests.browser.test_projects import _act, _expect_state, _mark_page, _switch_user
from tests.factories import make_association
from tests.reporting.conftest import put_in_execution
from tests.workflow.conftest import build_project


def _png() -> bytes:
    """A 1x1 PNG (a photo of the workshop, as far as the test is concerned)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def _project(commune, association, agent, member) -> int:
    project = build_project(commune, association)
    project.indicators = []  # the fixture's own indicator gives way
    db.session.flush()
    project.indicators = [Indicator(position=1, level="output", name="شباب مكونون",
                                    unit="شخص", baseline=Decimal("0"), target=Decimal("120"),
                                    disaggregated=True)]
    for activity in project.activities:
        activity.status = "done"
    db.session.flush()
    put_in_execution(project, agent)
    for start, end, cells in ((dt.date(2026, 1, 1), dt.date(2026, 3, 31), (11, 7, 9, 3)),
                              (dt.date(2026, 4, 1), dt.date(2026, 6, 30), (21, 4, 17, 2))):
        execution.record_indicator_value(member, project, {
            "indicator_id": project.indicators[0].id, "period_start": start,
            "period_end": end, **dict(zip(("women_youth", "women_adult", "men_youth",
                                           "men_adult"), map(Decimal, cells), strict=True))})
    db.session.commit()
    return project.id


def _flash(page: Page) -> None:
    expect(page.locator(".flash-success").first).to_be_visible()


def _write_report(page: Page, project_id: int, start: str, end: str, n: int) -> int:
    page.goto(f"/projects/{project_id}?tab=reports")
    page.locator("#new-report").click()
    page.locator("#period_start").fill(start)
    page.locator("#period_end").fill(end)
    page.locator("#narrative").fill(f"انطلقت ورشات الفصل {n} في دار الشباب.")
    page.locator("#achievements").fill(f"نظمت {n + 2} ورشات.")
    page.locator("#difficulties").fill("تأخر توصل الأثاث.")
    page.locator("#report-form button[type=submit]").click()
    _flash(page)
    report_id = int(page.url.rstrip("/").rsplit("/", 1)[1])
    page.locator("#submit-report").click()
    _flash(page)
    return report_id


def _validate(page: Page, user, project_id: int, report_id: int, log_in) -> None:
    page.context.clear_cookies()
    log_in(page, user, language="ar")
    page.goto("/")
    expect(page.locator(f'#reports-awaiting a[href$="/reports/{report_id}"]')).to_have_count(1)
    page.goto(f"/projects/{project_id}/reports/{report_id}")
    page.locator("#decision").select_option("approve")
    page.locator("#password").fill(user.password)
    page.locator("#validate-report").click()
    _flash(page)


def _score(page: Page, user, project_id: int, log_in, marks: tuple[int, ...]) -> None:
    _switch_user(page, log_in, user, project_id)
    page.goto(f"/projects/{project_id}?tab=evaluation")
    page.locator("#score-evaluation").click()
    for criterion, mark in zip(CRITERIA, marks, strict=True):
        page.locator(f"#{criterion}_score").select_option(str(mark))
        page.locator(f"#{criterion}_justification").fill(f"لوحظ خلال لجنة التتبع ({mark}).")
    page.locator("#lessons").fill("إشراك الشباب منذ البداية.")
    page.locator("#recommendations").fill("تعميم التجربة على الدواوير المجاورة.")
    page.locator("#scores-form button[type=submit]").click()
    _flash(page)


def test_a_project_from_execution_to_closed_in_arabic(page, live_server, browser_user, log_in,
                                                      page_checked):
    commune = db.session.scalar(select(Commune).where(Commune.is_partner)
                                .order_by(Commune.id).limit(1))
    association = make_association(commune, "Association Horizons")
    db.session.commit()
    member = browser_user(Role.ASSOCIATION_MEMBER, association)
    chair = browser_user(Role.ASSOCIATION_SIGNATORY, association)
    agent = browser_user(Role.COMMUNE_AGENT, commune)
    president = browser_user(Role.COMMUNE_SIGNATORY, commune)
    officer = browser_user(Role.PROGRAMME_OFFICER)
    from tadafur.accounts.models import User

    project_id = _project(commune, association, db.session.get(User, agent.id),
                          db.session.get(User, member.id))

    # 1. The association uploads evidence of an activity (execution tab).
    log_in(page, member, language="ar")
    page.goto(f"/projects/{project_id}?tab=execution")
    page.locator("#attachment-form input[type=file]").set_input_files(
        files=[{"name": "atelier.png", "mimeType": "image/png", "buffer": _png()}])
    page.locator("#attachment-form button[type=submit]").click()
    expect(page.locator("#evidence")).to_contain_text("atelier")

    # 2. A period outside the project's dates is refused beside the field, then corrected.
    page.goto(f"/projects/{project_id}/reports/new")
    page.locator("#period_start").fill("2025-10-01")
    page.locator("#period_end").fill("2025-12-31")
    page.locator("#narrative").fill("نص")
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator("#period_start-error")).to_be_visible()
    expect(page.locator("#achievements")).to_have_value("")
    page_checked(page, "monitoring-report-error-ar")

    # 3. Two monitoring reports, each validated by the commune and the programme officer.
    first = _write_report(page, project_id, "2026-01-01", "2026-03-31", 1)
    page_checked(page, "monitoring-report-submitted-ar")
    second = _write_report(page, project_id, "2026-04-01", "2026-06-30", 2)
    for report_id in (first, second):
        _validate(page, agent, project_id, report_id, log_in)
        _validate(page, officer, project_id, report_id, log_in)
        expect(page.locator("#report-pdf")).to_be_visible()
    expect(page.locator("#report-indicators")).to_contain_text("74")
    page_checked(page, "monitoring-report-validated-ar")
    db.session.rollback()  # read what the server committed
    assert [r.status for r in db.session.scalars(select(MonitoringReport))] == [
        "validated", "validated"]

    # 4. The commune declares the execution complete; the association writes the final report.
    _switch_user(page, log_in, agent, project_id)
    _act(page, "complete")
    _expect_state(page, "final_report")
    _switch_user(page, log_in, member, project_id)
    page.goto(f"/projects/{project_id}?tab=reports")
    page_checked(page, "project-reports-tab-ar")
    page.locator("#write-final").click()
    page.locator("#narrative").fill("أنجزت جميع الأنشطة وشارك 120 شابا وشابة.")
    page.locator("#lessons").fill("لجنة شهرية تسهل التتبع.")
    page.locator("#committee_date").fill("2026-11-20")
    page.locator("#committee_attendees").fill("رئيس الجماعة، رئيسة الجمعية، إينابيل")
    page.locator("#committee_decisions").fill("المصادقة على التقرير النهائي.")
    page.locator("#financial_justification").fill("الحصص غير المصروفة تُرجع إلى البرنامج.")
    page.locator("#final-form button[type=submit]").click()
    _flash(page)
    _mark_page(page)
    _act(page, "submit_final_report")
    _expect_state(page, "report_validation")
    for signer in (agent, officer):
        _switch_user(page, log_in, signer, project_id)
        _act(page, "signoff:report_validation", password=signer.password)
    _expect_state(page, "evaluation")

    # 5. The three parties score the six criteria; the consolidated view, right to left.
    _score(page, agent, project_id, log_in, (3, 3, 4, 3, 2, 3))
    _score(page, member, project_id, log_in, (4, 3, 4, 3, 3, 4))
    _score(page, officer, project_id, log_in, (3, 2, 3, 2, 3, 3))
    page.locator("#record-participation").click()
    page.locator("#women_participants").fill("64")
    page.locator("#youth_participants").fill("88")
    page.locator("#participation-form button[type=submit]").click()
    _flash(page)
    table = page.locator("#consolidated-scores")
    expect(table.locator("tbody tr").first).to_contain_text("3,3")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    cells = table.locator("tbody tr").first.locator("td")
    boxes = [cells.nth(i).bounding_box() for i in range(4)]
    # right to left: commune, association, programme, then the average leftmost
    assert boxes[0]["x"] > boxes[1]["x"] > boxes[2]["x"] > boxes[3]["x"]
    page_checked(page, "evaluation-consolidated-ar")
    # axe-core leaves empty style attributes behind, which htmx's settle step would copy
    # (a CSP refusal): a fresh page before the next swap.
    page.reload()
    _mark_page(page)
    _act(page, "submit_evaluation")
    _expect_state(page, "evaluation_signoff")

    # 6. The closing gate, signed by the three parties.
    for signer in (president, chair, officer):
        _switch_user(page, log_in, signer, project_id)
        _act(page, "signoff:joint_evaluation", password=signer.password)
    _expect_state(page, "closed")
    page.goto(f"/projects/{project_id}?tab=documents")
    # two monitoring reports, the final and evaluation reports put to signature, and both of
    # those sealed with their sign-off record once their gates completed: six registered
    expect(page.locator('#tab-panel a[href*="/documents/"][href$="/download"]')).to_have_count(6)
    page_checked(page, "project-closed-documents-ar")
    db.session.rollback()
    assert db.session.get(Project, project_id).state == "closed"
