"""Published projects for the showcase: one closed with its evaluation (scores, lessons and
recommendations in French and Arabic), indicator values and a final report; helpers to make
more."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tadafur.execution import services as execution
from tadafur.extensions import db
from tadafur.projects import services as projects
from tadafur.reporting.models import CRITERIA, EvaluationEntry, EvaluationScore, FinalReport
from tadafur.workflow.models import TransitionRecord
from tests.execution.conftest import in_execution

LESSON_FR = "Associer le conseil dès le lancement facilite la restitution."
LESSON_AR = "إشراك الشباب منذ البداية يعزز الثقة"
RECOMMENDATION_FR = "Reconduire les ateliers avec les douars voisins."


def close(project, actor, *, published: bool = True, theme=None, scores=(3, 4)) -> None:
    """Set-up shortcut: the project is closed as the evaluation's gate would leave it, with
    values, a final report and two parties' evaluation entries (written as rows: the
    reporting module's own tests walk its forms)."""
    trained = project.indicators[0]
    execution.record_indicator_value(actor, project, {
        "indicator_id": trained.id, "period_start": dt.date(2026, 1, 1),
        "period_end": dt.date(2026, 3, 31), "women_youth": Decimal("12"),
        "women_adult": Decimal("3"), "men_youth": Decimal("9"), "men_adult": Decimal("2")})
    if theme is not None:
        project.themes = [theme]
    db.session.add(FinalReport(project_id=project.id, narrative="Fini.", lessons=LESSON_FR))
    for party, score in zip(("commune", "association"), scores, strict=True):
        entry = EvaluationEntry(project_id=project.id, party=party,
                                lessons=LESSON_AR if party == "association" else "",
                                recommendations=RECOMMENDATION_FR if party == "commune"
                                else "")
        entry.scores = [EvaluationScore(criterion=c, score=score, justification="Vu.")
                        for c in CRITERIA]
        db.session.add(entry)
    db.session.add(TransitionRecord(project_id=project.id, seq=99, trigger="close",
                                    from_state="evaluation_signoff", to_state="closed",
                                    workflow_version=project.workflow_version,
                                    actor_id=actor.id))
    project.state = "closed"
    project.publication_approved = published
    project.version += 1
    db.session.flush()


@pytest.fixture
def closed_project(agent, commune, association, themes):
    project = in_execution(agent, commune, association)
    close(project, agent, theme=themes[0])
    return project


@pytest.fixture
def themes():
    projects.seed_themes()
    return projects.all_themes()
