"""Reference data and organisations: seeding, editing, CSV import, choices for forms.

Every change is audited with its before and after values inside the caller's transaction.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from tadafur.audit.services import changes, record
from tadafur.errors import TadafurError
from tadafur.extensions import db
from tadafur.organisations.models import (
    COMMUNE_KINDS,
    Association,
    Commune,
    Institution,
    Province,
    Region,
)

INSTITUTIONS = [
    ("enabel", "الوكالة البلجيكية للتنمية \"إينابيل\"", "Enabel, agence belge de développement",
     "Enabel, Belgian development agency"),
    ("dgct", "المديرية العامة للجماعات الترابية، وزارة الداخلية",
     "Direction Générale des Collectivités Territoriales, Ministère de l'Intérieur",
     "General Directorate of Territorial Collectivities, Ministry of the Interior"),
    ("mrcs", "مديرية العلاقات مع المجتمع المدني", "Direction des relations avec la société civile",
     "Directorate of Relations with Civil Society"),
    ("eu", "بعثة الاتحاد الأوروبي بالمغرب", "Délégation de l'Union européenne au Maroc",
     "European Union Delegation to Morocco"),
]
COMMUNE_FIELDS = ("name_ar", "name_fr", "name_en", "kind", "is_partner", "official_code",
                  "province_id")


class ReferenceDataError(TadafurError):
    """A refusal with a translated message, and the field it concerns."""


# ---------------------------------------------------------------- seeding

def seed_reference_data() -> dict[str, int]:
    """Load regions, provinces, communes and institutions when the tables are empty.

    Idempotent: a second run adds nothing. Returns what was added.
    """
    added = {"regions": 0, "provinces": 0, "communes": 0, "institutions": 0}
    if not db.session.scalar(select(func.count()).select_from(Region)):
        data = json.loads(
            resources.files("tadafur.data").joinpath("admin_divisions.json").read_text("utf-8")
        )
        for item in data["regions"]:
            region = Region(code=item["code"], in_programme=item["in_programme"],
                            **_names(item["name"]))
            db.session.add(region)
            added["regions"] += 1
            for province_item in item["provinces"]:
                province = Province(region=region, kind=province_item["kind"],
                                    **_names(province_item["name"]))
                db.session.add(province)
                added["provinces"] += 1
                seen: set[str] = set()
                for commune_item in province_item["communes"]:
                    if commune_item["name"]["fr"] in seen:
                        continue
                    seen.add(commune_item["name"]["fr"])
                    db.session.add(Commune(province=province, kind=commune_item["kind"],
                                           is_partner=commune_item["partner"],
                                           **_names(commune_item["name"])))
                    added["communes"] += 1
    existing = set(db.session.scalars(select(Institution.code)))
    for code, name_ar, name_fr, name_en in INSTITUTIONS:
        if code not in existing:
            db.session.add(Institution(code=code, name_ar=name_ar, name_fr=name_fr,
                                       name_en=name_en))
            added["institutions"] += 1
    db.session.flush()
    if any(added.values()):
        record("reference.seeded", object_type="reference", summary="reference data loaded",
               after=added, actor_name="system")
    return added


def _names(values: dict) -> dict:
    return {f"name_{lang}": values[lang] for lang in ("ar", "fr", "en")}


# ---------------------------------------------------------------- choices and queries

def organisation_choices() -> list[tuple[str, str]]:
    """Partner communes, associations and institutions as `kind:id` choices for forms."""
    choices = [(f"institution:{i.id}", i.name)
               for i in db.session.scalars(select(Institution).order_by(Institution.code))]
    choices += [(f"commune:{c.id}", c.name) for c in db.session.scalars(
        select(Commune).where(Commune.is_partner).order_by(Commune.name_fr))]
    choices += [(f"association:{a.id}", a.name)
                for a in db.session.scalars(select(Association).order_by(Association.name_fr))]
    return choices


def programme_regions() -> list[Region]:
    return list(db.session.scalars(
        select(Region).where(Region.in_programme).order_by(Region.name_fr)))


def provinces_of(region_id: int | None) -> list[Province]:
    statement = select(Province).order_by(Province.name_fr)
    if region_id:
        statement = statement.where(Province.region_id == region_id)
    return list(db.session.scalars(statement))


@dataclass
class CommuneFilter:
    text: str = ""
    region_id: int | None = None
    province_id: int | None = None
    partner_only: bool = False


def search_communes(criteria: CommuneFilter, limit: int = 50, after_name: str | None = None,
                    after_id: int | None = None) -> list[Commune]:
    """Communes matching the filter, ordered by French name then id, keyset-paginated."""
    statement = (select(Commune).join(Province).options(joinedload(Commune.province)
                                                        .joinedload(Province.region))
                 .order_by(Commune.name_fr, Commune.id).limit(limit))
    if criteria.text:
        pattern = f"%{criteria.text.lower()}%"
        statement = statement.where(func.lower(Commune.name_fr).like(pattern)
                                    | Commune.name_ar.like(f"%{criteria.text}%")
                                    | func.lower(Commune.name_en).like(pattern))
    if criteria.region_id:
        statement = statement.where(Province.region_id == criteria.region_id)
    if criteria.province_id:
        statement = statement.where(Commune.province_id == criteria.province_id)
    if criteria.partner_only:
        statement = statement.where(Commune.is_partner)
    if after_name is not None and after_id is not None:
        statement = statement.where((Commune.name_fr > after_name)
                                    | ((Commune.name_fr == after_name) & (Commune.id > after_id)))
    return list(db.session.scalars(statement))


# ---------------------------------------------------------------- communes

def _commune_values(commune: Commune) -> dict:
    return {name: getattr(commune, name) for name in COMMUNE_FIELDS}


def _check_commune(values: dict, exclude_id: int | None = None) -> None:
    for name in ("name_ar", "name_fr", "name_en"):
        if not (values.get(name) or "").strip():
            raise ReferenceDataError(_("This field is required."), field=name)
        if len(values[name]) > 200:
            raise ReferenceDataError(_("At most %(max)d characters.", max=200), field=name)
    if values.get("kind") not in COMMUNE_KINDS:
        raise ReferenceDataError(_("Choose urban or rural."), field="kind")
    if db.session.get(Province, values.get("province_id") or 0) is None:
        raise ReferenceDataError(_("Choose a province or prefecture."), field="province_id")
    code = values.get("official_code") or None
    if code is not None:
        if len(code) > 20:
            raise ReferenceDataError(_("At most %(max)d characters.", max=20),
                                  field="official_code")
        clash = db.session.scalar(select(Commune.id).where(Commune.official_code == code))
        if clash and clash != exclude_id:
            raise ReferenceDataError(_("Another commune already has this official code."),
                                  field="official_code")
    clash = db.session.scalar(select(Commune.id).where(
        Commune.province_id == values["province_id"], Commune.name_fr == values["name_fr"]))
    if clash and clash != exclude_id:
        raise ReferenceDataError(_("This province already has a commune with this name."),
                              field="name_fr")


def create_commune(values: dict) -> Commune:
    values = {**values, "official_code": values.get("official_code") or None}
    _check_commune(values)
    commune = Commune(**{k: values[k] for k in COMMUNE_FIELDS if k in values})
    db.session.add(commune)
    db.session.flush()
    record("commune.created", obj=commune, commune_id=commune.id,
           summary=f"commune {commune.name_fr} added", after=_commune_values(commune))
    return commune


def update_commune(commune: Commune, values: dict) -> None:
    values = {**_commune_values(commune), **values,
              "official_code": values.get("official_code") or None}
    _check_commune(values, exclude_id=commune.id)
    before = _commune_values(commune)
    for name in COMMUNE_FIELDS:
        setattr(commune, name, values[name])
    db.session.flush()
    old, new = changes(before, _commune_values(commune))
    if new:
        record("commune.updated", obj=commune, commune_id=commune.id,
               summary=f"commune {commune.name_fr} corrected", before=old, after=new)


# ---------------------------------------------------------------- CSV import

CSV_COLUMNS = ("region_code", "province_fr", "name_ar", "name_fr", "name_en", "kind",
               "partner", "official_code")
TRUE_WORDS = {"1", "yes", "true", "oui", "نعم", "y"}
FALSE_WORDS = {"0", "no", "false", "non", "لا", "n", ""}


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class CommuneImportError(Exception):
    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__("; ".join(f"line {line}: {reason}" for line, reason in errors))
        self.errors = errors


def import_communes_csv(text: str) -> ImportReport:
    """Create or correct communes from CSV text (header: CSV_COLUMNS).

    All rows are checked first; if any is wrong, nothing is written and every bad line is
    reported with its number and reason. A row matches an existing commune by official code,
    else by province and French name.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CommuneImportError([(1, f"missing columns: {', '.join(missing)}")])
    provinces = {(p.region.code, p.name_fr.casefold()): p for p in db.session.scalars(
        select(Province).options(joinedload(Province.region)))}
    planned: list[tuple[Commune | None, dict]] = []
    errors: list[tuple[int, str]] = []
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[int, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            errors.append((line, "too many fields"))
            continue
        values = {k: (row.get(k) or "").strip() for k in CSV_COLUMNS}
        province = provinces.get((values["region_code"].upper(), values["province_fr"].casefold()))
        if province is None:
            errors.append((line, f"unknown province {values['province_fr']!r} in region "
                                 f"{values['region_code']!r}"))
            continue
        partner = values["partner"].lower()
        if partner not in TRUE_WORDS | FALSE_WORDS:
            errors.append((line, f"partner must be yes or no, not {values['partner']!r}"))
            continue
        data = {"name_ar": values["name_ar"], "name_fr": values["name_fr"],
                "name_en": values["name_en"] or values["name_fr"], "kind": values["kind"].lower(),
                "is_partner": partner in TRUE_WORDS,
                "official_code": values["official_code"] or None, "province_id": province.id}
        code = data["official_code"]
        existing = None
        if code:
            existing = db.session.scalar(select(Commune).where(Commune.official_code == code))
        if existing is None:
            existing = db.session.scalar(select(Commune).where(
                Commune.province_id == province.id, Commune.name_fr == data["name_fr"]))
        try:
            _check_commune(data, exclude_id=existing.id if existing else None)
        except ReferenceDataError as error:
            errors.append((line, f"{error.field}: {error.message}"))
            continue
        if code and code in seen_codes:
            errors.append((line, f"official code {code} repeats line {seen_codes[code]}"))
            continue
        key = (province.id, data["name_fr"])
        if key in seen_names:
            errors.append((line, f"commune repeats line {seen_names[key]}"))
            continue
        if code:
            seen_codes[code] = line
        seen_names[key] = line
        planned.append((existing, data))
    if errors:
        raise CommuneImportError(errors)
    report = ImportReport()
    for existing, data in planned:
        if existing is None:
            create_commune(data)
            report.created += 1
        else:
            update_commune(existing, data)
            report.updated += 1
    return report


# ---------------------------------------------------------------- associations

ASSOCIATION_FIELDS = ("name_ar", "name_fr", "receipt_number", "founded_on", "commune_id",
                      "contact_name", "contact_phone", "contact_email")


def _association_values(association: Association) -> dict:
    return {name: getattr(association, name) for name in ASSOCIATION_FIELDS}


def _check_association(values: dict, exclude_id: int | None = None) -> None:
    if db.session.get(Commune, values.get("commune_id") or 0) is None:
        raise ReferenceDataError(_("Choose a commune."), field="commune_id")
    clash = db.session.scalar(select(Association.id).where(
        Association.receipt_number == values["receipt_number"]))
    if clash and clash != exclude_id:
        raise ReferenceDataError(_("Another association has this receipt number."),
                              field="receipt_number")


def save_association(association: Association | None, values: dict) -> Association:
    """Create (association None) or correct an association, audited."""
    _check_association(values, exclude_id=association.id if association else None)
    if association is None:
        association = Association(**values)
        db.session.add(association)
        db.session.flush()
        record("association.created", obj=association, commune_id=association.commune_id,
               summary=f"association {association.name_fr} added",
               after=_association_values(association))
        return association
    before = _association_values(association)
    for name, value in values.items():
        setattr(association, name, value)
    db.session.flush()
    old, new = changes(before, _association_values(association))
    if new:
        record("association.updated", obj=association, commune_id=association.commune_id,
               summary=f"association {association.name_fr} corrected", before=old, after=new)
    return association
