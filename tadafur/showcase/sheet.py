"""The one-page project sheet (fiche projet) of a published project, in Arabic, French or
both side by side: registered in the document registry (code, hash, QR code), sealed with
the platform's PAdES seal like the conventions and reports (anyone holding a copy, far from
the site, can check it was issued by the platform and not altered), and verifiable on
/verify like every document the platform issues. The registered bytes are the sealed bytes.

Made when first asked for and again whenever what it shows has changed since the last one
(`changed_at`); otherwise the registered copy is served, so every download of the same
content is the same verifiable file. It names institutions only, never a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tadafur.documents import services as documents
from tadafur.documents.models import RegisteredDocument
from tadafur.documents.queries import RENDERERS
from tadafur.execution.models import IndicatorValue
from tadafur.extensions import db
from tadafur.projects.models import Project
from tadafur.showcase.models import Lesson
from tadafur.showcase.public import project_page

SHEET = "project_sheet"
LANGUAGES = ("ar", "fr", "bilingual")
LESSONS_ON_SHEET = 3


def changed_at(project: Project) -> dt.datetime:
    """The last change of what the sheet shows (the project, its values, its lessons)."""
    row = db.session.execute(select(
        select(func.max(IndicatorValue.created_at))
        .where(IndicatorValue.project_id == project.id).scalar_subquery(),
        select(func.max(Lesson.updated_at))
        .where(Lesson.project_id == project.id).scalar_subquery())).one()
    return max([project.updated_at, *(value for value in row if value is not None)])


def latest_sheet(project: Project, language: str) -> RegisteredDocument | None:
    return db.session.scalar(
        select(RegisteredDocument)
        .where(RegisteredDocument.project_id == project.id, RegisteredDocument.kind == SHEET,
               RegisteredDocument.language == language)
        .order_by(RegisteredDocument.version.desc()).limit(1))


def _current(project: Project, document: RegisteredDocument | None) -> bool:
    """Whether `document` can still be served: made after the last change of what it shows,
    and sealed (sheets registered before the sheet was sealed are replaced on first ask)."""
    return (document is not None and document.sealed
            and document.created_at >= changed_at(project))


def sheet_for(project: Project, language: str) -> RegisteredDocument:
    """The current sheet in `language`, produced (sealed and registered) when missing or
    stale. Flushes; the caller commits."""
    current = latest_sheet(project, language)
    if _current(project, current):
        return current
    for _attempt in range(3):
        try:
            with db.session.begin_nested():
                return documents.produce(project, SHEET, None, language, sealed=True)
        except IntegrityError:  # another request produced the same version at once
            current = latest_sheet(project, language)
            if _current(project, current):
                return current
    raise documents.DocumentError("project sheet: version conflict")


def _part(project: Project, language: str, page: dict, compact: bool) -> Markup:
    env = current_app.jinja_env
    macro = env.get_template("showcase/_sheet_part.html").module.part
    with force_locale(language):
        return Markup(macro(project=project, lang=language, page=page, compact=compact,
                            lessons_shown=LESSONS_ON_SHEET))


def render_html(project: Project, document: RegisteredDocument, common: dict) -> str:
    """documents.RENDERERS[SHEET]."""


    languages = ("fr", "ar") if document.language == "bilingual" else (document.language,)
    parts = {}
    for language in languages:
        with force_locale(language):
            page = project_page(project)
        parts[language] = _part(project, language, page, len(languages) > 1)
    lang = "fr" if document.language == "bilingual" else document.language
    with force_locale(lang):
        return render_template("showcase/sheet.html", **{**common, "lang": lang},
                               parts=parts, bilingual=len(languages) > 1)


def register() -> Any:
    """Called by `tadafur.showcase.hooks` at start-up."""

    RENDERERS[SHEET] = render_html
