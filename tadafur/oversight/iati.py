"""The IATI activity file (standard version 2.03) of the programme's published projects.

IATI is how development funders publish what they fund; the EU and Enabel report there. The
file lists only projects whose publication was approved (as the open-data page does) and,
like it, names institutions only: no person, e-mail or phone ever goes out.

Each project is one `iati-activity`, its children in the order the 2.03 schema's sequence
requires (a consumer validating against the XSD refuses any other order):
identifier, reporting-org, title, description, participating-org (funding EU, accountable
Ministry of the Interior, extending Enabel, implementing commune and associations),
activity-status, activity-date, activity-scope, recipient-country, location, sector 15150
(democratic participation and civil society), the default flow/finance/aid/tied types,
budget (split into periods of at most one year, as the standard's rules ask), transactions
(the programme's commitment when the convention is signed, then each programme tranche paid)
and results (each indicator with its baseline, target and achieved value, by sex and age).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from xml.etree import ElementTree as ET

from flask import current_app
from sqlalchemy import select

from tadafur.execution.models import Tranche
from tadafur.execution.services import indicator_results
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune
from tadafur.oversight.services import _phase
from tadafur.projects.models import Funder, Project
from tadafur.workflow.models import TransitionRecord

VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SECTOR_DEMOCRATIC_PARTICIPATION = "15150"
CURRENCY = "MAD"
CENT = Decimal("0.01")
PRE_EXECUTION_STATES = frozenset({"draft", "submitted", "selection", "council_deliberation",
                                  "governor_visa", "decision", "convention_signature",
                                  "rejected"})

# ActivityStatus codelist: 1 pipeline, 2 implementation, 3 finalisation, 4 closed,
# 5 cancelled, 6 suspended.
STATUS_BY_STATE = {"in_execution": "2", "suspended": "6", "terminated": "5", "rejected": "5",
                   "closed": "4"}
STATUS_BY_PHASE = {"proposal": "1", "approval": "1", "execution": "2", "follow_up": "3",
                   "evaluation": "3"}
# OrganisationType codelist: 11 local government, 24 partner-country-based NGO.
LOCAL_GOVERNMENT, PARTNER_COUNTRY_NGO = "11", "24"
# OrganisationRole codelist.
FUNDING, ACCOUNTABLE, EXTENDING, IMPLEMENTING = "1", "2", "3", "4"


@dataclass(frozen=True)
class Organisation:
    ref: str
    type: str
    name: str


def _setting_org(prefix: str) -> Organisation:
    config = current_app.config
    return Organisation(config[f"IATI_{prefix}_REF"], config[f"IATI_{prefix}_TYPE"],
                        config[f"IATI_{prefix}_NAME"])


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, ROUND_HALF_UP))


def _child(parent: ET.Element, tag: str, text: str | None = None, **attributes) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attributes.items()
                                          if v is not None})
    if text is not None:
        element.text = text
    return element


def _narratives(parent: ET.Element, tag: str, texts: dict[str, str], **attributes) -> None:
    """`tag` holding one narrative per language; French is the activity's default language."""
    element = _child(parent, tag, **attributes)
    for language, text in texts.items():
        if not text:
            continue
        narrative = _child(element, "narrative", text)
        if language != "fr":
            narrative.set(XML_LANG, language)


def _org(parent: ET.Element, tag: str, org: Organisation, **attributes) -> None:
    element = _child(parent, tag, ref=org.ref or None, type=org.type, **attributes)
    _child(element, "narrative", org.name)


def _status(project: Project, phase: str) -> str:
    return STATUS_BY_STATE.get(project.state) or STATUS_BY_PHASE.get(phase, "1")


def budget_periods(start: dt.date, end: dt.date, total: Decimal
                   ) -> list[tuple[dt.date, dt.date, Decimal]]:
    """The budget cut into consecutive periods of at most a year, shared pro rata to days.

    The last period takes the rounding remainder so the periods always add up to the total.
    """
    periods: list[tuple[dt.date, dt.date]] = []
    cursor = start
    while cursor <= end:
        try:
            anniversary = cursor.replace(year=cursor.year + 1)
        except ValueError:  # 29 February
            anniversary = cursor.replace(year=cursor.year + 1, day=28)
        period_end = min(end, anniversary - dt.timedelta(days=1))
        periods.append((cursor, period_end))
        cursor = period_end + dt.timedelta(days=1)
    days = (end - start).days + 1
    shares, allotted = [], Decimal("0")
    for index, (first, last) in enumerate(periods):
        if index == len(periods) - 1:
            amount = total - allotted
        else:
            amount = (total * ((last - first).days + 1) / days).quantize(CENT, ROUND_HALF_UP)
            allotted += amount
        shares.append((first, last, amount))
    return shares


