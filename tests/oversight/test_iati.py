"""The IATI activity file, checked against the structure of the IATI 2.03 activity schema.

The official XSD is not packaged for Python and the tests may not fetch it, so the rules it
states for the elements we publish are written down here: each element's children in the
schema's sequence order with their cardinality, the required attributes, and the codelist
values allowed. A checker walks the file against them; a test also proves the checker fails on
a file with elements out of order or a missing required attribute.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from xml.etree import ElementTree as ET

import pytest

from tadafur.extensions import db
from tadafur.oversight.iati import budget_periods
from tadafur.projects.models import Indicator
from tadafur.workflow.models import TransitionRecord
from tests.oversight.test_oversight import _project

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MANY = None  # maxOccurs unbounded

# element: [(child, minOccurs, maxOccurs)] in the schema's xsd:sequence order (IATI 2.03).
SEQUENCES: dict[str, list[tuple[str, int, int | None]]] = {
    "iati-activities": [("iati-activity", 0, MANY)],
    "iati-activity": [
        ("iati-identifier", 1, 1), ("reporting-org", 1, 1), ("title", 1, 1),
        ("description", 1, MANY), ("participating-org", 1, MANY), ("other-identifier", 0, MANY),
        ("activity-status", 1, 1), ("activity-date", 1, MANY), ("contact-info", 0, MANY),
        ("activity-scope", 0, 1), ("recipient-country", 0, MANY), ("recipient-region", 0, MANY),
        ("location", 0, MANY), ("sector", 0, MANY), ("tag", 0, MANY),
        ("country-budget-items", 0, 1), ("humanitarian-scope", 0, MANY),
        ("policy-marker", 0, MANY), ("collaboration-type", 0, 1), ("default-flow-type", 0, 1),
        ("default-finance-type", 0, 1), ("default-aid-type", 0, MANY),
        ("default-tied-status", 0, 1), ("budget", 0, MANY), ("planned-disbursement", 0, MANY),
        ("capital-spend", 0, 1), ("transaction", 0, MANY), ("document-link", 0, MANY),
        ("related-activity", 0, MANY), ("legacy-data", 0, MANY), ("conditions", 0, 1),
        ("result", 0, MANY), ("crs-add", 0, 1), ("fss", 0, 1)],
    "reporting-org": [("narrative", 1, MANY)],
    "title": [("narrative", 1, MANY)],
    "description": [("narrative", 1, MANY)],
    "participating-org": [("narrative", 0, MANY)],
    "location": [("location-reach", 0, 1), ("location-id", 0, MANY), ("name", 0, 1),
                 ("description", 0, 1), ("activity-description", 0, 1),
                 ("administrative", 0, MANY), ("point", 0, 1), ("exactness", 0, 1),
                 ("location-class", 0, 1), ("feature-designation", 0, 1)],
    "name": [("narrative", 1, MANY)],
    "budget": [("period-start", 1, 1), ("period-end", 1, 1), ("value", 1, 1)],
    "transaction": [("transaction-type", 1, 1), ("transaction-date", 1, 1), ("value", 1, 1),
                    ("description", 0, 1), ("provider-org", 0, 1), ("receiver-org", 0, 1),
                    ("disbursement-channel", 0, 1), ("sector", 0, MANY),
                    ("recipient-country", 0, 1), ("recipient-region", 0, 1),
                    ("flow-type", 0, 1), ("finance-type", 0, 1), ("aid-type", 0, MANY),
                    ("tied-status", 0, 1)],
    "provider-org": [("narrative", 0, MANY)],
    "receiver-org": [("narrative", 0, MANY)],
    "result": [("title", 1, 1), ("description", 0, 1), ("document-link", 0, MANY),
               ("reference", 0, MANY), ("indicator", 1, MANY)],
    "indicator": [("title", 1, 1), ("description", 0, 1), ("document-link", 0, MANY),
                  ("reference", 0, MANY), ("baseline", 0, MANY), ("period", 0, MANY)],
    "baseline": [("location", 0, MANY), ("dimension", 0, MANY), ("document-link", 0, MANY),
                 ("comment", 0, 1)],
    "period": [("period-start", 1, 1), ("period-end", 1, 1), ("target", 0, MANY),
               ("actual", 0, MANY)],
    "target": [("location", 0, MANY), ("dimension", 0, MANY), ("comment", 0, 1),
               ("document-link", 0, MANY)],
    "actual": [("location", 0, MANY), ("dimension", 0, MANY), ("comment", 0, 1),
               ("document-link", 0, MANY)],
}
REQUIRED_ATTRIBUTES = {
    "iati-activities": {"version"}, "reporting-org": {"ref", "type"},
    "participating-org": {"role"}, "activity-status": {"code"},
    "activity-date": {"iso-date", "type"}, "activity-scope": {"code"},
    "recipient-country": {"code"}, "sector": {"code"}, "collaboration-type": {"code"},
    "default-flow-type": {"code"}, "default-finance-type": {"code"},
    "default-aid-type": {"code"}, "default-tied-status": {"code"},
    "period-start": {"iso-date"}, "period-end": {"iso-date"}, "value": {"value-date"},
    "transaction-type": {"code"}, "transaction-date": {"iso-date"},
    "result": {"type"}, "indicator": {"measure"}, "baseline": {"value"},
    "dimension": {"name", "value"},
}
CODELISTS = {  # (element, attribute): the codes of the IATI codelist we may use
    ("activity-status", "code"): {"1", "2", "3", "4", "5", "6"},
    ("activity-date", "type"): {"1", "2", "3", "4"},
    ("participating-org", "role"): {"1", "2", "3", "4"},
    ("participating-org", "type"): {"10", "11", "15", "21", "22", "23", "24", "30", "40",
                                    "60", "70", "71", "72", "73", "80", "90"},
    ("transaction-type", "code"): {str(n) for n in range(1, 14)},
    ("budget", "type"): {"1", "2"}, ("budget", "status"): {"1", "2"},
    ("result", "type"): {"1", "2", "3", "9"}, ("indicator", "measure"): {"1", "2", "3", "4", "5"},
    ("activity-scope", "code"): {str(n) for n in range(1, 9)},
}
LEAF_ELEMENTS = {"iati-identifier", "narrative", "activity-status", "activity-date",
                 "activity-scope", "recipient-country", "sector", "collaboration-type",
                 "default-flow-type", "default-finance-type", "default-aid-type",
                 "default-tied-status", "period-start", "period-end", "value",
                 "transaction-type", "transaction-date", "dimension"}


def structure_errors(element: ET.Element, path: str = "") -> list[str]:
    """Every way `element` and its descendants break the rules above (empty when valid)."""
    path = f"{path}/{element.tag}"
    errors = [f"{path}: missing @{name}" for name in
              REQUIRED_ATTRIBUTES.get(element.tag, set()) - set(element.attrib)]
    for attribute, value in element.attrib.items():
        allowed = CODELISTS.get((element.tag, attribute))
        if allowed is not None and value not in allowed:
            errors.append(f"{path}/@{attribute}: {value!r} is not in its codelist")
    children = list(element)
    if element.tag in LEAF_ELEMENTS:
        if children:
            errors.append(f"{path}: unexpected children {[c.tag for c in children]}")
        return errors
    sequence = SEQUENCES.get(element.tag)
    if sequence is None:
        return [*errors, f"{path}: element not described"]
    position = 0
    for name, least, most in sequence:
        count = 0
        while position < len(children) and children[position].tag == name:
            count += 1
            position += 1
        if count < least:
            errors.append(f"{path}: needs at least {least} <{name}>, found {count}")
        if most is not None and count > most:
            errors.append(f"{path}: at most {most} <{name}>, found {count}")
    if position < len(children):
        errors.append(f"{path}: <{children[position].tag}> is out of the schema's order")
    for child in children:
        errors.extend(structure_errors(child, path))
    return errors


@pytest.fixture
def published(commune, association, other_commune, other_association, officer):
    running = _project(commune, association, "in_execution", published=True)
    running.start_date, running.end_date = dt.date(2026, 3, 1), dt.date(2027, 8, 31)
    running.summary = "Un espace de dialogue pour les jeunes."
    running.indicators = []  # the fixture's own indicator gives way
    db.session.flush()
    running.indicators = [Indicator(position=1, level="output", name="Jeunes formés",
                                    unit="personnes", baseline=Decimal(0),
                                    target=Decimal(120))]
    db.session.add(TransitionRecord(project_id=running.id, seq=1, trigger="sign_convention",
                                    from_state="convention_signature", to_state="in_execution",
                                    workflow_version=1, actor_id=officer.id,
                                    at=dt.datetime(2026, 3, 15, 10, 0)))
    hidden = _project(other_commune, other_association, "in_execution", published=False)
    db.session.flush()
    return running, hidden


def _activities(client) -> ET.Element:
    response = client.get("/open-data/iati-activities.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    return ET.fromstring(response.data)


def test_the_file_follows_the_iati_203_structure(client, published):
    root = _activities(client)
    assert root.tag == "iati-activities" and root.get("version") == "2.03"
    assert structure_errors(root) == []


def test_each_activity_carries_the_programme_facts(client, published):
    running, _hidden = published
    root = _activities(client)
    (activity,) = root.findall("iati-activity")
    reporting = activity.find("reporting-org").get("ref")
    assert activity.findtext("iati-identifier") == f"{reporting}-{running.reference}"
    assert activity.get("default-currency") == "MAD"
    assert activity.find("sector").attrib == {"code": "15150", "vocabulary": "1",
                                              "percentage": "100"}
    assert activity.find("activity-status").get("code") == "2"  # implementation
    roles = [(org.get("role"), org.findtext("narrative"))
             for org in activity.findall("participating-org")]
    assert ("4", running.commune.name_fr) in roles
    assert ("4", running.lead_association.name_fr) in roles
    assert {role for role, _name in roles} == {"1", "2", "3", "4"}
    titles = {n.get(XML_LANG, "fr"): n.text for n in activity.find("title")}
    assert titles == {"fr": running.title_fr, "ar": running.title_ar}
    # 18 months of budget become two periods of at most a year that add up to the total.
    budgets = activity.findall("budget")
    assert [(b.find("period-start").get("iso-date"), b.find("period-end").get("iso-date"))
            for b in budgets] == [("2026-03-01", "2027-02-28"), ("2027-03-01", "2027-08-31")]
    assert sum(Decimal(b.findtext("value")) for b in budgets) == running.total()
    assert {b.get("status") for b in budgets} == {"2"}  # committed: the convention is signed
    (commitment,) = activity.findall("transaction")
    assert commitment.find("transaction-type").get("code") == "2"
    assert commitment.find("transaction-date").get("iso-date") == "2026-03-15"
    assert Decimal(commitment.findtext("value")) == Decimal("60000.00")  # the programme grant
    (result,) = activity.findall("result")
    period = result.find("indicator/period")
    assert period.find("target").get("value") == "120"
    assert result.find("indicator/baseline").get("value") == "0"


def test_paid_programme_tranches_and_achieved_values_go_out(client, published):
    from tadafur.execution.models import IndicatorValue, Tranche

    running, _hidden = published
    indicator = running.indicators[0]
    db.session.add_all([
        Tranche(project_id=running.id, funder="programme", amount=Decimal("30000"),
                planned_on=dt.date(2026, 4, 1), paid_on=dt.date(2026, 4, 10)),
        Tranche(project_id=running.id, funder="programme", amount=Decimal("30000"),
                planned_on=dt.date(2027, 1, 1)),  # not paid yet: not a disbursement
        Tranche(project_id=running.id, funder="commune", amount=Decimal("15000"),
                planned_on=dt.date(2026, 4, 1), paid_on=dt.date(2026, 4, 2)),  # not Enabel's
        IndicatorValue(project_id=running.id, indicator_id=indicator.id,
                       period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 5, 31),
                       women_youth=Decimal(20), women_adult=Decimal(5), men_youth=Decimal(12),
                       men_adult=Decimal(3), total=Decimal(40)),
        IndicatorValue(project_id=running.id, indicator_id=indicator.id,
                       period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 8, 31),
                       women_youth=Decimal(10), women_adult=Decimal(0), men_youth=Decimal(8),
                       men_adult=Decimal(2), total=Decimal(20))])
    db.session.flush()
    root = _activities(client)
    assert structure_errors(root) == []
    activity = root.find("iati-activity")
    kinds = [(t.find("transaction-type").get("code"), t.find("transaction-date").get("iso-date"),
              t.findtext("value")) for t in activity.findall("transaction")]
    assert kinds == [("2", "2026-03-15", "60000.00"), ("3", "2026-04-10", "30000.00")]
    actuals = activity.findall("result/indicator/period/actual")
    assert actuals[0].get("value") == "60" and actuals[0].find("dimension") is None
    groups = {tuple(sorted((d.get("name"), d.get("value")) for d in a.findall("dimension"))):
              a.get("value") for a in actuals[1:]}
    assert groups[(("age", "15-34"), ("sex", "female"))] == "30"  # 20 + 10, an output adds up
    assert groups[(("age", "35+"), ("sex", "male"))] == "5"


def test_only_published_projects_and_no_personal_data(client, published, officer, agent):
    _running, hidden = published
    body = client.get("/open-data/iati-activities.xml").data.decode()
    assert hidden.reference not in body
    for person in (officer, agent):
        assert person.email not in body
        assert person.full_name not in body
    assert "+212" not in body


def test_the_checker_catches_order_and_attribute_mistakes(client, published):
    root = _activities(client)
    activity = root.find("iati-activity")
    status = activity.find("activity-status")
    activity.remove(status)
    activity.insert(0, status)  # before the identifier
    del activity.find("sector").attrib["code"]
    errors = structure_errors(root)
    assert any("out of the schema's order" in e or "needs at least" in e for e in errors)
    assert any("sector: missing @code" in e for e in errors)


def test_budget_periods_cut_at_one_year_and_add_up():
    periods = budget_periods(dt.date(2024, 2, 29), dt.date(2026, 6, 30), Decimal("1000.00"))
    assert periods[0][:2] == (dt.date(2024, 2, 29), dt.date(2025, 2, 27))
    assert all((last - first).days < 366 for first, last, _ in periods)
    assert sum(amount for *_dates, amount in periods) == Decimal("1000.00")
    assert periods[-1][1] == dt.date(2026, 6, 30)
