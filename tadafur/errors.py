"""The one base class of the refusals the services raise and the views show.

A refusal carries a translated, user-facing `message` and, when it concerns one form field,
that field's name: a view puts the message beside the field (422) and nothing is saved. Each
domain subclasses it (ProjectError, WorkflowError, ...) so that callers can still catch one
domain's refusals, and a view can catch them all.
"""

from __future__ import annotations


class TadafurError(Exception):
    """A refusal: `message` is translated; `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
