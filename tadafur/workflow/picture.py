"""The workflow diagram of a project page (phases, states done / current / to come, signers) and
the workflow's template helpers, registered by tadafur.wiring.
"""

from __future__ import annotations

from typing import Any

from tadafur.projects.models import Project
from tadafur.workflow import dates
from tadafur.workflow.labels import party_label, translate
from tadafur.workflow.queries import (
    field_types,
    gate_status,
    history,
    signoffs,
)
from tadafur.workflow.registry import (
    definition_of,
    due_at,
    is_editable,
    is_final,
    is_overdue,
    phase_label,
    phase_of,
    state_label,
)


def picture(project: Project) -> dict:
    """What the diagram shows: phases, states (done / current / to come) and signers."""
    definition = definition_of(project)
    visited = {r.to_state for r in history(project)}
    all_signoffs = [s for s in signoffs(project) if s.valid]
    current_status = gate_status(project, definition)
    phases = []
    for name, label, state_names in definition.phases:
        states = []
        for state_name in state_names:
            state = definition.states[state_name]
            status = ("current" if state_name == project.state
                      else "done" if state_name in visited else "todo")
            gate = None
            if state.gate is not None:
                if status == "current" and current_status is not None:
                    approvals, rejections = current_status.approvals, current_status.rejections
                else:
                    rows = [s for s in all_signoffs if s.gate == state.gate.name]
                    last = max((s.round for s in rows), default=None)
                    approvals = {s.party: s for s in rows
                                 if s.round == last and s.decision == "approve"}
                    rejections = {}
                signers = []
                for party in state.gate.parties:
                    signed = approvals.get(party) or rejections.get(party)
                    signers.append({
                        "party": party, "label": party_label(party),
                        "status": ("signed" if party in approvals else
                                   "refused" if party in rejections else "awaited"),
                        "name": signed.user.full_name if signed else None,
                        "at": signed.signed_at if signed else None})
                gate = {"name": state.gate.name, "label": translate(state.gate.label),
                        "signers": signers}
            states.append({"name": state_name, "label": translate(state.label), "status": status,
                           "final": state.final, "gate": gate})
        phases.append({"name": name, "label": translate(label), "states": states,
                       "current": project.state in state_names})
    return {"phases": phases, "due_at": due_at(project), "overdue": is_overdue(project)}


def template_helpers() -> dict:
    """What templates ask the workflow (registered by tadafur.wiring, like every helper)."""
    return {
        "workflow_picture": picture,
        "workflow_field_type":
            lambda project, trigger, name: field_types(project, trigger).get(name),
        "state_label": state_label, "phase_of": phase_of, "phase_label": phase_label,
        "project_overdue": is_overdue, "workflow_editable": is_editable,
        "party_label": party_label,
        "workflow_is_final": is_final,
        "workflow_date_bounds": _date_bounds,
    }


def _date_bounds(project: Any, kind: str) -> dict[str, str]:
    return dates.bounds(project, kind)
