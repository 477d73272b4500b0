"""What a workflow definition is, once read: its states, transitions, gates and signers, the
reports' and amendments' rules, the Registry of installed versions, and the Reader that
collects every mistake of a file with its key. tadafur.workflow.definition reads and checks
the YAML into these; everything else only reads them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from tadafur.accounts.models import ASSOCIATION_ROLES, COMMUNE_ROLES, Role

PARTIES = ("commune", "association", "programme")


PARTY_ROLES = {
    "commune": frozenset(COMMUNE_ROLES),
    "association": frozenset(ASSOCIATION_ROLES),
    "programme": frozenset({Role.PROGRAMME_OFFICER}),
}


FIELD_TYPES = ("text", "date", "integer", "score")


STYLES = ("primary", "danger", "default")


SUBJECTS = ("content", "transition")  # or document:<kind>


SIGNOFF_PREFIX = "signoff:"


NOTIFY_KINDS = ("changes_requested", "approved", "rejected")


# What an amendment may change (the amendments module knows how to apply each kind).
AMENDMENT_CHANGES = ("budget", "end_date", "activities", "indicators", "signatory")


class DefinitionError(Exception):
    """A definition that cannot be used; `errors` lists 'file: key: what is wrong'."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("broken workflow definition:\n  " + "\n  ".join(errors))


@dataclass(frozen=True)
class Signer:
    party: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Gate:
    name: str
    state: str
    label: str
    subject: str  # content | transition | document:<kind>
    signers: tuple[Signer, ...]
    action: str | None = None  # the sign-off's button, e.g. "Sign the convention"

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(s.party for s in self.signers)

    @property
    def document_kind(self) -> str | None:
        return self.subject.split(":", 1)[1] if self.subject.startswith("document:") else None


@dataclass(frozen=True)
class State:
    name: str
    phase: str
    label: str
    due_days: int | None
    final: bool
    editable: bool
    documents: tuple[str, ...]
    gate: Gate | None
    records_execution: bool = False  # tranches, expenses, progress and evidence are recorded


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]
    dest: str
    label: str
    parties: tuple[str, ...]
    roles: frozenset[str]
    guards: tuple[tuple[str, dict], ...]
    unless: tuple[tuple[str, dict], ...]
    comment_required: bool
    fields: tuple[tuple[str, str], ...]
    gate: str | None
    auto: bool
    style: str
    notify: str | None = None  # a notification kind sent to the project's parties


@dataclass(frozen=True)
class ReportRules:
    """The `reports:` section: monitoring reports, the final report and the evaluation.

    - monitoring: in which states reports are written, who writes and submits them
      (`authors`) and who validates them (`validators`, each signing with their password);
    - final: the state in which the final report is written, and its authors;
    - evaluation: the state in which the parties score it, and who scores (`scorers`).
    """

    monitoring_states: tuple[str, ...] = ()
    monitoring_authors: tuple[Signer, ...] = ()
    monitoring_validators: tuple[Signer, ...] = ()
    final_state: str | None = None
    final_authors: tuple[Signer, ...] = ()
    evaluation_state: str | None = None
    evaluation_scorers: tuple[Signer, ...] = ()


@dataclass(frozen=True)
class AmendmentRules:
    """The `amendments:` section: where amendments are proposed and who signs which change."""

    states: tuple[str, ...]
    due_days: int
    reallocation_officer_share: int  # percent of a budget line
    programme_end_date: dt.date
    signers: dict[str, frozenset[str]]  # party -> roles that sign for it
    changes: dict[str, tuple[str, tuple[str, ...]]]  # kind -> (label, parties)

    def parties_for(self, kinds: set[str] | list[str], officer: bool = False
                    ) -> tuple[str, ...]:
        """The parties whose sign-off an amendment with these kinds of change needs."""
        wanted = {party for kind in kinds for party in self.changes[kind][1]}
        if officer:
            wanted.add("programme")
        return tuple(p for p in PARTIES if p in wanted)


@dataclass
class Definition:
    name: str
    version: int
    path: str
    label: str
    initial: str
    options: dict[str, bool]
    phases: list[tuple[str, str, tuple[str, ...]]]  # (name, label, state names)
    states: dict[str, State]
    transitions: list[Transition]
    gates: dict[str, Gate] = field(default_factory=dict)
    reports: ReportRules = field(default_factory=ReportRules)
    amendments: AmendmentRules | None = None  # None: this version allows no amendment
    dates: Any = None  # tadafur.workflow.dates.DateRules: when each kind of date may fall

    def state(self, name: str) -> State:
        return self.states[name]

    def from_state(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    def transition(self, state: str, trigger: str) -> Transition | None:
        for candidate in self.transitions:
            if candidate.trigger == trigger and state in candidate.sources:
                return candidate
        return None

    def phase_of(self, state: str) -> str:
        return self.states[state].phase

    def phase_label(self, phase: str) -> str:
        return next((label for name, label, _ in self.phases if name == phase), phase)


class Reader:
    """Collects errors while reading one file."""

    def __init__(self, path: str):
        self.path = path
        self.errors: list[str] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(f"{self.path}: {key}: {message}")

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            self.error(key, f"must be a mapping, not {type(value).__name__}")
            return {}
        return value

    def sequence(self, value: Any, key: str) -> list:
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.error(key, f"must be a list, not {type(value).__name__}")
            return []
        return value

    def known_keys(self, mapping: dict, allowed: set[str], key: str) -> None:
        for unknown in sorted(set(mapping) - allowed, key=str):
            self.error(f"{key}.{unknown}", "unknown key (allowed: "
                       + ", ".join(sorted(allowed)) + ")")

    def text(self, mapping: dict, name: str, key: str, default: str | None = None) -> str:
        value = mapping.get(name, default)
        if not isinstance(value, str) or not value.strip():
            self.error(f"{key}.{name}", "is required and must be text")
            return default or ""
        return value

    def roles(self, values: list, key: str) -> frozenset[str]:
        known = {r.value for r in Role}
        found = set()
        for i, role in enumerate(values):
            if role not in known:
                self.error(f"{key}[{i}]", f"unknown role {role!r} (known: "
                           + ", ".join(sorted(known)) + ")")
            else:
                found.add(role)
        return frozenset(found)


class Registry:
    """Every definition of a directory, by (name, version)."""

    def __init__(self, definitions: list[Definition]):
        self.definitions = {(d.name, d.version): d for d in definitions}

    def get(self, name: str, version: int) -> Definition:
        try:
            return self.definitions[(name, version)]
        except KeyError:
            raise LookupError(f"workflow {name!r} version {version} is not installed") from None

    def latest(self, name: str) -> Definition:
        versions = [v for (n, v) in self.definitions if n == name]
        if not versions:
            raise LookupError(f"no workflow named {name!r}")
        return self.definitions[(name, max(versions))]
