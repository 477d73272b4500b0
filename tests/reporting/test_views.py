"""The reporting pages: who may open and post what, bad input beside its field (422) with
nothing stored, refusals about the state (409), the project tabs, and bounded query counts."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from sqlalchemy import func, select

from tadafur.extensions import db
from tadafur.reporting import services
from tadafur.reporting.models import (
    EvaluationEntry,
    FinalReport,
    MonitoringReport,
    ReportValidation,
)
from tests.factories import PASSWORD, TOMORROW, dated, login
from tests.reporting.conftest import FINAL, Q1, TEXTS, scores, validate_all, write_report


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _report_form(period=Q1, **values) -> dict:
    return {"period_start": period[0].isoformat(), "period_end": period[1].isoformat(),
            **TEXTS, **values}


def test_the_association_writes_and_submits_a_report(client, running, member):
    db.session.commit()
    login(client, member)
    assert client.get(f"/projects/{running.id}/reports/new").status_code == 200
    response = client.post(f"/projects/{running.id}/reports/new", data=_report_form())
    assert response.status_code == 303
    report = db.session.scalar(select(MonitoringReport))
    page = client.get(f"/projects/{running.id}/reports/{report.id}")
    assert "Submit the report for validation" in page.get_data(as_text=True)
    response = client.post(f"/projects/{running.id}/reports/{report.id}/submit")
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.status == "submitted"


@pytest.mark.parametrize("values, message", [
    ({"period_start": "2025-11-01"}, "(the signature of the convention)"),
    ({"period_end": TOMORROW}, "(today)"),
    ({"narrative": ""}, "This field is required."),
    ({"period_start": ""}, "Enter the first day of the period."),
])
def test_bad_input_is_shown_beside_the_field_and_nothing_is_stored(
        client, running, member, values, message):
    db.session.commit()
    login(client, member)
    response = client.post(f"/projects/{running.id}/reports/new",
                           data=_report_form(**dated(values)))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body and 'class="field-error"' in body
    assert _count(MonitoringReport) == 0


def test_an_overlapping_period_is_refused_in_the_page(client, running, member):
    write_report(member, running, Q1)
    db.session.commit()
    login(client, member)
    response = client.post(f"/projects/{running.id}/reports/new", data=_report_form(
        (dt.date(2026, 3, 1), dt.date(2026, 4, 30))))
    assert response.status_code == 422
    assert "overlaps the report" in response.get_data(as_text=True)
    assert _count(MonitoringReport) == 1


def test_validation_with_a_wrong_password_is_refused_beside_the_field(
        client, running, member, agent):
    report = write_report(member, running)
    services.submit_report(member, report)
    db.session.commit()
    login(client, agent)
    url = f"/projects/{running.id}/reports/{report.id}/validate"
    response = client.post(url, data={"decision": "approve", "password": "nope"})
    assert response.status_code == 422
    assert "The password is not correct." in response.get_data(as_text=True)
    assert _count(ReportValidation) == 0
    response = client.post(url, data={"decision": "return", "password": PASSWORD})
    assert response.status_code == 422
    assert "A comment is required" in response.get_data(as_text=True)
    response = client.post(url, data={"decision": "approve", "password": PASSWORD})
    assert response.status_code == 303
    assert _count(ReportValidation) == 1


def test_validation_by_a_user_with_a_second_factor_asks_its_code(client, running, member,
                                                                 agent):
    from sqlalchemy import select

    from tests.accounts.test_two_factor import enrol, next_code

    report = write_report(member, running)
    services.submit_report(member, report)
    db.session.commit()
    login(client, agent)
    secret, _codes = enrol(client, agent)
    url = f"/projects/{running.id}/reports/{report.id}/validate"
    response = client.post(url, data={"decision": "approve", "password": PASSWORD})
    assert response.status_code == 422
    assert "Type the code of your authenticator app" in response.get_data(as_text=True)
    response = client.post(url, data={"decision": "approve", "password": PASSWORD,
                                      "code": next_code(secret)})
    assert response.status_code == 303
    validation = db.session.scalar(select(ReportValidation))
    assert validation.second_factor is True


def test_reviewers_read_and_cannot_write(client, running, member, reviewer, agent, officer):
    report = write_report(member, running)
    services.submit_report(member, report)
    validate_all(report, agent, officer)
    db.session.commit()
    login(client, reviewer)
    assert client.get(f"/projects/{running.id}/reports/{report.id}").status_code == 200
    for tab in ("reports", "evaluation"):
        assert client.get(f"/projects/{running.id}?tab={tab}").status_code == 200
    assert client.get(f"/projects/{running.id}/reports/new").status_code == 403
    assert client.post(f"/projects/{running.id}/reports/{report.id}/validate",
                       data={"decision": "approve", "password": PASSWORD}).status_code == 403
    assert client.get(f"/projects/{running.id}/evaluation/scores").status_code == 403


def test_outsiders_do_not_see_reports(client, running, member, outsider_agent):
    report = write_report(member, running)
    db.session.commit()
    login(client, outsider_agent)
    assert client.get(f"/projects/{running.id}/reports/{report.id}").status_code == 403


def test_the_final_report_form(client, running, member):
    db.session.commit()
    login(client, member)
    url = f"/projects/{running.id}/final-report"
    response = client.post(url, data={"narrative": "x"})
    assert response.status_code == 409  # still in execution
    assert "once the execution is complete" in response.get_data(as_text=True)
    running.state = "final_report"
    db.session.commit()
    response = client.post(url, data={**FINAL, "narrative": "",
                                      "committee_date": "2026-11-20"})
    assert response.status_code == 422 and _count(FinalReport) == 0
    response = client.post(url, data={**FINAL, "committee_date": "2026-11-20"})
    assert response.status_code == 303 and _count(FinalReport) == 1
    page = client.get(f"/projects/{running.id}?tab=reports").get_data(as_text=True)
    assert FINAL["narrative"] in page


def test_scores_outside_one_to_four_are_refused(client, running, agent):
    running.state = "evaluation"
    db.session.commit()
    login(client, agent)
    url = f"/projects/{running.id}/evaluation/scores"
    assert client.get(url).status_code == 200
    response = client.post(url, data=scores(3, relevance_score="7"))
    assert response.status_code == 422
    assert "Give a score from 1 to 4." in response.get_data(as_text=True)
    response = client.post(url, data=scores(3, impact_justification=""))
    assert response.status_code == 422 and "Justify the score." in response.get_data(
        as_text=True)
    assert _count(EvaluationEntry) == 0
    assert client.post(url, data=scores(3)).status_code == 303
    assert _count(EvaluationEntry) == 1


def test_the_consolidated_view_shows_the_three_parties_side_by_side(
        client, running, agent, member, officer):
    running.state = "evaluation"
    services.save_scores(agent, running, "commune", scores(2))
    services.save_scores(member, running, "association", scores(4))
    services.save_scores(officer, running, "programme", scores(3))
    officer.locale = "ar"
    db.session.commit()
    login(client, officer, language="ar")
    page = client.get(f"/projects/{running.id}?tab=evaluation").get_data(as_text=True)
    assert 'dir="rtl"' in page
    table = page[page.index('id="consolidated-scores"'):]
    table = table[:table.index("</table>")]
    body = table[table.index("<tbody>"):]
    row = body[:body.index("</tr>")]
    assert [c for c in ("2", "4", "3") if f"\u2066{c}\u2069" in row] == ["2", "4", "3"]
    assert row.index("\u20662\u2069") < row.index("\u20664\u2069") < row.index("\u20663\u2069")


def test_my_tasks_show_a_report_awaiting_my_validation(client, running, member, agent):
    report = write_report(member, running)
    services.submit_report(member, report)
    db.session.commit()
    login(client, agent)
    page = client.get("/").get_data(as_text=True)
    assert "Monitoring reports awaiting my validation" in page
    assert f"/projects/{running.id}/reports/{report.id}" in page


def _queries(client, count_queries, url: str) -> int:
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count


def test_report_list_and_consolidated_view_do_not_grow_with_the_data(
        client, running, member, agent, officer, count_queries):
    import calendar

    def add_reports(months):
        for month in months:
            last = calendar.monthrange(2026, month)[1]
            report = write_report(member, running, (dt.date(2026, month, 1),
                                                    dt.date(2026, month, last)))
            services.submit_report(member, report)
            services.validate_report(agent, report, "approve", None, PASSWORD)
        db.session.commit()

    add_reports([1, 2])
    login(client, officer)
    tab = f"/projects/{running.id}?tab=reports"
    few = _queries(client, count_queries, tab)
    add_reports(range(3, 11))
    many = _queries(client, count_queries, tab)
    assert many == few, (few, many)

    running.state = "evaluation"
    services.save_scores(agent, running, "commune", scores(2))
    db.session.commit()
    evaluation = f"/projects/{running.id}?tab=evaluation"
    one = _queries(client, count_queries, evaluation)
    services.save_scores(member, running, "association", scores(4))
    services.save_scores(officer, running, "programme", scores(3))
    db.session.commit()
    three = _queries(client, count_queries, evaluation)
    assert three == one, (one, three)
    home_few = _queries(client, count_queries, "/")
    assert home_few < 60


def test_the_scores_form_states_each_criterion_once_and_says_what_it_means(
        client, running, agent):
    """Issue 17: the form repeated each criterion's name and never said what the six
    criteria mean."""
    running.state = "evaluation"
    db.session.commit()
    login(client, agent)
    page = client.get(f"/projects/{running.id}/evaluation/scores").get_data(as_text=True)
    form = html.unescape(page[page.index('id="scores-form"'):])
    for code, label in services.CRITERION_LABELS.items():
        assert form.count(f">{label}<") == 1, label
        assert str(services.CRITERION_HELP[code]) in form
