"""Property-based: whatever users fire whatever triggers in whatever order, the project stays
in a defined state, no gate is skipped, the history replays to the current state and the audit
chain stays intact."""

from __future__ import annotations

import itertools
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from tadafur.audit.services import verify_chain
from tadafur.extensions import db
from tadafur.workflow import services
from tadafur.workflow.services import WorkflowError
from tests.factories import PASSWORD
from tests.workflow.conftest import build_project, deliberation, selection, to_state, visa

DEFAULT = Path(__file__).resolve().parents[2] / "workflows" / "co_creation.yaml"
USERS = ("agent", "president", "member", "chair", "officer", "reviewer", "outsider_agent")
DATA = {**selection(), **deliberation(), **visa(), "report": "Rapport", "findings": "Constats"}


def _triggers() -> list[str]:
    """Every trigger of the default definition, read from the file (no app needed)."""
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    triggers = sorted({t["trigger"] for t in data["transitions"]})
    gates = sorted(s["gate"]["name"] for p in data["phases"] for s in p["states"]
                   if s.get("gate"))
    return triggers + [f"signoff:{g}" for g in gates] + ["edit", "finish"]


TRIGGERS = _triggers()


STEP = st.tuples(
    st.sampled_from(USERS),
    st.sampled_from(TRIGGERS),
    st.booleans(),  # with a comment
    st.booleans(),  # with valid data
    st.sampled_from(["approve", "approve", "reject"]),
    st.sampled_from([True, True, True, False]),  # right password
    # pick among: the user's offered actions, the triggers leaving the state, any trigger
    st.sampled_from(["offered", "offered", "leaving", "leaving", "any"]),
)


def _check_invariants(project) -> None:
    definition = services.definition_of(project)
    assert project.state in definition.states
    entries = services.history(project)
    assert entries[0].from_state is None and entries[0].to_state == definition.initial
    approvals = {(s.gate, s.round, s.party) for s in services.signoffs(project)
                 if s.valid and s.decision == "approve"}
    for previous, entry in itertools.pairwise(entries):
        assert entry.seq == previous.seq + 1
        assert entry.from_state == previous.to_state  # replays
        transition = definition.transition(entry.from_state, entry.trigger)
        assert transition is not None and transition.dest == entry.to_state
        if transition.gate:  # never skipped: every party approved in that round
            gate = definition.gates[transition.gate]
            for party in gate.parties:
                assert (gate.name, previous.seq, party) in approvals, (entry.trigger, party)
    assert entries[-1].to_state == project.state


@pytest.mark.parametrize("_", [0])
def test_random_actions_keep_the_workflow_consistent(
        _, commune, association, agent, president, member, chair, officer, reviewer,
        outsider_agent):
    people = {"agent": agent, "president": president, "member": member, "chair": chair,
              "officer": officer, "reviewer": reviewer, "outsider_agent": outsider_agent}

    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow])
    @given(steps=st.lists(STEP, min_size=5, max_size=40), public=st.sampled_from(
        [Decimal(20000), Decimal(50000), Decimal(90000)]),
        start=st.sampled_from(["draft", "submitted", "decision", "convention_signature",
                               "in_execution"]))
    def run(steps, public, start):
        project = build_project(commune, association, agent, public=public)
        to_state(project, start, agent=agent, president=president, chair=chair,
                 officer=officer, member=member)
        db.session.commit()
        for user_key, drawn, with_comment, with_data, decision, right_password, pick in steps:
            user = people[user_key]
            definition = services.definition_of(project)
            choices = {
                "offered": [a.trigger for a in services.available_actions(user, project)],
                "leaving": [t.trigger for t in definition.from_state(project.state)]
                + [f"signoff:{g.name}" for g in definition.gates.values()
                   if g.state == project.state],
            }.get(pick) or TRIGGERS
            trigger = drawn if drawn in choices else choices[TRIGGERS.index(drawn) % len(choices)]
            if trigger == "edit":
                if services.is_editable(project):
                    project.summary = f"{project.summary}."
                    services.content_changed(project, user)
                    db.session.commit()
                continue
            if trigger == "finish":
                for activity in project.activities:
                    activity.status = "done"
                db.session.commit()
                continue
            before = (project.state, len(services.history(project)),
                      len(services.signoffs(project)))
            try:
                services.fire(user, project, trigger,
                              comment="Motif" if with_comment else None,
                              data=dict(DATA, decision=decision) if with_data
                              else {"decision": decision},
                              password=PASSWORD if right_password else "wrong")
            except WorkflowError:
                db.session.rollback()
                assert (project.state, len(services.history(project)),
                        len(services.signoffs(project))) == before
            else:
                db.session.commit()
                if project.state != before[0]:
                    moves.append((before[0], project.state))
        _check_invariants(project)
        assert verify_chain().intact


    moves: list[tuple[str, str]] = []
    run()
    assert moves  # the examples moved projects on, not only refused
