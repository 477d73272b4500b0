"""The `reports:` section of the workflow definition: read, checked, and obeyed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tadafur.reporting import services
from tadafur.reporting.services import ReportError
from tadafur.workflow import services as workflow
from tadafur.workflow.definition import DefinitionError, load_directory, load_file
from tests.factories import PASSWORD
from tests.reporting.conftest import write_report

DEFAULT = Path(__file__).resolve().parents[2] / "workflows" / "co_creation.yaml"


def _default() -> dict:
    return yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))


def _errors(tmp_path: Path, data: dict) -> list[str]:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_file(path)
    return caught.value.errors


def test_the_default_reports_section():
    rules = load_file(DEFAULT).reports
    assert rules.monitoring_states == ("in_execution", "suspended")
    assert [s.party for s in rules.monitoring_authors] == ["association"]
    assert [s.party for s in rules.monitoring_validators] == ["commune", "programme"]
    assert rules.final_state == "final_report"
    assert [s.party for s in rules.evaluation_scorers] == ["commune", "association",
                                                           "programme"]


def test_an_unknown_key_is_reported_with_the_allowed_ones(tmp_path):
    data = _default()
    data["reports"]["monitoring"]["validatorz"] = data["reports"]["monitoring"].pop(
        "validators")
    errors = _errors(tmp_path, data)
    assert any(e.endswith("reports.monitoring.validatorz: unknown key (allowed: authors, "
                          "states, validators)") for e in errors), errors
    assert any(e.endswith("reports.monitoring.validators: name at least one party")
               for e in errors), errors


@pytest.mark.parametrize("change, expected", [
    (lambda r: r["monitoring"].update(states=["in_execusion"]),
     "reports.monitoring.states[0]: unknown state 'in_execusion'"),
    (lambda r: r["monitoring"].update(states=["closed"]),
     "reports.monitoring.states[0]: 'closed' is final: nothing may be reported there"),
    (lambda r: r["final"].pop("state"), "reports.final.state: is required"),
    (lambda r: r["evaluation"]["scorers"].append({"party": "ministry"}),
     "reports.evaluation.scorers[3].party: unknown party 'ministry'"),
    (lambda r: r["monitoring"]["validators"][0].update(roles=["programme_officer"]),
     "reports.monitoring.validators[0].roles: role 'programme_officer' does not belong to "
     "the commune party"),
    (lambda r: r.update(midterm={}), "reports.midterm: unknown key"),
])
def test_mistakes_are_reported_with_file_and_key(tmp_path, change, expected):
    data = _default()
    change(data["reports"])
    errors = _errors(tmp_path, data)
    assert any(expected in e for e in errors), errors
    assert all(e.startswith(str(tmp_path)) for e in errors)


def test_the_validators_come_from_the_definition(app, tmp_path, running, member, agent,
                                                 officer):
    """A version where only the programme validates: the commune is no longer asked."""
    data = _default()
    data["version"] = 2
    data["reports"]["monitoring"]["validators"] = [{"party": "programme"}]
    shutil.copy(DEFAULT, tmp_path / "co_creation.yaml")
    (tmp_path / "co_creation.v2.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    original = app.extensions[workflow.EXTENSION]
    app.extensions[workflow.EXTENSION] = load_directory(tmp_path)
    try:
        running.workflow_version = 2
        report = write_report(member, running)
        services.submit_report(member, report)
        with pytest.raises(ReportError):
            services.validate_report(agent, report, "approve", None, PASSWORD)
        services.validate_report(officer, report, "approve", None, PASSWORD)
        assert report.status == "validated"
    finally:
        app.extensions[workflow.EXTENSION] = original
