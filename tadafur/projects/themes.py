"""The programme's themes (seeded, corrected by administrators): every project is tagged
with some."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from tadafur.audit.services import changes, record
from tadafur.extensions import db
from tadafur.projects.errors import ProjectError
from tadafur.projects.labels import THEMES
from tadafur.projects.models import Theme


def seed_themes() -> int:
    """Add the programme's themes when missing (idempotent); return how many were added."""
    existing = set(db.session.scalars(select(Theme.code)))
    added = 0
    for code, name_ar, name_fr, name_en in THEMES:
        if code not in existing:
            db.session.add(Theme(code=code, name_ar=name_ar, name_fr=name_fr, name_en=name_en,
                                 active=True))
            added += 1
    db.session.flush()
    return added


THEME_FIELDS = ("code", "name_ar", "name_fr", "name_en", "active")


def save_theme(theme: Theme | None, values: dict) -> Theme:
    """Create or correct a theme (administrators); audited with before and after."""
    code = values["code"]
    clash = db.session.scalar(select(Theme.id).where(Theme.code == code))
    if clash is not None and (theme is None or clash != theme.id):
        raise ProjectError(_("Another theme already has this code."), "code")
    before = {} if theme is None else {k: getattr(theme, k) for k in THEME_FIELDS}
    if theme is None:
        theme = Theme()
        db.session.add(theme)
    for key in THEME_FIELDS:
        setattr(theme, key, values[key])
    db.session.flush()
    old, new = changes(before, {k: getattr(theme, k) for k in THEME_FIELDS})
    if new:
        record("theme.created" if not before else "theme.updated", obj=theme,
               summary=theme.name_fr, before=old or None, after=new)
    return theme
