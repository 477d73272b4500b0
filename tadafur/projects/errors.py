"""The projects' refusals: ProjectError (a translated message, and the field it concerns) and
ProjectConflict (someone else saved the project meanwhile; what they changed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from tadafur.errors import TadafurError
from tadafur.projects.labels import FIELD_LABELS
from tadafur.projects.models import Project


class ProjectError(TadafurError):
    """A refusal with a translated message (and the form field it concerns, if any)."""


@dataclass
class OtherChange:
    """One change saved by someone else since the version a form was based on."""

    actor: str
    at: dt.datetime
    field: str
    before: Any
    after: Any

    @property
    def label(self) -> str:
        return str(FIELD_LABELS.get(self.field, self.field))


class ProjectConflict(Exception):
    """The project changed since the form was opened: nothing was saved.

    `changes` lists what the others changed (from the audit trail); `current_version` is what
    a new attempt must be based on.
    """

    def __init__(self, project: Project, expected_version: int, changes: list[OtherChange]):
        super().__init__(_("Someone else saved this project while you were editing it."))
        self.message = str(self)
        self.project = project
        self.expected_version = expected_version
        self.current_version = project.version
        self.changes = changes
