"""The lessons library: Arabic and French search, filters, and what a partner may read."""

from __future__ import annotations

from tadafur.extensions import db
from tadafur.reporting.models import EvaluationEntry
from tadafur.showcase.lessons import normalise
from tests.execution.conftest import in_execution
from tests.factories import login
from tests.showcase.conftest import LESSON_AR, LESSON_FR, RECOMMENDATION_FR, close


def test_normalising_unifies_arabic_letters_and_cuts_the_article():
    assert normalise("الشَّبابُ والمرأة") == normalise("شباب مراه")
    assert normalise("Équipe RÉGIONALE") == "equipe regionale"


def _search(client, **args):
    return client.get("/lessons", query_string=args).get_data(as_text=True)


def test_a_partner_finds_lessons_in_arabic_and_french(client, closed_project, outsider_agent):
    login(client, outsider_agent)
    assert LESSON_AR in _search(client, q="الشباب")
    assert LESSON_AR in _search(client, q="شباب")  # without the article
    assert LESSON_FR in _search(client, q="conseil lancement")
    assert LESSON_FR in _search(client, q="des le lanc")  # accents and prefixes
    assert LESSON_FR not in _search(client, q="mobilier")
    assert RECOMMENDATION_FR in _search(client, q="douars", kind="recommendation")
    assert RECOMMENDATION_FR not in _search(client, q="douars", kind="lesson")


def test_the_filters_narrow_by_theme_region_phase_and_score(client, closed_project, themes,
                                                            outsider_agent, commune):
    login(client, outsider_agent)
    assert LESSON_FR in _search(client, theme=themes[0].id)
    assert LESSON_FR not in _search(client, theme=themes[1].id)
    assert LESSON_FR in _search(client, region=commune.province.region_id, phase="evaluation")
    assert LESSON_FR not in _search(client, phase="execution")
    # scores 3 (commune) and 4 (association): the average 3.5
    assert LESSON_FR in _search(client, criterion="relevance", min_score="3")
    assert LESSON_FR not in _search(client, criterion="relevance", min_score="4")
    page = _search(client, min_score="9", phase="x")
    assert "were not understood" in page


def test_a_lesson_written_later_is_found_and_an_edit_replaces_it(client, closed_project,
                                                                 outsider_agent):
    entry = db.session.query(EvaluationEntry).filter_by(project_id=closed_project.id,
                                                        party="commune").one()
    entry.lessons = "Prévoir une crèche pendant les ateliers.\n- Publier les comptes."
    db.session.flush()
    login(client, outsider_agent)
    assert "Prévoir une crèche" in _search(client, q="creche")
    assert "Publier les comptes." in _search(client, q="comptes")
    entry.lessons = "Autre chose."
    db.session.flush()
    assert "Prévoir une crèche" not in _search(client, q="creche")


def test_unpublished_projects_of_others_stay_out_of_the_library(
        client, agent, commune, association, outsider_agent, member):
    project = in_execution(agent, commune, association)
    close(project, agent, published=False)
    login(client, outsider_agent)
    assert LESSON_FR not in _search(client)
    client.post("/logout")
    login(client, member)  # a partner of that project sees it, linked to its workspace
    page = _search(client, q="conseil")
    assert LESSON_FR in page and f"/projects/{project.id}" in page


def test_the_reindex_command_rebuilds_the_index(app, closed_project):
    from sqlalchemy import delete, func, select

    from tadafur.showcase.models import Lesson

    before = db.session.scalar(select(func.count()).select_from(Lesson))
    db.session.execute(delete(Lesson))
    result = app.test_cli_runner().invoke(args=["showcase", "reindex"])
    assert result.exit_code == 0 and f"{before} lesson(s) indexed" in result.output
    assert db.session.scalar(select(func.count()).select_from(Lesson)) == before == 3
