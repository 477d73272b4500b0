"""One vocabulary for stored codes: complete, and read in the reader's language at read time."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tadafur import vocabulary
from tadafur.audit.services import record, verify_chain
from tadafur.audit.wording import changed_values, details
from tadafur.extensions import db
from tadafur.notifications.models import Notification
from tadafur.notifications.services import notify
from tadafur.workflow import services as workflow
from tests.factories import login
from tests.projects.conftest import make_project


@pytest.fixture
def project(agent, commune, association):
    return make_project(agent, commune, association)

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r"""(?:record|_audit|_content_edit)\(\s*(?:[\w.]+,\s*[\w.]+,\s*)?"""
                      r"""["']([a-z_]+\.[a-z_]+)["']""")


def test_every_workflow_state_step_and_gate_has_its_word():
    for definition in workflow.registry().definitions.values():
        assert set(definition.states) <= set(vocabulary.STATES), definition.name
        for transitions in (definition.from_state(s) for s in definition.states):
            for transition in transitions:
                assert transition.trigger in vocabulary.TRANSITIONS, transition.trigger
                assert transition.trigger in vocabulary.STEPS_DONE, transition.trigger
        gates = {s.gate.name for s in definition.states.values() if s.gate}
        assert gates <= set(vocabulary.GATES)
        # the vocabulary says what the YAML says (one word for one thing)
        for name, state in definition.states.items():
            assert str(vocabulary.STATES[name]) == state.label, name
        for kind, (label, _parties) in (definition.amendments.changes.items()
                                        if definition.amendments else ()):
            assert str(vocabulary.AMENDMENT_CHANGES[kind]) == label, kind


def test_every_audit_action_written_by_the_code_has_its_word():
    written = set()
    for path in (ROOT / "tadafur").rglob("*.py"):
        written |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    written |= {f"amendment.{status}" for status in ("approved", "rejected")}
    written |= {f"user.password_{via}" for via in ("changed", "set")}
    assert len(written) > 40
    unnamed = sorted(code for code in written if vocabulary.action_label(code) == code)
    assert not unnamed


def test_stored_values_are_formatted_not_raw(app):
    with app.test_request_context(), force_locale("fr"):
        assert vocabulary.format_value("state", "in_execution") == "En exécution"
        assert vocabulary.format_value("committee_date", "2026-02-10") == "10 févr. 2026"
        assert vocabulary.format_value("amount", "45000.00") == "45\u202f000,00\xa0MAD"
        assert vocabulary.format_value("in_kind", False) == "Non"
        assert vocabulary.format_value("funder", "programme") == "Subvention du programme"
        # a document's language in the reader's words, not the picker's "العربية"
        assert vocabulary.format_value("language", "ar") == "en arabe"
        assert vocabulary.format_value("language", "bilingual") == "en arabe et en français"
    with app.test_request_context(), force_locale("ar"):
        assert vocabulary.format_value("language", "fr") == "بالفرنسية"
        assert vocabulary.format_value("state", "suspended") == "موقوف مؤقتًا"
        assert vocabulary.format_value("state", "closed") == "مغلق"
        assert vocabulary.list_words(["أ", "ب"]) == "أ، ب"


def test_an_audit_event_reads_in_the_readers_language_and_stays_as_stored(app, project):
    event = record("project.suspend", obj=project, project=project,
                   summary="in_execution -> suspended",
                   before={"state": "in_execution"},
                   after={"state": "suspended", "comment": "En attente du local"})
    stored = (event.summary, event.before, event.after, event.hash)
    with app.test_request_context():
        with force_locale("ar"):
            arabic = str(details(event))
            assert vocabulary.action_label(event.action) == "إيقاف المشروع مؤقتًا"
        with force_locale("fr"):
            french = str(details(event))
            rows = changed_values(event)
    assert "موقوف مؤقتًا" in arabic and "في طور التنفيذ" not in french
    assert "« En exécution » à « Suspendu »" in french and "in_execution" not in french
    assert ("Étape", "En exécution", "Suspendu") in rows
    db.session.expire(event)
    assert (event.summary, event.before, event.after, event.hash) == stored
    assert verify_chain().intact


def test_the_audit_filter_offers_actions_by_label_and_matches_exactly(client, officer, project):
    record("user.login", actor_name="a@example.org")
    record("user.login_failed", actor_name="b@example.org")
    officer.locale = "fr"
    db.session.commit()
    login(client, officer)
    html = client.get("/audit/").get_data(as_text=True)
    assert '<option value="user.login">Connexion</option>' in html
    html = client.get("/audit/?action=user.login").get_data(as_text=True)
    assert "a@example.org" in html and "b@example.org" not in html


def test_csv_export_in_the_chosen_language_keeps_the_codes(client, officer, project):
    record("project.submit", obj=project, project=project, before={"state": "draft"},
           after={"state": "submitted"})
    db.session.commit()
    login(client, officer)
    for language, words in (("ar", "تقديم المقترح"), ("fr", "Proposition soumise")):
        text = client.get(f"/audit/export.csv?project={project.id}&lang={language}").get_data(
            as_text=True)
        rows = list(csv.reader(io.StringIO(text)))
        header, row = rows[0], rows[-1]
        assert row[header.index("action")] == "project.submit"
        assert words in row  # the action in words, in its own column


def test_notifications_speak_the_readers_language_of_today(app, client, agent, project):
    agent.locale = "fr"
    notify([agent], "approved", project, vocabulary.phrase(
        "%(reference)s: %(action)s.", note="Bon travail", reference=project.reference,
        action=vocabulary.text("Declare eligible")))
    db.session.commit()
    row = db.session.scalar(select(Notification).where(Notification.user_id == agent.id))
    assert "éligible" in row.message and "Bon travail" in row.message  # in French
    mail = app.extensions.get("tadafur.sent_mail", [])[-1]
    assert "éligible" in mail.get_content()
    agent.locale = "ar"
    db.session.commit()
    login(client, agent)
    html = client.get("/notifications").get_data(as_text=True)
    assert "éligible" not in html and "Bon travail" in html
    with app.test_request_context(), force_locale("ar"):
        assert vocabulary.Phrase.from_json(row.phrase).render() in html


def test_older_notifications_without_a_phrase_show_their_stored_words(client, agent, project):
    db.session.add(Notification(user_id=agent.id, kind="approved", project_id=project.id,
                                message="Ancien message conservé"))
    db.session.commit()
    login(client, agent)
    assert "Ancien message conservé" in client.get("/notifications").get_data(as_text=True)


def test_the_history_tab_shows_labelled_formatted_values_not_json(client, agent, project):
    record("project.record_selection", obj=project, project=project,
           before={"state": "selection"},
           after={"state": "council_deliberation", "committee_date": "2026-02-10",
                  "score": "82"})
    agent.locale = "fr"
    db.session.commit()
    login(client, agent)
    html = client.get(f"/projects/{project.id}/tabs/history").get_data(as_text=True)
    assert "Date du comité" in html
    assert "10 févr. 2026" in html and "2026-02-10" not in html
    assert '{"' not in html and "council_deliberation" not in html.replace(
        'data-code="', "")


def test_amounts_keep_their_currency_on_the_same_line(app):
    from tadafur.i18n import money

    with app.test_request_context():
        assert "\xa0" in str(money(Decimal("1200"), "ar"))
