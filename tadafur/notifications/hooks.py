"""The notifications module's registration in the job queue (called by tadafur.wiring): the
`mail.send` job that sends a transaction's e-mails after it commits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tadafur.jobs import registry as jobs_registry
from tadafur.notifications import services


def register_hooks() -> None:
    jobs_registry.register("mail.send", services.send_job, _l("Sending e-mails"))
