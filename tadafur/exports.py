"""Spreadsheet exports (CSV and XLSX): the one place that writes them, so no cell is a formula.

A reviewer opens the dashboards, the open data or the audit trail in a spreadsheet program.
A cell typed by anyone (a project title, an association's name, an e-mail address tried at
login) that starts with `=`, `+`, `-`, `@`, a tab or a carriage return would run as a formula
there ("CSV injection"). Every export goes through `csv_writer`, `csv_dict_writer` or
`xlsx_bytes`, which prefix such text with an apostrophe: the spreadsheet shows it as text.
Numbers stay numbers (a negative amount is a number, not text). A test
(tests/hardening/test_exports.py) fails when a module writes CSV or XLSX without this module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value: Any) -> Any:
    """The value as a spreadsheet may show it: text starting like a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in row]


class SafeWriter:
    """`csv.writer` whose every row goes through `safe_row`."""

    def __init__(self, buffer: io.StringIO, **options: Any) -> None:
        self._writer = csv.writer(buffer, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter:
    """`csv.DictWriter` whose every value goes through `safe_cell`."""

    def __init__(self, buffer: io.StringIO, fieldnames: Sequence[str], **options: Any) -> None:
        self._writer = csv.DictWriter(buffer, fieldnames=fieldnames, **options)

    def writeheader(self) -> Any:
        return self._writer.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._writer.writerow({key: safe_cell(value) for key, value in row.items()})


def csv_writer(buffer: io.StringIO, **options: Any) -> SafeWriter:
    return SafeWriter(buffer, **options)


def csv_dict_writer(buffer: io.StringIO, fieldnames: Sequence[str],
                    **options: Any) -> SafeDictWriter:
    return SafeDictWriter(buffer, fieldnames, **options)


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    buffer = io.StringIO()
    csv_writer(buffer).writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(rows: Iterable[Sequence[Any]], title: str = "Tadafur") -> bytes:
    """One sheet of `rows`. Text cells are stored as text (never as formulas), quoted as in CSV
    so that the file reads the same once saved again as CSV by a spreadsheet program."""
    # openpyxl takes 0.3 s to import; only the spreadsheet export needs it.
    from openpyxl import Workbook  # noqa: PLC0415

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(safe_row(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would otherwise take "=..." as a formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
