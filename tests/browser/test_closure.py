"""Issue 17 in the browser, in Arabic: a project whose convention is signed today is carried
from execution to closed. Each step a person takes in the browser is one of the issue's old
refusals: the first tranche paid on the day of signature (a future date refused under the
date with the allowed range, and not kept), "Declare the execution complete" shown disabled
with a checklist linking to the activities, the final report with its financial closure and
its own submit button, the notices in each party's inbox. The steps no page of this issue
changed (sign-offs with the password, the amendment's gate) go through the services; every
date is today or in the past."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import Page, expect

from tadafur.amendments import services as amendments
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.models_base import today
from tadafur.reporting import services as reporting
from tadafur.reporting.models import CRITERIA
from tadafur.workflow import services as workflow
from tests.amendments.conftest import running_project
from tests.browser.conftest import LiveUser
from tests.factories import PASSWORD


def _live(user) -> LiveUser:
    return LiveUser(user.id, user.email, user.full_name, PASSWORD)


def _switch(page: Page, log_in, user) -> None:
    page.context.clear_cookies()
    log_in(page, _live(user), language="ar")


def test_a_project_signed_today_is_carried_to_closed_in_arabic(
        page, live_server, log_in, page_checked, commune, association, agent, president,
        member, chair, officer):
    people = {"agent": agent, "president": president, "chair": chair, "officer": officer,
              "member": member}
    for user in people.values():
        user.locale = "ar"  # each reads the platform, and the notices, in Arabic
    project = running_project(commune, association, people)  # signed today
    db.session.commit()
    project_id, reference = project.id, project.reference
    assert project.state == "in_execution"

    # The programme officer pays the first tranche at signature, today.
    _switch(page, log_in, officer)
    page.goto(f"/projects/{project_id}?tab=execution")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#tranche-funder").select_option("programme")
    page.locator("#tranche-amount").fill("16000")
    tomorrow = today().toordinal() + 1
    from datetime import date

    page.locator("#tranche-paid_on").fill(date.fromordinal(tomorrow).isoformat())
    page.locator("#tranche-form button[type=submit]").click()
    error = page.locator("#tranche-paid_on-error")
    expect(error).to_contain_text("اليوم")  # the range, "... (today)", under the date
    expect(page.locator("#tranche-paid_on")).to_have_value("")  # not offered again
    page_checked(page, "closure-tranche-refused-ar")
    page.reload()
    page.locator("#tranche-funder").select_option("programme")
    page.locator("#tranche-amount").fill("16000")
    page.locator("#tranche-paid_on").fill(today().isoformat())
    page.locator("#tranche-form button[type=submit]").click()
    expect(page.locator('#statement-funders tr[data-funder="programme"]')).to_contain_text(
        "16")
    page_checked(page, "closure-first-tranche-paid-ar")

    # An indicator added by amendment, a value recorded against it (today).
    db.session.rollback()  # a fresh transaction after the live server's writes (SQLite)
    amendment = amendments.propose(member, project, "مؤشر مشاركة النساء", amendments.Proposal(
        new_indicator={"level": "outcome", "name": "نسبة النساء في اللجان", "unit": "%",
                       "baseline": "10", "target": "40"}))
    db.session.commit()
    for signer in (president, chair, officer):
        amendments.sign(signer, amendment, decision="approve", comment=None,
                        password=PASSWORD)
        db.session.commit()
    db.session.expire_all()
    added = next(i for i in project.indicators if i.name == "نسبة النساء في اللجان")
    execution.record_indicator_value(member, project, {
        "indicator_id": added.id, "period_start": today(), "period_end": today(),
        "total": Decimal("25")})
    db.session.commit()

    # "Declare the execution complete": disabled, with the activities to mark, linked.
    _switch(page, log_in, agent)
    page.goto(f"/projects/{project_id}")
    blocked = page.locator("#blocked-complete")
    expect(blocked.locator("button[disabled]")).to_be_visible()
    link = blocked.locator("a").first
    expect(link).to_have_attribute("href", f"/projects/{project_id}?tab=plan#activity-"
                                   f"{project.activities[0].id}")
    page_checked(page, "closure-complete-blocked-ar")
    db.session.rollback()
    assert "complete" not in {t.action.trigger for t in workflow.awaited(agent)}
    for activity in project.activities:
        execution.record_progress(member, project, {"activity_id": activity.id,
                                                    "percent": 100})
    db.session.commit()
    page.goto(f"/projects/{project_id}")
    expect(page.locator("#blocked-complete")).to_have_count(0)
    db.session.rollback()
    workflow.fire(agent, project, "complete")
    db.session.commit()

    # The final report: the financial closure asks for a justification, then its own submit.
    _switch(page, log_in, member)
    page.goto(f"/projects/{project_id}/final-report")
    expect(page.locator("#financial-closure")).to_contain_text("لم تُصرف")
    page.locator("#narrative").fill("أُنجزت كل الأنشطة.")
    page.locator("#lessons").fill("إشراك الشباب منذ البداية.")
    page.locator("#committee_date").fill(today().isoformat())
    page.locator("#committee_attendees").fill("الجماعة، الجمعية، البرنامج")
    page.locator("#committee_decisions").fill("المصادقة على الحصيلة.")
    page.locator("#financial_justification").fill(
        "لم تُصرف حصة الجماعة بعد: تُصرف بعد المصادقة على التقرير النهائي.")
    page.locator("#final-form button[type=submit]").click()
    page.goto(f"/projects/{project_id}/final-report")
    page_checked(page, "closure-final-report-ar")
    page.locator("#submit-final button[type=submit]").click()
    expect(page.locator("#state-badge")).to_be_visible()
    db.session.rollback()
    assert project.state == "report_validation"

    for signer in (agent, officer):
        workflow.fire(signer, project, "signoff:report_validation", password=PASSWORD)
        db.session.commit()
    for user, party in ((agent, "commune"), (member, "association"), (officer, "programme")):
        reporting.save_scores(user, project, party, {
            "lessons": "الحوار المنتظم", "recommendations": "التعميم",
            **{f"{c}_score": "3" for c in CRITERIA},
            **{f"{c}_justification": "محقق" for c in CRITERIA}})
    workflow.fire(officer, project, "submit_evaluation")
    db.session.commit()
    for signer in (president, chair, officer):
        workflow.fire(signer, project, "signoff:joint_evaluation", password=PASSWORD)
        db.session.commit()
    db.session.expire_all()
    assert project.state == "closed"

    # Every party hears of it, in Arabic, in the inbox.
    for user in (agent, president, member, chair, officer):
        _switch(page, log_in, user)
        page.goto("/notifications")
        # The reference is isolated (U+2068..U+2069) in the stored phrase's words.
        expect(page.locator("main")).to_contain_text(
            f"\u2068{reference}\u2069: تم توقيع التقييم المشترك")
        expect(page.locator("main")).to_contain_text("تمت المصادقة على التقرير النهائي")
    page_checked(page, "closure-notices-ar")
    page.goto(f"/projects/{project_id}")
    expect(page.locator("#state-badge")).not_to_contain_text("·")
    page_checked(page, "closure-closed-ar")
