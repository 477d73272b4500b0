"""The public showcase as an anonymous visitor: only published projects, their plan,
results and (once closed) their evaluation; conditional requests; bounded queries."""

from __future__ import annotations

from tadafur.extensions import db
from tests.execution.conftest import in_execution
from tests.showcase.conftest import LESSON_AR, LESSON_FR, RECOMMENDATION_FR, close


def test_a_visitor_reads_a_closed_projects_results_and_lessons(client, closed_project):
    page = client.get(f"/showcase/projects/{closed_project.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in ("Espace jeunes", "Atelier de lancement", "Personnes formées",
                     LESSON_FR, LESSON_AR, RECOMMENDATION_FR, "indicator-chart",
                     closed_project.lead_association.name_fr):
        assert expected in html, expected
    assert "Relevance" in html  # the OECD-DAC scores


def test_an_unpublished_project_is_not_found(client, agent, commune, association):
    project = in_execution(agent, commune, association)
    assert client.get(f"/showcase/projects/{project.id}").status_code == 404
    assert client.get(f"/showcase/projects/{project.id}/sheet.pdf").status_code == 404
    assert project.reference not in client.get("/showcase").get_data(as_text=True)


def test_the_list_filters_by_theme_region_and_phase(client, closed_project, themes, agent,
                                                    commune, association):
    other = in_execution(agent, commune, association)
    other.publication_approved = True
    db.session.flush()
    everything = client.get("/showcase").get_data(as_text=True)
    assert closed_project.reference in everything and other.reference in everything
    by_theme = client.get(f"/showcase?theme={themes[0].id}").get_data(as_text=True)
    assert closed_project.reference in by_theme and other.reference not in by_theme
    by_phase = client.get("/showcase?phase=execution").get_data(as_text=True)
    assert other.reference in by_phase and closed_project.reference not in by_phase
    region = commune.province.region_id
    assert closed_project.reference in client.get(f"/showcase?region={region}").get_data(
        as_text=True)
    assert closed_project.reference not in client.get(
        f"/showcase?region={region + 1000}").get_data(as_text=True)
    bad = client.get("/showcase?phase=nonsense&theme=x")
    assert bad.status_code == 200 and "were not understood" in bad.get_data(as_text=True)


def test_the_commune_page_lists_its_published_projects(client, closed_project, commune):
    html = client.get(f"/showcase/communes/{commune.id}").get_data(as_text=True)
    assert closed_project.reference in html and commune.name_en in html


def test_a_revalidation_answers_304_until_something_changes(client, closed_project, agent):
    url = f"/showcase/projects/{closed_project.id}"
    first = client.get(url)
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    closed_project.summary = "Changé"
    closed_project.updated_at = closed_project.updated_at.replace(year=2027)
    db.session.flush()
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "Changé" in changed.get_data(as_text=True)


def test_the_list_costs_the_same_queries_for_one_or_many_projects(
        client, count_queries, agent, commune, association, themes):
    def published_project():
        project = in_execution(agent, commune, association)
        close(project, agent, theme=themes[1])
        return project

    published_project()
    client.get("/showcase")
    with count_queries() as one:
        assert client.get("/showcase").status_code == 200
    for _ in range(4):
        published_project()
    with count_queries() as five:
        assert client.get("/showcase").status_code == 200
    assert five.count == one.count, (one.count, five.count)
    assert one.count <= 14


def test_the_project_page_costs_a_bounded_number_of_queries(client, count_queries,
                                                            closed_project):
    with count_queries() as counter:
        assert client.get(f"/showcase/projects/{closed_project.id}").status_code == 200
    assert counter.count <= 25, counter.count


def test_the_list_is_paged(client, monkeypatch, agent, commune, association):
    from tadafur.showcase import public

    monkeypatch.setattr(public, "PAGE_SIZE", 2)
    made = []
    for _ in range(3):
        project = in_execution(agent, commune, association)
        project.publication_approved = True
        made.append(project.reference)
    db.session.flush()
    first = client.get("/showcase").get_data(as_text=True)
    second = client.get("/showcase?page=2").get_data(as_text=True)
    assert sum(ref in first for ref in made) == 2 and sum(ref in second for ref in made) == 1
    assert "page=2" in first and "Page 2 of 2" in second
    assert "page=2" in client.get(f"/showcase/communes/{commune.id}").get_data(as_text=True)


def test_a_withdrawn_publication_is_not_served_from_the_cache(client, closed_project,
                                                              officer):
    from tadafur.oversight.services import set_publication

    first = client.get("/showcase")
    assert closed_project.reference in first.get_data(as_text=True)
    set_publication(closed_project, False, officer)
    db.session.flush()
    again = client.get("/showcase", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert closed_project.reference not in again.get_data(as_text=True)
    assert client.get(f"/showcase/projects/{closed_project.id}").status_code == 404
