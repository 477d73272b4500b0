"""The whole default workflow, from draft to closed, by the right users."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.workflow import services
from tadafur.workflow.definition import load_directory
from tadafur.workflow.services import WorkflowError
from tests.workflow.conftest import act, deliberation, selection, visa

DEFAULT = Path(__file__).resolve().parents[2] / "workflows" / "co_creation.yaml"


def write_final_report(author, project) -> None:
    """The final report the guard asks for (tadafur.reporting)."""
    from tadafur.models_base import today
    from tadafur.reporting.services import save_final_report

    save_final_report(author, project, {
        "narrative": "Tout a été réalisé.", "lessons": "Impliquer les jeunes tôt.",
        "committee_date": today(), "committee_attendees": "Commune, association",
        "committee_decisions": "Clôture.",
        "financial_justification": "Aucune tranche versée: les fonds sont restitués."})


def score_evaluation(project, *, agent, member, officer) -> None:
    """The three parties' OECD-DAC scores the guard asks for (tadafur.reporting)."""
    from tadafur.reporting.models import CRITERIA
    from tadafur.reporting.services import save_scores

    values = {"lessons": "Leçons", "recommendations": "Recommandations",
              **{f"{c}_score": "3" for c in CRITERIA},
              **{f"{c}_justification": "Atteint." for c in CRITERIA}}
    for user, party in ((agent, "commune"), (member, "association"), (officer, "programme")):
        save_scores(user, project, party, values)


def test_default_workflow_walks_from_draft_to_closed(
        project, agent, president, member, chair, officer):
    def actions(user):
        return {a.trigger for a in services.available_actions(user, project)}

    assert actions(president) == {"signoff:endorsement"}
    act(president, project, "signoff:endorsement")
    act(chair, project, "signoff:endorsement")
    assert actions(member) == {"submit"}
    act(member, project, "submit")
    assert services.phase_of(project) == "approval"
    assert actions(officer) == {"declare_eligible", "request_changes", "reject"}
    act(officer, project, "declare_eligible")
    act(officer, project, "record_selection", data=selection())
    assert actions(agent) == {"record_deliberation"}
    assert actions(member) == set()
    act(agent, project, "record_deliberation", data=deliberation())
    act(president, project, "record_visa", data=visa())
    assert actions(officer) == {"prepare_convention", "approve_by_decision"}
    act(officer, project, "prepare_convention")
    assert project.state == "convention_signature"
    for signer in (officer, chair):
        assert actions(signer) == {"signoff:convention"}
        act(signer, project, "signoff:convention")
    act(president, project, "signoff:convention")
    assert project.state == "in_execution"

    for activity in project.activities:
        activity.status = "done"
    db.session.flush()
    act(agent, project, "complete")
    assert project.state == "final_report"
    assert actions(agent) == set() and actions(member) == {"submit_final_report"}
    with pytest.raises(WorkflowError, match="final report is not complete"):
        services.fire(member, project, "submit_final_report")
    write_final_report(member, project)
    act(member, project, "submit_final_report")
    assert project.state == "report_validation"
    act(agent, project, "signoff:report_validation")
    act(officer, project, "signoff:report_validation")
    assert project.state == "evaluation"
    with pytest.raises(WorkflowError, match="score the six criteria"):
        services.fire(officer, project, "submit_evaluation")
    score_evaluation(project, agent=agent, member=member, officer=officer)
    act(officer, project, "submit_evaluation")
    for signer in (president, chair, officer):
        act(signer, project, "signoff:joint_evaluation")
    assert project.state == "closed"
    assert services.available_actions(officer, project) == []

    states = [(h.from_state, h.to_state) for h in services.history(project)]
    assert states == [
        (None, "draft"), ("draft", "submitted"), ("submitted", "selection"),
        ("selection", "council_deliberation"), ("council_deliberation", "governor_visa"),
        ("governor_visa", "decision"), ("decision", "convention_signature"),
        ("convention_signature", "in_execution"), ("in_execution", "final_report"),
        ("final_report", "report_validation"), ("report_validation", "evaluation"),
        ("evaluation", "evaluation_signoff"), ("evaluation_signoff", "closed")]
    actions_logged = set(db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.project_id == project.id)))
    assert {"project.submit", "signoff.given", "gate.completed", "project.sign_convention",
            "project.close"} <= actions_logged
    assert verify_chain().intact
    with pytest.raises(WorkflowError):
        services.fire(officer, project, "terminate", comment="too late")


def test_report_validation_can_be_returned(project, agent, president, member, chair, officer):
    from tests.workflow.conftest import to_state

    to_state(project, "in_execution", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    for activity in project.activities:
        activity.status = "done"
    act(agent, project, "complete")
    write_final_report(member, project)
    act(member, project, "submit_final_report")
    act(agent, project, "signoff:report_validation")
    act(officer, project, "return_report", comment="Chiffres manquants")
    assert project.state == "final_report"
    act(member, project, "submit_final_report")
    # the commune's earlier validation was for the first report: it does not count
    assert services.gate_status(project).missing == ("commune", "programme")


def test_without_governor_visa_the_deliberation_leads_to_the_decision(
        app, tmp_path, commune, association, agent, president, member, chair, officer):
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    data["options"]["governor_visa"] = False
    data["version"] = 2
    shutil.copy(DEFAULT, tmp_path / "co_creation.yaml")
    (tmp_path / "co_creation.v2.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    original = app.extensions[services.EXTENSION]
    app.extensions[services.EXTENSION] = load_directory(tmp_path)
    try:
        from tests.workflow.conftest import build_project

        project = build_project(commune, association, agent)
        act(president, project, "signoff:endorsement")
        act(chair, project, "signoff:endorsement")
        act(agent, project, "submit")
        act(officer, project, "declare_eligible")
        act(officer, project, "record_selection", data=selection())
        act(agent, project, "record_deliberation", data=deliberation())
        assert project.state == "decision"
    finally:
        app.extensions[services.EXTENSION] = original
