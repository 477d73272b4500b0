"""The discussion thread, @mentions that notify, the notifications inbox and its badge."""

from __future__ import annotations

from sqlalchemy import select

from tadafur.extensions import db
from tadafur.notifications.models import Notification
from tadafur.projects import services
from tests.factories import login

HX = {"HX-Request": "true"}


def test_message_is_escaped_never_rendered_as_html(client, member, project):
    login(client, member)
    response = client.post(f"/projects/{project.id}/messages",
                           data={"body": "<script>alert(1)</script> **bonjour**"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bonjour**" in html
    assert "<script>alert" not in html


def test_empty_message_is_refused_beside_the_field(client, member, project):
    login(client, member)
    response = client.post(f"/projects/{project.id}/messages", data={"body": "   "}, headers=HX)
    assert response.status_code == 422
    assert 'id="body-error"' in response.get_data(as_text=True)
    plain = client.post(f"/projects/{project.id}/messages", data={"body": "Salam"})
    assert plain.status_code == 303
    assert plain.headers["Location"].startswith(f"/projects/{project.id}?tab=discussion")


def test_mentions_by_email_and_by_name_notify_only_project_people(client, member, agent,
                                                                   president, outsider_agent,
                                                                   project):
    login(client, member)
    body = (f"Merci @{agent.email} ! Et @{president.full_name}, pouvez-vous signer ? "
            f"@{outsider_agent.email}")
    assert client.post(f"/projects/{project.id}/messages", data={"body": body}).status_code \
        == 303
    notified = {n.user_id: n for n in db.session.scalars(
        select(Notification).where(Notification.kind == "mentioned"))}
    assert set(notified) == {agent.id, president.id}
    assert project.reference in notified[agent.id].message
    assert notified[agent.id].link.endswith(f"/projects/{project.id}?tab=discussion")


def test_find_mentions_needs_a_word_boundary(agent, president):
    people = [agent, president]
    assert services.find_mentions(f"cc @{agent.email}.", people) == [agent]
    assert services.find_mentions(f"cc x@{agent.email}", people) == []
    assert services.find_mentions(f"@{president.full_name.upper()} merci", people) == [president]


def test_inbox_badge_and_mark_read(client, member, agent, project):
    services.post_message(member, project, f"@{agent.email} bonjour")
    db.session.commit()
    login(client, agent)
    badge = client.get("/notifications/badge", headers=HX).get_data(as_text=True)
    assert 'hx-trigger="every 60s"' in badge and ">1<" in badge.replace("\u2066", "").replace(
        "\u2069", "").replace('<span dir="ltr">', "").replace("</span>", "<")
    page = client.get("/").get_data(as_text=True)
    assert 'id="notification-badge"' in page
    inbox = client.get("/notifications").get_data(as_text=True)
    assert project.reference in inbox
    note = db.session.scalar(select(Notification).where(Notification.user_id == agent.id))
    response = client.post("/notifications/read", data={"id": note.id}, headers=HX)
    assert response.status_code == 200
    assert 'hx-swap-oob="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert note.read_at is not None
    assert client.post("/notifications/read", data={"all": "1"}).status_code == 303


def test_someone_elses_notification_cannot_be_marked_read(client, member, agent, outsider_agent,
                                                          project):
    services.post_message(member, project, f"@{agent.email} bonjour")
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.user_id == agent.id))
    login(client, outsider_agent)
    client.post("/notifications/read", data={"id": note.id})
    db.session.expire_all()
    assert note.read_at is None
    assert project.reference not in client.get("/notifications").get_data(as_text=True)
