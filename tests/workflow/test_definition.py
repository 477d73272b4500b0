"""Definitions are data, checked at start-up and by `flask workflow check`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tadafur.extensions import db
from tadafur.workflow import services
from tadafur.workflow.definition import DefinitionError, load_directory, load_file
from tests.conftest import make_app
from tests.workflow.conftest import build_project

DEFAULT = Path(__file__).resolve().parents[2] / "workflows" / "co_creation.yaml"


def _default() -> dict:
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "broken.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _errors_of(path: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    return caught.value.errors


def _transition(data: dict, trigger: str) -> dict:
    return next(t for t in data["transitions"] if t["trigger"] == trigger)


def _state(data: dict, name: str) -> dict:
    return next(s for p in data["phases"] for s in p["states"] if s["name"] == name)


def test_default_definition_is_valid():
    definition = load_file(DEFAULT)
    assert definition.name == "co_creation" and definition.version == 1
    assert definition.initial == "draft"
    assert [p[0] for p in definition.phases] == [
        "proposal", "approval", "execution", "follow_up", "evaluation"]
    assert definition.states["convention_signature"].documents == ("convention",)
    assert definition.gates["convention"].subject == "document:convention"
    assert {s.name for s in definition.states.values() if s.final} == {
        "rejected", "terminated", "closed"}


def test_unknown_state_is_reported_with_file_and_key(tmp_path):
    data = _default()
    _transition(data, "declare_eligible")["dest"] = "selektion"
    path = _write(tmp_path, data)
    errors = _errors_of(path)
    index = next(i for i, t in enumerate(data["transitions"]) if t["trigger"] == "declare_eligible")
    assert f"{path}: transitions[{index}].dest: unknown state 'selektion'" in errors


def test_unknown_role_is_reported(tmp_path):
    data = _default()
    _transition(data, "suspend")["roles"] = ["programme_oficer"]
    errors = _errors_of(_write(tmp_path, data))
    assert any(".roles[0]: unknown role 'programme_oficer'" in e for e in errors), errors


def test_unknown_guard_is_reported(tmp_path):
    data = _default()
    _transition(data, "submit")["guards"] = ["proposal_finished"]
    errors = _errors_of(_write(tmp_path, data))
    assert any(".guards[0]: unknown guard 'proposal_finished'" in e for e in errors), errors


def test_guard_parameters_are_checked(tmp_path):
    data = _default()
    _transition(data, "approve_by_decision")["unless"] = [
        {"public_contribution_above": {"treshold": 50000}}]
    errors = _errors_of(_write(tmp_path, data))
    assert any("needs parameter(s) threshold" in e for e in errors), errors


def test_unreachable_state_is_reported(tmp_path):
    data = _default()
    data["transitions"] = [t for t in data["transitions"] if t["trigger"] != "suspend"]
    errors = _errors_of(_write(tmp_path, data))
    assert any("states.suspended: state 'suspended' cannot be reached from 'draft'" in e
               for e in errors), errors


def test_non_final_state_without_exit_is_reported(tmp_path):
    data = _default()
    data["transitions"] = [t for t in data["transitions"]
                           if t["trigger"] not in ("resume", "terminate")]
    errors = _errors_of(_write(tmp_path, data))
    assert any("states.suspended: state 'suspended' is not final and has no way out" in e
               for e in errors), errors


def test_unknown_party_and_gate_are_reported(tmp_path):
    data = _default()
    _transition(data, "submit")["gate"] = "endorsment"
    _state(data, "draft")["gate"]["signers"][0]["party"] = "province"
    errors = _errors_of(_write(tmp_path, data))
    assert any("unknown gate 'endorsment'" in e for e in errors), errors
    assert any("gate.signers[0].party: unknown party 'province'" in e for e in errors), errors


def test_document_kind_without_producer_is_reported(tmp_path, monkeypatch):
    from tadafur.workflow import hooks

    monkeypatch.setattr(hooks, "DOCUMENT_PRODUCERS", {})
    errors = _errors_of(_write(tmp_path, _default()))
    assert any("states.convention_signature.documents: no producer for document kind "
               "'convention': the documents module must be installed" in e for e in errors)


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nphases: [\n  - oops: : :\n", encoding="utf-8")
    errors = _errors_of(path)
    assert errors[0].startswith(f"{path}: line ") and "not valid YAML" in errors[0]


def test_broken_definition_stops_the_app_at_start_up(tmp_path):
    data = _default()
    _transition(data, "submit")["guards"] = ["nonsense"]
    _write(tmp_path, data, "co_creation.yaml")
    with pytest.raises(DefinitionError, match="unknown guard 'nonsense'"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", WORKFLOW_DIRECTORY=str(tmp_path))


def test_check_command_says_ok(app):
    result = app.test_cli_runner().invoke(args=["workflow", "check"])
    assert result.exit_code == 0, result.output
    assert "OK co_creation v1" in result.output


def test_check_command_lists_errors_and_fails(app, tmp_path):
    data = _default()
    _transition(data, "suspend")["dest"] = "nowhere"
    path = _write(tmp_path, data)
    result = app.test_cli_runner().invoke(args=["workflow", "check", str(path)])
    assert result.exit_code == 1
    assert "dest: unknown state 'nowhere'" in result.output
    assert "error(s)" in result.output


def test_governor_visa_can_be_switched_off(tmp_path):
    data = _default()
    data["options"]["governor_visa"] = False
    definition = load_file(_write(tmp_path, data, "no_visa.yaml"))
    assert "governor_visa" not in definition.states
    assert definition.transition("council_deliberation", "record_deliberation").dest == "decision"


def test_new_version_applies_to_new_projects_only(app, tmp_path, commune, association, agent):
    shutil.copy(DEFAULT, tmp_path / "co_creation.yaml")
    running = build_project(commune, association, agent)
    assert (running.workflow_name, running.workflow_version) == ("co_creation", 1)

    data = _default()
    data["version"] = 2
    _state(data, "draft")["due_days"] = 10
    _write(tmp_path, data, "co_creation.v2.yaml")
    original = app.extensions[services.EXTENSION]
    app.extensions[services.EXTENSION] = load_directory(tmp_path)
    try:
        newer = build_project(commune, association, agent)
        db.session.flush()
        assert newer.workflow_version == 2
        assert running.workflow_version == 1
        assert services.definition_of(running).states["draft"].due_days == 90
        assert services.definition_of(newer).states["draft"].due_days == 10
    finally:
        app.extensions[services.EXTENSION] = original


def test_two_files_with_the_same_version_are_refused(tmp_path):
    shutil.copy(DEFAULT, tmp_path / "a.yaml")
    shutil.copy(DEFAULT, tmp_path / "b.yaml")
    with pytest.raises(DefinitionError, match="version 1 is already defined"):
        load_directory(tmp_path)


def test_check_command_reports_projects_on_a_missing_version(app, project):
    project.workflow_version = 7
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["workflow", "check"])
    assert result.exit_code == 1
    assert "use 'co_creation' version 7, which is not installed" in result.output


# ---------------------------------------------------------------- the amendments section

def test_default_amendment_rules():
    rules = load_file(DEFAULT).amendments
    assert rules.states == ("in_execution", "suspended", "final_report")
    assert rules.reallocation_officer_share == 15
    assert str(rules.programme_end_date) == "2028-12-31"
    assert rules.parties_for(["budget"]) == ("commune", "association")
    assert rules.parties_for(["budget"], officer=True) == ("commune", "association",
                                                          "programme")
    assert rules.parties_for(["end_date"]) == ("commune", "association", "programme")


def test_a_definition_without_amendments_allows_none(tmp_path):
    data = _default()
    del data["amendments"]
    assert load_file(_write(tmp_path, data)).amendments is None


@pytest.mark.parametrize(("change", "expected"), [
    (lambda a: a.update(states=["in_exekution"]), "amendments.states[0]: unknown state"),
    (lambda a: a.update(states=["closed"]), "'closed' is final"),
    (lambda a: a.update(states=[]), "amendments.states: name at least one state"),
    (lambda a: a.update(reallocation_officer_share=150),
     "amendments.reallocation_officer_share: must be a whole percentage"),
    (lambda a: a.update(reallocation_officer_share="15%"),
     "amendments.reallocation_officer_share: must be a whole percentage"),
    (lambda a: a.update(programme_end_date="end of 2028"),
     "amendments.programme_end_date: must be a date"),
    (lambda a: a.update(due_days=0), "amendments.due_days: must be a whole number"),
    (lambda a: a["changes"].update(budjet={"parties": ["commune"]}),
     "amendments.changes.budjet: unknown kind of change"),
    (lambda a: a["changes"]["budget"].update(parties=["ministry"]),
     "amendments.changes.budget.parties[0]: unknown party 'ministry'"),
    (lambda a: a["changes"]["budget"].update(parties=[]),
     "amendments.changes.budget.parties: name at least one party"),
    (lambda a: a["signers"].update(commune=["association_signatory"]),
     "role 'association_signatory' does not belong to the commune party"),
    (lambda a: a["signers"].update(commune=["mayor"]), "unknown role 'mayor'"),
    (lambda a: a["signers"].pop("programme"), "party 'programme' has no signer roles"),
    (lambda a: a.update(colour="red"), "amendments.colour: unknown key"),
])
def test_each_kind_of_mistake_in_the_amendments_section_is_named(tmp_path, change, expected):
    data = _default()
    change(data["amendments"])
    errors = _errors_of(_write(tmp_path, data))
    assert any(expected in error for error in errors), errors
    assert all("broken.yaml" in error for error in errors)


def test_states_that_record_execution_come_from_the_file(tmp_path):
    """Which states accept tranches, expenses and evidence is data: a programme that also
    records during suspension says so in its file, without a code change."""
    assert {s.name for s in load_file(DEFAULT).states.values() if s.records_execution} == {
        "in_execution"}
    data = _default()
    _state(data, "suspended")["records_execution"] = True
    loaded = load_file(_write(tmp_path, data, "suspended_records.yaml"))
    assert {s.name for s in loaded.states.values() if s.records_execution} == {
        "in_execution", "suspended"}
