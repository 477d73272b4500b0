"""The audit module's registration in the job queue (called by tadafur.wiring): the
`audit.verify` job that re-verifies the whole chain, off the request, saving its progress."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tadafur.audit import review
from tadafur.jobs import registry as jobs_registry


def register_hooks() -> None:
    jobs_registry.register("audit.verify", review.verify_job,
                           _l("Verifying the audit trail"))
