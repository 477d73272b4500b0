"""The sections of the monitoring, final and evaluation reports, for the documents module's
report layout (`templates/documents/report.html`).

Figures are wrapped in LTR runs (`ltr`) so that Arabic pages keep "1.250,50" and "75 %" in
order; texts are cut into paragraphs at blank lines. Built in the document's language.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from flask_babel import force_locale, gettext as _
from markupsafe import Markup

from tadafur.documents.labels import typed, typed_block
from tadafur.i18n import format_day, format_number, ltr, money
from tadafur.projects.labels import BUDGET_CATEGORIES, FUNDER_LABELS
from tadafur.reporting.queries import (
    CRITERION_LABELS,
    consolidated,
    entries_of,
    evaluation_of,
    report_hash,
    reports_of,
)
from tadafur.workflow.labels import party_label


def _number(value: Any, language: str) -> Markup:
    if value in (None, ""):
        return Markup("—")
    return ltr(format_number(Decimal(str(value)), language), language)


def _percent(value: Any, language: str) -> Markup:
    if value in (None, ""):
        return Markup("—")
    return ltr(f"{format_number(Decimal(str(value)), language)} %", language)


def _money(value: Any, language: str) -> Markup:
    """Figures and currency on one line (a table cell would otherwise break between them)."""
    return Markup('<span class="nowrap">{}</span>').format(
        money(Decimal(str(value or 0)), language))


def _typed(text: Any) -> Markup:
    """What a person typed, in a first-strong isolate: a French sentence in an Arabic
    document keeps its final full stop at its end (measured with pdftotext)."""
    return typed(text)


def _paragraphs(text: str) -> list[Markup]:
    """Typed paragraphs, each a block in its own direction (a wrapped French sentence in an
    Arabic report keeps its full stop at its right end)."""
    return [typed_block(p.strip()) for p in (text or "").split("\n\n") if p.strip()]


def _day(value: Any, language: str) -> Markup:
    """A long date; an Arabic one is right-to-left text of its own (an LTR run would put
    the day after the year), a French one an LTR run."""
    if not value:
        return Markup("—")
    text = format_day(value, "long", language)
    return Markup.escape(text) if language == "ar" else ltr(text, language)


def indicator_table(rows: list[dict], language: str, with_period: bool = True) -> dict:
    head = [_("Indicator"), _("Unit"), _("Baseline"), _("Target")]
    if with_period:
        head.append(_("This period"))
    head += [_("Achieved"), _("Share of the target"), _("Women"), _("Youth")]
    body = []
    for row in rows:
        cells = [_typed(row["name"]), _typed(row["unit"]), _number(row["baseline"], language),
                 _number(row["target"], language)]
        if with_period:
            cells.append(_number(row.get("period"), language))
        cells += [_number(row["achieved"], language), _percent(row["percent"], language),
                  _number(row["women"], language), _number(row["youth"], language)]
        body.append(cells)
    return {"head": head, "rows": body}


def monitoring_sections(report: Any, language: str) -> list[dict]:
    with force_locale(language):
        validations = [v for v in report.validations
                       if v.round == report.round and v.decision == "approve"]
        return [
            {"title": _("Period"),
             "paragraphs": [Markup(_("From %(start)s to %(end)s")) % {
                 "start": _day(report.period_start, language),
                 "end": _day(report.period_end, language)}]},
            {"title": _("Narrative"), "paragraphs": _paragraphs(report.narrative)},
            {"title": _("Achievements"), "paragraphs": _paragraphs(report.achievements)},
            {"title": _("Difficulties"), "paragraphs": _paragraphs(report.difficulties)},
            {"title": _("Indicators"), "table": indicator_table(report.indicators, language),
             "paragraphs": [] if report.indicators else [_("No indicator.")]},
            {"title": _("Validation"),
             "paragraphs": [Markup(_("Validated content (SHA-256): %(hash)s")) % {
                 "hash": ltr(report_hash(report))}],
             "table": {"head": [_("Party"), _("Name"), _("Date")],
                       "rows": [[party_label(v.party), _typed(v.user.full_name),
                                 _day(v.signed_at, language)] for v in validations]}},
        ]


def final_sections(project: Any, report: Any, language: str) -> list[dict]:
    results = json.loads(report.results_json or "[]")
    financial = json.loads(report.financial_json or "{}")
    with force_locale(language):
        sections = [
            {"title": _("Technical narrative"), "paragraphs": _paragraphs(report.narrative)},
            {"title": _("Results against targets"),
             "table": indicator_table(results, language, with_period=False),
             "paragraphs": [] if results else [_("No indicator.")]},
        ]

        def category(code: str) -> str:
            return str(BUDGET_CATEGORIES.get(code, code))

        def funder(code: str) -> str:
            return next((str(label) for key, label in FUNDER_LABELS.items() if key == code),
                        code)

        lines = financial.get("lines", [])
        sections.append({
            "title": _("Financial statement by budget line"),
            "table": {"head": [_("Budget line"), _("Funder"), _("Budgeted"), _("Spent"),
                               _("Remaining"), _("Share spent")],
                      "rows": [[Markup("{}: {}").format(category(line["category"]),
                                                        _typed(line["description"])),
                                funder(line["funder"]),
                                _money(line["planned"], language),
                                _money(line["spent"], language),
                                _money(line["remaining"], language),
                                _percent(line["percent"], language)] for line in lines]}})
        total = financial.get("total", {})
        funder_rows = [[funder(f["funder"]), _money(f["planned"], language),
                        _money(f["disbursed"], language), _money(f["spent"], language),
                        _percent(f["percent"], language)]
                       for f in financial.get("funders", [])]
        if total:
            funder_rows.append([_("Total"), _money(total["planned"], language),
                                _money(total["disbursed"], language),
                                _money(total["spent"], language),
                                _percent(total["percent"], language)])
        sections.append({
            "title": _("Financial statement by funder"),
            "table": {"head": [_("Funder"), _("Budgeted"), _("Disbursed"), _("Spent"),
                               _("Share spent")], "rows": funder_rows}})
        closure = financial.get("closure", [])
        if closure:
            sections.append({
                "title": _("Financial closure"),
                "table": {"head": [_("Funder"), _("Budgeted"), _("Disbursed"), _("Spent"),
                                   _("Remaining"), _("Not disbursed")],
                          "rows": [[funder(r["funder"]), _money(r["budgeted"], language),
                                    _money(r["disbursed"], language),
                                    _money(r["spent"], language),
                                    _money(r["remaining"], language),
                                    _money(r["undisbursed"], language)] for r in closure]},
                "paragraphs": ([Markup(_("Justification: %(text)s")) % {
                    "text": _typed(report.financial_justification)}]
                    if (report.financial_justification or "").strip() else [])})
        sections.append({"title": _("Lessons learned"),
                         "paragraphs": _paragraphs(report.lessons)})
        sections.append({
            "title": _("Minutes of the joint monitoring committee"),
            "paragraphs": [Markup(_("Meeting of %(date)s")) % {
                "date": _day(report.committee_date, language)},
                Markup(_("Attendees: %(names)s")) % {
                    "names": _typed(report.committee_attendees)},
                *_paragraphs(report.committee_decisions)]})
        validated = [r for r in reports_of(project) if r.status == "validated"]
        sections.append({
            "title": _("Monitoring reports"),
            "table": {"head": [_("Period"), _("Validated on")],
                      "rows": [[Markup("{} – {}").format(_day(r.period_start, language),
                                                         _day(r.period_end, language)),
                                _day(r.validated_at, language)] for r in validated]},
            "paragraphs": [] if validated else [_("No validated monitoring report.")]})
        return sections


def evaluation_sections(project: Any, language: str) -> list[dict]:
    with force_locale(language):
        parties, rows = consolidated(project)
        entries = entries_of(project)
        sections = [{
            "title": _("Scores of the three parties (1 to 4)"),
            "table": {"head": [_("Criterion"), *(party_label(p) for p in parties),
                               _("Average")],
                      "rows": [[str(CRITERION_LABELS[row.criterion]),
                                *(_number(row.scores[p], language) for p in parties),
                                _number(row.average, language)] for row in rows]}}]
        for party in parties:
            entry = entries.get(party)
            if entry is None:
                continue
            sections.append({
                "title": _("Evaluation by: %(party)s", party=party_label(party)),
                "table": {"head": [_("Criterion"), _("Score"), _("Justification")],
                          "rows": [[str(CRITERION_LABELS[s.criterion]),
                                    _number(s.score, language), typed_block(s.justification)]
                                   for s in entry.scores]},
                "paragraphs": [Markup(_("Lessons: %(text)s")) % {"text": _typed(entry.lessons)},
                               Markup(_("Recommendations: %(text)s")) % {
                                   "text": _typed(entry.recommendations)}]})
        evaluation = evaluation_of(project)
        if evaluation is not None:
            sections.append({
                "title": _("Participation of women and youth"),
                "table": {"head": [_("Women who took part"), _("Young people who took part")],
                          "rows": [[_number(evaluation.women_participants, language),
                                    _number(evaluation.youth_participants, language)]]},
                "paragraphs": _paragraphs(evaluation.participation_notes)})
        return sections
