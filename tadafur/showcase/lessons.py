"""The lessons library: every lesson and recommendation of final reports and evaluations,
searchable in Arabic and French.

The `lesson` table is an index derived from `final_report.lessons` and the evaluation
entries' `lessons` and `recommendations`: an `after_flush` listener rebuilds a source's rows
whenever it is written, whoever writes it, so the reporting module does not need to know the
library exists. Each line of a text is one lesson.

Search works on `search_text`, a normalised copy: lower case, Latin accents and Arabic
diacritics removed, the Arabic letter variants unified (أ إ آ -> ا, ى -> ي, ة -> ه) and the
article and its clitics (ال، وال، بال...) cut from the front of Arabic words, so "الشباب"
finds "شباب" and "والشباب". SQLite matches it with FTS5 (prefix queries); PostgreSQL with
full-text search (the 'simple' configuration, prefix queries) and, for what that misses
(Arabic infixes and suffixes), a trigram-indexed substring match.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, event, func, insert, literal_column, or_, select, text
from sqlalchemy.orm import Session

from tadafur.access import sees_everything, visible_projects
from tadafur.core.filters import optional_id
from tadafur.extensions import db
from tadafur.models_base import utcnow
from tadafur.organisations.models import Commune, Province
from tadafur.projects.models import Project, project_theme
from tadafur.reporting.models import CRITERIA, EvaluationEntry, EvaluationScore, FinalReport
from tadafur.showcase.models import Lesson

PAGE_SIZE = 30
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه",
                                  "ؤ": "و", "ئ": "ي"})
_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")
_TOKEN = re.compile(r"[^\W_]+")
_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d+[.)])\s*")


def normalise(value: str) -> str:
    """The searchable form of a text (see the module's docstring)."""
    value = unicodedata.normalize("NFKD", value or "")
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    value = _DIACRITICS.sub("", unicodedata.normalize("NFC", value)).casefold()
    value = value.translate(_ARABIC_VARIANTS)
    return " ".join(_stem(token) for token in _TOKEN.findall(value))


def _stem(token: str) -> str:
    for prefix in _PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 2:
            return token[len(prefix):]
    return token


def split_lines(value: str | None) -> list[str]:
    """The lessons of a text: one per non-empty line, bullets and numbering removed."""
    lines = [_BULLET.sub("", line).strip() for line in (value or "").splitlines()]
    return [line for line in lines if line]


# ---------------------------------------------------------------- keeping the index

def _rows(source: str, obj: Any) -> list[dict]:
    texts = ([("lesson", obj.lessons)] if source == "final_report"
             else [("lesson", obj.lessons), ("recommendation", obj.recommendations)])
    party = "" if source == "final_report" else (obj.party or "")
    now = utcnow()
    return [{"project_id": obj.project_id, "source": source, "source_id": obj.id,
             "party": party, "kind": kind, "body": line, "search_text": normalise(line),
             "updated_at": now}
            for kind, value in texts for line in split_lines(value)]


def _sources(objects: Iterable[Any]) -> Iterable[tuple[str, Any]]:
    for obj in objects:
        if isinstance(obj, FinalReport):
            yield "final_report", obj
        elif isinstance(obj, EvaluationEntry):
            yield "evaluation", obj


@event.listens_for(Session, "after_flush")
def _reindex_flushed(session: Session, _context: Any) -> None:
    """Rebuild the lessons of every final report or evaluation entry this flush wrote."""
    changed = list(_sources(session.new)) + [
        pair for pair in _sources(session.dirty) if session.is_modified(pair[1])]
    removed = list(_sources(session.deleted))
    if not changed and not removed:
        return
    connection = session.connection()
    for source, obj in changed + removed:
        connection.execute(delete(Lesson).where(Lesson.source == source,
                                                Lesson.source_id == obj.id))
    rows = [row for source, obj in changed for row in _rows(source, obj)]
    if rows:
        connection.execute(insert(Lesson), rows)


def reindex_all() -> int:
    """Rebuild the whole index (after a bulk import or a restore); returns the row count."""
    db.session.execute(delete(Lesson))
    rows = [row for report in db.session.scalars(select(FinalReport))
            for row in _rows("final_report", report)]
    rows += [row for entry in db.session.scalars(select(EvaluationEntry))
             for row in _rows("evaluation", entry)]
    if rows:
        db.session.execute(insert(Lesson), rows)
    return len(rows)


# ---------------------------------------------------------------- searching

@dataclass
class LessonFilter:
    query: str = ""
    theme_id: int | None = None
    region_id: int | None = None
    phase: str = ""
    criterion: str = ""
    min_score: int | None = None
    kind: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args, phases: list[str]) -> LessonFilter:
        criteria = cls(query=(args.get("q") or "").strip()[:200])
        criteria.theme_id = optional_id(args, "theme", criteria.errors)
        criteria.region_id = optional_id(args, "region", criteria.errors)
        phase = args.get("phase") or ""
        if phase and phase not in phases:
            criteria.errors.append("phase")
        else:
            criteria.phase = phase
        criterion = args.get("criterion") or ""
        if criterion and criterion not in CRITERIA:
            criteria.errors.append("criterion")
        else:
            criteria.criterion = criterion
        score = args.get("min_score") or ""
        if score:
            if score in ("1", "2", "3", "4"):
                criteria.min_score = int(score)
            else:
                criteria.errors.append("min_score")
        kind = args.get("kind") or ""
        criteria.kind = kind if kind in ("lesson", "recommendation") else ""
        page = args.get("page") or "1"
        criteria.page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
        return criteria

    def as_args(self, **overrides: Any) -> dict[str, str]:
        values = {"q": self.query, "theme": self.theme_id, "region": self.region_id,
                  "phase": self.phase, "criterion": self.criterion,
                  "min_score": self.min_score, "kind": self.kind, "page": self.page}
        values.update(overrides)
        return {k: str(v) for k, v in values.items()
                if v not in (None, "") and not (k == "page" and v == 1)}