def _entered(project_ids: list[int]) -> dict[int, dict[str, dt.date]]:
    """{project id: {state: first day it was entered}}, in one query."""
    found: dict[int, dict[str, dt.date]] = {}
    if not project_ids:
        return found
    rows = db.session.execute(
        select(TransitionRecord.project_id, TransitionRecord.to_state, TransitionRecord.at)
        .where(TransitionRecord.project_id.in_(project_ids))
        .order_by(TransitionRecord.project_id, TransitionRecord.seq))
    for project_id, state, at in rows:
        found.setdefault(project_id, {}).setdefault(state, at.date())
    return found


def _published() -> list[Project]:
    return list(db.session.scalars(
        select(Project).where(Project.publication_approved)
        .options(db.joinedload(Project.commune).joinedload(Commune.province),
                 db.joinedload(Project.lead_association), db.selectinload(Project.partners),
                 db.selectinload(Project.budget_lines), db.selectinload(Project.indicators))
        .order_by(Project.reference)).unique())


def activities_xml(now: dt.datetime | None = None) -> bytes:
    """The whole `iati-activities` file as UTF-8 bytes, with an XML declaration."""
    now = now or utcnow()
    stamp = now.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    root = ET.Element("iati-activities", {"version": VERSION, "generated-datetime": stamp})
    projects = _published()
    entered = _entered([p.id for p in projects])
    extras = _execution_facts(projects)
    for project in projects:
        _activity(root, project, _phase(project.state), entered.get(project.id, {}),
                  extras.get(project.id), stamp)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _execution_facts(projects: list[Project]) -> dict[int, dict]:
    """{project id: {"disbursements": [(date, amount)], "achieved": {indicator id:
    {"total": n, "groups": [({"sex": "female", "age": "15-34"}, n), ...]}}}}.

    Disbursements: the programme's paid tranches (the reporting organisation's money), in one
    query. Achieved values: the execution module's own rule (cumulative or latest), per
    project that has reached execution (a project before it has measured nothing).
    """
    facts: dict[int, dict] = {p.id: {"disbursements": [], "achieved": {}} for p in projects}
    if not projects:
        return facts
    paid = db.session.execute(
        select(Tranche.project_id, Tranche.paid_on, Tranche.amount)
        .where(Tranche.project_id.in_(list(facts)), Tranche.funder == Funder.PROGRAMME.value,
               Tranche.paid_on.is_not(None))
        .order_by(Tranche.project_id, Tranche.paid_on, Tranche.id))
    for project_id, paid_on, amount in paid:
        facts[project_id]["disbursements"].append((paid_on, amount))
    for project in projects:
        if not project.indicators or project.state in PRE_EXECUTION_STATES:
            continue
        for result in indicator_results(project):
            if result.achieved is None:
                continue
            groups = []
            cells = result.achieved_breakdown
            if cells is not None and cells.disaggregated:
                for sex, age, value in (("female", "15-34", cells.women_youth),
                                        ("female", "35+", cells.women_adult),
                                        ("male", "15-34", cells.men_youth),
                                        ("male", "35+", cells.men_adult)):
                    if value is not None:
                        groups.append(({"sex": sex, "age": age}, value))
            facts[project.id]["achieved"][result.indicator_id] = {
                "total": result.achieved, "groups": groups}
    return facts


