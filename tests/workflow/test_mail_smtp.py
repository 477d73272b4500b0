"""E-mail through a real SMTP server (aiosmtpd on localhost): what the parties receive."""

from __future__ import annotations

import email
import socket
import time

import pytest
from aiosmtpd.controller import Controller

from tadafur.extensions import db
from tests.workflow.conftest import act


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, _server, _session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ",".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                      MAIL_FROM="tadafur@demo.tadafur.ma")
    try:
        yield inbox
    finally:
        app.config.update(MAIL_SERVER=None, MAIL_PORT=None, MAIL_FROM=None)
        controller.stop()


def _wait_for(inbox: Inbox, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def test_signatories_receive_the_signature_request_by_smtp(smtp_server, project, president,
                                                            chair):
    act(president, project, "signoff:endorsement")
    db.session.commit()
    before = len(smtp_server.messages)
    project.summary = project.summary + " (edited)"
    from tadafur.workflow.services import content_changed

    content_changed(project, president)
    db.session.commit()
    _wait_for(smtp_server, before + 1)
    received = smtp_server.messages[before:]
    assert received, "no e-mail arrived"
    to_president = [m for m in received if president.email in m["X-Envelope-To"]]
    assert to_president
    message = to_president[0]
    assert message["From"] == "tadafur@demo.tadafur.ma"
    body = message.get_payload(decode=True).decode("utf-8")
    assert project.reference in body
    assert f"/projects/{project.id}" in body


def test_nothing_is_sent_when_the_transaction_rolls_back(smtp_server, project, president):
    from tadafur.notifications.services import notify

    notify([president], "approved", project, lambda _lang: "should never arrive")
    db.session.rollback()
    time.sleep(0.2)
    assert not [m for m in smtp_server.messages
                if "should never arrive" in m.get_payload(decode=True).decode()]
