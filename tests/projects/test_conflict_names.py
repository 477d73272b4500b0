"""The edit form's conflict box (someone else saved meanwhile) lists the other person's
values as the reader knows them: a commune, the associations and the themes by their names in
the reader's language, never their database ids; and it reads one query per kind of object,
however many values it lists."""

from __future__ import annotations

import html as html_lib
import re

from tadafur.audit.services import record
from tadafur.extensions import db
from tadafur.projects import services
from tests.factories import login, make_association

HX = {"HX-Request": "true"}
ROW = re.compile(r"<tr><td>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>", re.S)


def _opened_version(client, project) -> str:
    form = client.get(f"/projects/{project.id}/edit").get_data(as_text=True)
    return re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)


def _save_over(client, project, version: str) -> str:
    """The reader's save based on `version`: refused (409), the conflict box's HTML."""
    response = client.post(f"/projects/{project.id}/edit", headers=HX, data={
        "lead_association_id": project.lead_association_id, "version": version,
        "title_fr": "Mon titre", "summary": "Mon texte"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    return html[html.index('id="conflict"'):html.index("</table>")]


def _rows(box: str) -> dict[str, tuple[str, str]]:
    """Field label -> (before, after) as read."""
    return {html_lib.unescape(label): (html_lib.unescape(before).strip(),
                                       html_lib.unescape(after).strip())
            for label, before, after in ROW.findall(box)}


def _moved(agent, project, commune, other_commune, partners, theme_ids) -> None:
    """The agent saves new partners and themes; then an event moves the project to another
    commune (the box lists every project.updated event since the reader's version)."""
    services.update_project(agent, project, {"partner_ids": [p.id for p in partners],
                                             "theme_ids": theme_ids}, project.version)
    record("project.updated", obj=project, project=project, actor=agent,
           before={"commune_id": commune.id}, after={"commune_id": other_commune.id,
                                                     "version": project.version})
    db.session.commit()


def test_the_conflict_box_names_the_commune_associations_and_themes(
        client, agent, member, project, commune, other_commune, themes):
    member.locale = "fr"
    db.session.commit()
    login(client, member)
    version = _opened_version(client, project)
    partner = make_association(commune, "Partenaire")
    _moved(agent, project, commune, other_commune, [partner], [themes[1].id])

    rows = _rows(_save_over(client, project, version))
    assert rows["Commune"] == (commune.name_fr, other_commune.name_fr)
    assert rows["Associations partenaires"] == ("—", partner.name_fr)
    assert rows["Thématiques"] == ("—", themes[1].name_fr)
    shown = [word for pair in rows.values() for word in pair]
    ids = {str(commune.id), str(other_commune.id), str(partner.id), str(themes[1].id)}
    assert not ids & set(shown), shown

    member.locale = "ar"
    db.session.commit()
    rows = _rows(_save_over(client, project, version))
    assert (commune.name_ar, other_commune.name_ar) in rows.values()
    assert ("—", partner.name_ar) in rows.values()
    assert ("—", themes[1].name_ar) in rows.values()


def test_the_conflict_box_reads_one_query_per_kind(client, agent, member, project, commune,
                                                   other_commune, themes, count_queries):
    login(client, member)
    version = _opened_version(client, project)
    _moved(agent, project, commune, other_commune, [make_association(commune, "P")],
           [themes[0].id])

    def queries() -> int:
        with count_queries() as counter:
            _save_over(client, project, version)
        return counter.count

    queries()  # the first request of the session reads what later ones keep
    few = queries()
    for n in range(6):  # six more saves, each with other partners, themes and a commune
        _moved(agent, project, commune if n % 2 else other_commune,
               other_commune if n % 2 else commune,
               [make_association(commune, f"Q{n}"), make_association(commune, f"R{n}")],
               [themes[n % len(themes)].id, themes[(n + 1) % len(themes)].id])
    queries()  # the test's commits expired what the app's session shares with it
    box = _save_over(client, project, version)
    assert len(ROW.findall(box)) == 7 * 3  # every change listed: partners, themes, commune
    assert queries() == few
