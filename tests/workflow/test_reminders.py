"""`flask reminders` notifies everyone whose action is awaited past the state's due date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tadafur.extensions import db
from tadafur.notifications.models import Notification
from tests.workflow.conftest import act


def _overdue(project) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.project_id == project.id, Notification.kind == "overdue")))


def test_reminders_notify_awaited_users_of_overdue_projects_once(
        app, project, make_project, president, chair, agent, officer, reviewer):
    fresh = make_project()
    act(chair, project, "signoff:endorsement")
    project.state_entered_at -= dt.timedelta(days=91)  # draft may last 90 days
    db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) sent" in result.output
    [notification] = _overdue(project)
    assert notification.user_id == president.id  # the only awaited action: their sign-off
    assert project.reference in notification.message
    assert _overdue(fresh) == []
    again = runner.invoke(args=["reminders"])
    assert "0 reminder(s) sent" in again.output
    assert len(_overdue(project)) == 1


def test_reminder_is_written_in_the_recipients_language(app, project, officer, president,
                                                         chair, agent, member):
    from tests.workflow.conftest import to_state

    to_state(project, "submitted", agent=agent, president=president, chair=chair,
             officer=officer, member=member)
    project.state_entered_at -= dt.timedelta(days=31)
    db.session.commit()
    app.test_cli_runner().invoke(args=["reminders"])
    [notification] = _overdue(project)
    assert notification.user_id == officer.id
    assert "Eligibility review" in notification.message or "éligibilité" in notification.message


def test_reminders_read_only_the_overdue_projects(app, project, make_project, count_queries):
    """The programme's other projects are not loaded to find the overdue ones: the work of a
    run does not grow with projects that are not late (issue 18)."""
    from tadafur.workflow.audience import send_reminders

    project.state_entered_at -= dt.timedelta(days=91)
    db.session.flush()
    send_reminders()  # its reminder is sent: the runs below find it sent
    with count_queries() as few:
        send_reminders()
    for _ in range(12):
        make_project()
    db.session.flush()
    with count_queries() as many:
        send_reminders()
    assert many.count == few.count, many.statements
    loaded = [s for s in many.statements if s.lstrip().upper().startswith("SELECT PROJECT.")]
    assert loaded and all("state_entered_at <" in s for s in loaded), loaded
