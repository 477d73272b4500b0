"""The projects' label tables (themes, funders, budget categories, indicator levels, field and
activity-status names): read by the project pages and by every feature above them
(execution, reporting, amendments). Translated when read (lazy gettext).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tadafur.projects.models import Funder

THEMES = [
    ("youth_participation", "مشاركة الشباب", "Participation des jeunes", "Youth participation"),
    ("women_participation", "مشاركة النساء", "Participation des femmes",
     "Women's participation"),
    ("dialogue_spaces", "فضاءات الحوار", "Espaces de dialogue", "Dialogue spaces"),
    ("digital_participation", "المشاركة الرقمية", "Participation numérique",
     "Digital participation"),
    ("environment", "البيئة", "Environnement", "Environment"),
    ("culture", "الثقافة", "Culture", "Culture"),
    ("social_inclusion", "الإدماج الاجتماعي", "Inclusion sociale", "Social inclusion"),
]


FUNDER_LABELS = {
    Funder.COMMUNE: _l("Commune"),
    Funder.ASSOCIATION: _l("Association"),
    Funder.PROGRAMME: _l("Programme grant"),
    Funder.OTHER: _l("Other"),
}


BUDGET_CATEGORIES = {
    "staff": _l("Staff"),
    "equipment": _l("Equipment"),
    "events": _l("Events and meetings"),
    "training": _l("Training"),
    "communication": _l("Communication"),
    "transport": _l("Transport"),
    "works": _l("Small works"),
    "other": _l("Other"),
}


INDICATOR_LEVELS = {"output": _l("Output"), "outcome": _l("Outcome")}


# The proposal's own fields (what the edit form changes), in display order.
PROJECT_FIELDS = (
    "title_ar", "title_fr", "summary", "objectives", "target_groups", "place",
    "start_date", "end_date", "beneficiaries_women", "beneficiaries_men",
    "beneficiaries_youth", "lead_association_id", "partner_ids", "theme_ids",
)


FIELD_LABELS = {
    "title_ar": _l("Title in Arabic"),
    "title_fr": _l("Title in French"),
    "summary": _l("Summary"),
    "objectives": _l("Objectives"),
    "target_groups": _l("Target groups"),
    "place": _l("Place"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "beneficiaries_women": _l("Women beneficiaries"),
    "beneficiaries_men": _l("Men beneficiaries"),
    "beneficiaries_youth": _l("Young beneficiaries (15 to 34)"),
    "lead_association_id": _l("Lead association"),
    "partner_ids": _l("Partner associations"),
    "theme_ids": _l("Themes"),
    "commune_id": _l("Commune"),
}


ACTIVITY_STATUSES = {"planned": _l("Planned"), "done": _l("Done"), "closed": _l("Closed")}