def _activity(root: ET.Element, project: Project, phase: str, entered: dict[str, dt.date],
              extras: dict | None, stamp: str) -> None:
    reporting = _setting_org("REPORTING_ORG")
    activity = _child(root, "iati-activity", last_updated_datetime=stamp,
                      default_currency=CURRENCY, humanitarian="0")
    activity.set(XML_LANG, "fr")
    identifier = f"{reporting.ref}-{project.reference}"
    _child(activity, "iati-identifier", identifier)
    _org(activity, "reporting-org", reporting)
    _narratives(activity, "title", {"fr": project.title_fr, "ar": project.title_ar})
    _narratives(activity, "description", {"fr": project.summary or project.title_fr
                                          or project.title_ar}, type="1")
    if project.objectives:
        _narratives(activity, "description", {"fr": project.objectives}, type="2")
    if project.target_groups:
        _narratives(activity, "description", {"fr": project.target_groups}, type="3")

    _org(activity, "participating-org", _setting_org("FUNDING_ORG"), role=FUNDING)
    _org(activity, "participating-org", _setting_org("ACCOUNTABLE_ORG"), role=ACCOUNTABLE)
    _org(activity, "participating-org", reporting, role=EXTENDING)
    _child(_child(activity, "participating-org", role=IMPLEMENTING, type=LOCAL_GOVERNMENT),
           "narrative", project.commune.name_fr or project.commune.name_ar)
    for association in [project.lead_association, *project.partners]:
        _child(_child(activity, "participating-org", role=IMPLEMENTING,
                      type=PARTNER_COUNTRY_NGO),
               "narrative", association.name_fr or association.name_ar)

    _child(activity, "activity-status", code=_status(project, phase))
    _dates(activity, project, entered)
    _child(activity, "activity-scope", code="8")  # a single location: the commune
    _child(activity, "recipient-country", code="MA", percentage="100")
    location = _child(activity, "location")
    _narratives(location, "name", {"fr": project.commune.name_fr, "ar": project.commune.name_ar})
    _child(activity, "sector", code=SECTOR_DEMOCRATIC_PARTICIPATION, vocabulary="1",
           percentage="100")
    _child(activity, "collaboration-type", code="1")  # bilateral
    _child(activity, "default-flow-type", code="10")  # ODA
    _child(activity, "default-finance-type", code="110")  # standard grant
    _child(activity, "default-aid-type", code="C01", vocabulary="1")  # project-type
    _child(activity, "default-tied-status", code="5")  # untied

    signed = entered.get("in_execution")
    total = project.total()
    if project.start_date and project.end_date and total > 0:
        for first, last, amount in budget_periods(project.start_date, project.end_date, total):
            budget = _child(activity, "budget", type="1", status="2" if signed else "1")
            _child(budget, "period-start", iso_date=first.isoformat())
            _child(budget, "period-end", iso_date=last.isoformat())
            _child(budget, "value", _money(amount), currency=CURRENCY,
                   value_date=first.isoformat())

    grant = project.total(Funder.PROGRAMME)
    lead = project.lead_association.name_fr or project.lead_association.name_ar
    if signed and grant > 0:
        _transaction(activity, "2", signed, grant, reporting, lead)
    for paid_on, amount in (extras or {}).get("disbursements", []):
        _transaction(activity, "3", paid_on, amount, reporting, lead)
    _results(activity, project, (extras or {}).get("achieved", {}))


def _dates(activity: ET.Element, project: Project, entered: dict[str, dt.date]) -> None:
    # ActivityDateType: 1 planned start, 2 actual start, 3 planned end, 4 actual end.
    if project.start_date:
        _child(activity, "activity-date", iso_date=project.start_date.isoformat(), type="1")
    if "in_execution" in entered:
        _child(activity, "activity-date", iso_date=entered["in_execution"].isoformat(),
               type="2")
    if project.end_date:
        _child(activity, "activity-date", iso_date=project.end_date.isoformat(), type="3")
    ended = entered.get("closed") or entered.get("terminated")
    if ended:
        _child(activity, "activity-date", iso_date=ended.isoformat(), type="4")
    if not (project.start_date or "in_execution" in entered):
        # The schema needs one date at least; a project without dates has its creation.
        _child(activity, "activity-date", iso_date=project.created_at.date().isoformat(),
               type="1")


def _transaction(activity: ET.Element, kind: str, on: dt.date, amount: Decimal,
                 provider: Organisation, receiver: str) -> None:
    transaction = _child(activity, "transaction")
    _child(transaction, "transaction-type", code=kind)
    _child(transaction, "transaction-date", iso_date=on.isoformat())
    _child(transaction, "value", _money(amount), currency=CURRENCY, value_date=on.isoformat())
    _org(transaction, "provider-org", provider)
    _child(_child(transaction, "receiver-org", type=PARTNER_COUNTRY_NGO), "narrative", receiver)


def _results(activity: ET.Element, project: Project, achieved: dict[int, dict]) -> None:
    for indicator in project.indicators:
        result = _child(activity, "result", type="2" if indicator.level == "outcome" else "1",
                        aggregation_status="0")
        _narratives(result, "title", {"fr": indicator.name})
        element = _child(result, "indicator", measure="1", ascending="1")
        _narratives(element, "title", {"fr": f"{indicator.name} ({indicator.unit})"})
        if project.start_date:
            _child(element, "baseline", year=str(project.start_date.year),
                   iso_date=project.start_date.isoformat(), value=_number(indicator.baseline))
        if not (project.start_date and project.end_date):
            continue
        period = _child(element, "period")
        _child(period, "period-start", iso_date=project.start_date.isoformat())
        _child(period, "period-end", iso_date=project.end_date.isoformat())
        _child(period, "target", value=_number(indicator.target))
        value = achieved.get(indicator.id)
        if value is None:
            continue
        _child(period, "actual", value=_number(value["total"]))
        for dimensions, count in value.get("groups", []):
            actual = _child(period, "actual", value=_number(count))
            for name, dimension_value in dimensions.items():
                _child(actual, "dimension", name=name, value=dimension_value)


def _number(value: Decimal | int | float) -> str:
    number = Decimal(value)
    return str(number.quantize(Decimal(1)) if number == number.to_integral() else number)