def _text_condition(query: str, dialect: str):
    """(condition, rank or None) for the words of `query`.

    SQLite: FTS5 prefix queries over the normalised text. PostgreSQL: every word must occur
    in the normalised text (a substring match the pg_trgm index answers, which also finds
    Arabic words inside longer ones: suffixes, attached pronouns); the full-text rank of the
    word-prefix query orders whole-word matches first."""
    tokens = normalise(query).split()[:8]
    if not tokens:
        return None, None
    if dialect == "sqlite":
        match = " ".join(f'"{token}"*' for token in tokens)
        return Lesson.id.in_(select(literal_column("rowid")).select_from(text("lesson_fts"))
                             .where(text("lesson_fts MATCH :match").bindparams(match=match))
                             ), None
    tsquery = func.to_tsquery("simple", " & ".join(f"{token}:*" for token in tokens))
    rank = func.ts_rank(func.to_tsvector("simple", Lesson.search_text), tsquery)
    return and_(*[Lesson.search_text.contains(token, autoescape=True) for token in tokens]), rank


def _scope(statement, user: Any):
    """Published projects, and those the user may see anyway."""

    if sees_everything(user):
        return statement
    visible = visible_projects(select(Project.id), user)
    return statement.where(or_(Project.publication_approved, Project.id.in_(visible)))


def search(user: Any, criteria: LessonFilter, states_of_phase: list[str] | None = None
           ) -> tuple[list[dict], int]:
    """One page of lessons (newest projects first) and the number found."""
    statement = (select(Lesson, Project.id, Project.reference, Project.title_ar,
                        Project.title_fr, Project.state, Project.publication_approved,
                        Commune.name_ar, Commune.name_fr, Commune.name_en)
                 .join(Project, Project.id == Lesson.project_id)
                 .join(Commune, Commune.id == Project.commune_id))
    statement = _scope(statement, user)
    condition, rank = _text_condition(criteria.query, db.engine.dialect.name)
    if condition is not None:
        statement = statement.where(condition)
    if criteria.kind:
        statement = statement.where(Lesson.kind == criteria.kind)
    if criteria.theme_id:
        statement = statement.where(Project.id.in_(
            select(project_theme.c.project_id)
            .where(project_theme.c.theme_id == criteria.theme_id)))
    if criteria.region_id:
        statement = statement.where(Commune.province_id.in_(
            select(Province.id).where(Province.region_id == criteria.region_id)))
    if states_of_phase is not None:
        statement = statement.where(Project.state.in_(states_of_phase))
    if criteria.criterion and criteria.min_score:
        averages = (select(EvaluationEntry.project_id)
                    .join(EvaluationScore, EvaluationScore.entry_id == EvaluationEntry.id)
                    .where(EvaluationScore.criterion == criteria.criterion)
                    .group_by(EvaluationEntry.project_id)
                    .having(func.avg(EvaluationScore.score) >= criteria.min_score))
        statement = statement.where(Project.id.in_(averages))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    order = [Project.id.desc(), Lesson.kind, Lesson.id]
    rows = db.session.execute(
        statement.order_by(*([rank.desc()] if rank is not None else []), *order)
        .limit(PAGE_SIZE).offset((criteria.page - 1) * PAGE_SIZE)).all()
    found = [{"lesson": row[0], "project_id": row[1], "reference": row[2],
              "titles": (row[3], row[4]), "state": row[5], "published": row[6],
              "commune_names": (row[7], row[8], row[9])} for row in rows]
    return found, total or 0


def lessons_of(project: Project) -> list[Lesson]:
    return list(db.session.scalars(select(Lesson).where(Lesson.project_id == project.id)
                                   .order_by(Lesson.kind, Lesson.source, Lesson.id)))
