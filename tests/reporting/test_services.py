"""The rules of monitoring reports, the final report and the evaluation, service by service."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tadafur.audit.models import AuditEvent
from tadafur.documents.models import RegisteredDocument
from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.reporting import services
from tadafur.reporting.models import EvaluationEntry, MonitoringReport
from tadafur.reporting.services import ReportError
from tests.factories import TOMORROW, tomorrow
from tests.reporting.conftest import FINAL, Q1, Q2, TEXTS, scores, validate_all, write_report


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _after(event: AuditEvent) -> dict:
    return json.loads(event.after or "{}")


def _before(event: AuditEvent) -> dict:
    return json.loads(event.before or "{}")


def _events(project, action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(
        AuditEvent.project_id == project.id, AuditEvent.action == action)))


# ---------------------------------------------------------------- monitoring reports

def test_the_association_writes_a_draft_and_it_is_audited(running, member):
    report = write_report(member, running)
    assert report.status == "draft" and report.round == 0
    [event] = _events(running, "monitoring_report.created")
    assert _after(event)["narrative"] == TEXTS["narrative"]


@pytest.mark.parametrize("period, field", [
    ((dt.date(2025, 12, 1), dt.date(2026, 1, 31)), "period_start"),  # before the project
    ((dt.date(2026, 11, 1), TOMORROW), "period_end"),                # ends in the future
    ((dt.date(2026, 3, 1), dt.date(2026, 2, 1)), "period_end"),      # ends before it starts
])
def test_a_period_outside_the_project_is_refused(running, member, period, field):
    period = (period[0], tomorrow() if period[1] == TOMORROW else period[1])
    with pytest.raises(ReportError) as refused:
        write_report(member, running, period)
    assert refused.value.field == field and refused.value.status == 422
    assert _count(MonitoringReport) == 0


def test_overlapping_periods_are_refused(running, member):
    write_report(member, running, Q1)
    with pytest.raises(ReportError) as refused:
        write_report(member, running, (dt.date(2026, 3, 15), dt.date(2026, 4, 30)))
    assert refused.value.field == "period_start"
    assert "overlaps" in refused.value.message
    write_report(member, running, Q2)  # the next quarter is fine
    assert _count(MonitoringReport) == 2


@pytest.mark.parametrize("name", ["narrative", "achievements", "difficulties"])
def test_an_empty_narrative_is_refused(running, member, name):
    with pytest.raises(ReportError) as refused:
        write_report(member, running, **{name: "   "})
    assert refused.value.field == name
    assert _count(MonitoringReport) == 0


def test_only_the_named_authors_write_and_only_in_execution(running, agent, officer, member):
    for user in (agent, officer):
        with pytest.raises(ReportError) as refused:
            write_report(user, running)
        assert refused.value.status == 409
    running.state = "final_report"
    with pytest.raises(ReportError):
        write_report(member, running)


def test_reports_may_be_written_while_suspended(running, member):
    running.state = "suspended"
    assert write_report(member, running).status == "draft"


def test_submission_freezes_the_indicator_table_of_the_period(running, member):
    report = write_report(member, running, Q1)
    services.submit_report(member, report)
    assert report.status == "submitted" and report.round == 1
    trained, rate = report.indicators
    assert trained["name"] == "Jeunes formés"
    assert Decimal(trained["period"]) == 30 and Decimal(trained["achieved"]) == 30
    assert Decimal(trained["women"]) == 18 and Decimal(trained["youth"]) == 20
    assert Decimal(rate["achieved"]) == 55  # an outcome: the level measured then
    second = write_report(member, running, Q2)
    services.submit_report(member, second)
    trained, rate = second.indicators
    assert Decimal(trained["period"]) == 44 and Decimal(trained["achieved"]) == 74
    assert Decimal(rate["achieved"]) == 72
    [event] = _events(running, "monitoring_report.submitted")[:1]
    assert _before(event) == {"status": "draft", "round": 0}


def test_two_validations_with_password_validate_and_register_the_pdf(
        running, member, agent, officer):
    report = write_report(member, running)
    services.submit_report(member, report)
    services.validate_report(agent, report, "approve", None, "correct horse battery")
    assert report.status == "submitted"
    assert services.missing_validators(report) == ["programme"]
    validate_all(report, officer)
    assert report.status == "validated" and report.document_id is not None
    document = db.session.get(RegisteredDocument, report.document_id)
    assert document.kind == "monitoring_report" and document.sealed
    assert {v.signed_hash for v in report.validations} == {services.report_hash(report)}
    assert len(_events(running, "monitoring_report.approved")) == 2
    assert len(_events(running, "monitoring_report.validated")) == 1


def test_a_wrong_password_signs_nothing(running, member, agent):
    report = write_report(member, running)
    services.submit_report(member, report)
    with pytest.raises(ReportError) as refused:
        services.validate_report(agent, report, "approve", None, "wrong")
    assert refused.value.field == "password"
    assert report.validations == []


def test_a_validator_returns_the_report_with_a_comment(running, member, agent, officer):
    report = write_report(member, running)
    services.submit_report(member, report)
    validate_all(report, agent)
    with pytest.raises(ReportError) as refused:
        services.validate_report(officer, report, "return", "  ", "correct horse battery")
    assert refused.value.field == "comment"
    services.validate_report(officer, report, "return", "Chiffres du T1 à revoir.",
                             "correct horse battery")
    assert report.status == "draft" and report.return_comment == "Chiffres du T1 à revoir."
    services.update_report(member, report, {"period_start": Q1[0], "period_end": Q1[1],
                                            **TEXTS, "narrative": "Corrigé."})
    services.submit_report(member, report)
    # the commune's approval was for the first submission: it must validate again
    assert services.missing_validators(report) == ["commune", "programme"]
    [returned] = _events(running, "monitoring_report.returned")
    assert _before(returned) == {"status": "submitted"}
    assert _after(returned)["comment"] == "Chiffres du T1 à revoir."


def test_outsiders_members_and_reviewers_cannot_validate(
        running, member, chair, outsider_agent, reviewer, agent):
    report = write_report(member, running)
    services.submit_report(member, report)
    for user in (member, chair, outsider_agent):
        with pytest.raises(ReportError) as refused:
            services.validate_report(user, report, "approve", None, "correct horse battery")
        assert refused.value.status == 409
    assert services.open_validation_parties(reviewer, report) == []
    validate_all(report, agent)
    with pytest.raises(ReportError):  # the commune has validated already
        services.validate_report(agent, report, "approve", None, "correct horse battery")


def test_a_submitted_report_cannot_be_changed(running, member):
    report = write_report(member, running)
    services.submit_report(member, report)
    with pytest.raises(ReportError) as refused:
        services.update_report(member, report, {"period_start": Q1[0], "period_end": Q1[1],
                                                **TEXTS})
    assert refused.value.status == 409


def test_awaiting_validation_lists_what_waits_for_me(running, member, agent, officer,
                                                    outsider_agent):
    report = write_report(member, running)
    services.submit_report(member, report)
    assert services.awaiting_validation(agent) == [report]
    assert services.awaiting_validation(outsider_agent) == []
    validate_all(report, agent)
    assert services.awaiting_validation(agent) == []
    assert services.awaiting_validation(officer) == [report]


# ---------------------------------------------------------------- final report

def test_the_final_report_needs_every_part(running, member):
    running.state = "final_report"
    assert len(services.final_report_missing(running)) == 6  # and the closure's justification
    with pytest.raises(ReportError) as refused:
        services.save_final_report(member, running, {**FINAL, "narrative": ""})
    assert refused.value.field == "narrative"
    services.save_final_report(member, running, {**FINAL, "lessons": ""})
    assert services.final_report_missing(running) == ["the lessons learned"]
    services.save_final_report(member, running, FINAL)
    assert services.final_report_missing(running) == []
    [_first, second] = _events(running, "final_report.saved")
    assert _before(second) == {"lessons": ""}


def test_the_final_report_is_written_by_the_association_in_its_state(running, member, agent):
    with pytest.raises(ReportError):
        services.save_final_report(member, running, FINAL)  # still in execution
    running.state = "final_report"
    with pytest.raises(ReportError):
        services.save_final_report(agent, running, FINAL)


def test_financial_statement_and_results_come_from_execution(running):
    statement = services.financial_statement(running)
    first = statement["lines"][0]
    assert Decimal(first["spent"]) == Decimal("12345.50")
    assert Decimal(statement["total"]["spent"]) == Decimal("12345.50")
    results = services.indicator_rows(running)
    assert [Decimal(r["achieved"]) for r in results] == [74, 72]


def test_closing_with_money_undisbursed_or_overspent_needs_a_justification(
        running, member, officer, agent):
    """Issue 17: a project closed with "Disbursed MAD 0.00", 12,345.50 spent and tranches
    still to come, with no warning nor justification at any gate."""
    running.state = "final_report"
    without = {**FINAL, "financial_justification": ""}
    services.save_final_report(member, running, without)
    [missing] = services.final_report_missing(running)
    assert "justification of the financial closure" in missing
    assert "not disbursed" in missing and "spent for" in missing  # both kinds of gap
    from tadafur.execution.services import financial_closure

    programme = next(r for r in financial_closure(running) if r.funder == "programme")
    assert programme.disbursed == 0 and programme.overspent == Decimal("12345.50")
    # Every share in money paid, spending within it: nothing left to justify.
    running.state = "in_execution"
    for line in running.budget_lines:
        if not line.in_kind:
            actor = officer if line.funder == "programme" else agent
            execution.record_tranche(actor, running, {
                "funder": line.funder, "amount": line.amount,
                "planned_on": dt.date(2026, 1, 1), "paid_on": dt.date(2026, 1, 1)})
    running.state = "final_report"
    assert services.final_report_missing(running) == []
    assert [r for r in financial_closure(running) if r.gap] == []


# ---------------------------------------------------------------- evaluation

def test_each_party_scores_the_six_criteria(running, agent, member, officer):
    running.state = "evaluation"
    services.save_scores(agent, running, "commune", scores(3))
    services.save_scores(member, running, "association", scores(4))
    assert services.evaluation_missing(running) == ["Programme"]
    services.save_scores(officer, running, "programme", scores(2, impact_score="1"))
    assert services.evaluation_missing(running) == []
    parties, rows = services.consolidated(running)
    assert parties == ["commune", "association", "programme"]
    impact = next(r for r in rows if r.criterion == "impact")
    assert impact.scores == {"commune": 3, "association": 4, "programme": 1}
    assert impact.average == Decimal("2.7")
    assert len(_events(running, "evaluation.scored")) == 3


@pytest.mark.parametrize("overrides, field", [
    ({"relevance_score": "5"}, "relevance_score"),
    ({"coherence_score": "0"}, "coherence_score"),
    ({"impact_score": "deux"}, "impact_score"),
    ({"efficiency_score": ""}, "efficiency_score"),
    ({"sustainability_justification": " "}, "sustainability_justification"),
    ({"lessons": ""}, "lessons"),
    ({"recommendations": ""}, "recommendations"),
])
def test_bad_scores_are_refused_and_nothing_is_stored(running, agent, overrides, field):
    running.state = "evaluation"
    with pytest.raises(ReportError) as refused:
        services.save_scores(agent, running, "commune", scores(3, **overrides))
    assert refused.value.field == field and refused.value.status == 422
    assert _count(EvaluationEntry) == 0


def test_a_party_scores_only_for_itself_and_at_the_evaluation(running, agent, member):
    with pytest.raises(ReportError):
        services.save_scores(agent, running, "commune", scores())  # in execution
    running.state = "evaluation"
    with pytest.raises(ReportError):
        services.save_scores(agent, running, "association", scores())


def test_rescoring_is_audited_with_before_and_after(running, agent):
    running.state = "evaluation"
    services.save_scores(agent, running, "commune", scores(3))
    services.save_scores(agent, running, "commune", scores(3, impact_score="2"))
    last = _events(running, "evaluation.scored")[-1]
    assert _before(last) == {"impact": [3, "Justification impact"]}
    assert _after(last) == {"impact": [2, "Justification impact"]}


def test_participation_results(running, officer):
    running.state = "evaluation"
    with pytest.raises(ReportError) as refused:
        services.save_participation(officer, running, {"women_participants": "-3",
                                                       "youth_participants": "10"})
    assert refused.value.field == "women_participants"
    evaluation = services.save_participation(officer, running, {
        "women_participants": "58", "youth_participants": "83", "participation_notes": "ok"})
    assert (evaluation.women_participants, evaluation.youth_participants) == (58, 83)
