"""Loading and checking workflow definitions (workflows/<name>.yaml, one version per file).

A definition names its phases and their states, the transitions between states (who may fire
them, guards, required comment, recorded fields, the gate that must be complete), the sign-off
gate of a state (its subject and its signers) and the documents produced on entering a state.
Every mistake is reported with the file, the key and what is wrong; nothing half-loaded is
ever used.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


class _Reader:
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


def _included(reader: _Reader, item: dict, options: dict, key: str) -> bool:
    """`when: {option: true|false}` keeps an item only when the options match."""
    when = item.get("when")
    if when is None:
        return True
    when = reader.mapping(when, f"{key}.when")
    for option, wanted in when.items():
        if option not in options:
            reader.error(f"{key}.when.{option}", "unknown option (declare it under options)")
            return True
        if options[option] != bool(wanted):
            return False
    return True


def _guards(reader: _Reader, values: list, key: str) -> tuple[tuple[str, dict], ...]:
    from tadafur.workflow.guards import GUARDS, validate_params

    result = []
    for i, item in enumerate(values):
        if isinstance(item, str):
            name, params = item, {}
        elif isinstance(item, dict) and len(item) == 1:
            name, params = next(iter(item.items()))
            params = reader.mapping(params or {}, f"{key}[{i}].{name}")
        else:
            reader.error(f"{key}[{i}]", "must be a guard name or {name: {parameters}}")
            continue
        if name not in GUARDS:
            reader.error(f"{key}[{i}]", f"unknown guard {name!r} (known: "
                         + ", ".join(sorted(GUARDS)) + ")")
            continue
        problem = validate_params(name, params)
        if problem:
            reader.error(f"{key}[{i}]", problem)
            continue
        result.append((name, dict(params)))
    return tuple(result)


def _gate(reader: _Reader, raw: Any, state: str, key: str) -> Gate | None:
    raw = reader.mapping(raw, key)
    if not raw:
        return None
    reader.known_keys(raw, {"name", "label", "subject", "signers", "action"}, key)
    name = reader.text(raw, "name", key)
    subject = raw.get("subject", "content")
    if not isinstance(subject, str) or not (
            subject in SUBJECTS or (subject.startswith("document:") and len(subject) > 9)):
        reader.error(f"{key}.subject", f"must be content, transition or document:<kind>, "
                     f"not {subject!r}")
    raw_signers = reader.sequence(raw.get("signers"), f"{key}.signers")
    if not raw_signers:
        reader.error(f"{key}.signers", "a gate needs at least one signer")
    signers = _signers(reader, raw_signers, f"{key}.signers")
    return Gate(name, state, str(raw.get("label") or name), str(subject), tuple(signers),
                str(raw["action"]) if raw.get("action") else None)


def _signers(reader: _Reader, raw_signers: list, key: str) -> list[Signer]:
    """`[{party: commune, roles: [...]}, ...]`: each party once, roles of that party."""
    signers = []
    seen: set[str] = set()
    for i, item in enumerate(raw_signers):
        item_key = f"{key}[{i}]"
        item = reader.mapping(item, item_key)
        party = item.get("party")
        if party not in PARTIES:
            reader.error(f"{item_key}.party", f"unknown party {party!r} (known: "
                         + ", ".join(PARTIES) + ")")
            continue
        if party in seen:
            reader.error(f"{item_key}.party", f"party {party!r} is listed twice")
        seen.add(party)
        roles = reader.roles(reader.sequence(item.get("roles"), f"{item_key}.roles"),
                             f"{item_key}.roles") or PARTY_ROLES[party]
        for role in sorted(roles - PARTY_ROLES[party]):
            reader.error(f"{item_key}.roles", f"role {role!r} does not belong to the "
                         f"{party} party")
        signers.append(Signer(party, frozenset(roles)))
    return signers


REPORT_SECTIONS = {
    "monitoring": {"states", "authors", "validators"},
    "final": {"state", "authors"},
    "evaluation": {"state", "scorers"},
}


def _read_reports(reader: _Reader, raw: Any, states: dict) -> ReportRules:
    """The `reports:` section (optional); every unknown key or state is an error."""
    if raw is None:
        return ReportRules()
    raw = reader.mapping(raw, "reports")
    reader.known_keys(raw, set(REPORT_SECTIONS), "reports")
    sections = {name: reader.mapping(raw.get(name) or {}, f"reports.{name}")
                for name in REPORT_SECTIONS}
    for name, section in sections.items():
        reader.known_keys(section, REPORT_SECTIONS[name], f"reports.{name}")

    def people(section: str, name: str) -> tuple[Signer, ...]:
        key = f"reports.{section}.{name}"
        values = reader.sequence(sections[section].get(name), key)
        if sections[section] and not values:
            reader.error(key, "name at least one party")
        return tuple(_signers(reader, values, key))

    def state(section: str) -> str | None:
        value = sections[section].get("state")
        if value is None:
            if sections[section]:
                reader.error(f"reports.{section}.state", "is required")
            return None
        if value not in states:
            reader.error(f"reports.{section}.state", f"unknown state {value!r}")
        return str(value)

    monitoring_states = tuple(reader.sequence(sections["monitoring"].get("states"),
                                              "reports.monitoring.states"))
    for i, name in enumerate(monitoring_states):
        if name not in states:
            reader.error(f"reports.monitoring.states[{i}]", f"unknown state {name!r}")
        elif states[name].final:
            reader.error(f"reports.monitoring.states[{i}]", f"{name!r} is final: nothing "
                         "may be reported there")
    if sections["monitoring"] and not monitoring_states:
        reader.error("reports.monitoring.states", "name at least one state")
    return ReportRules(monitoring_states, people("monitoring", "authors"),
                       people("monitoring", "validators"), state("final"),
                       people("final", "authors"), state("evaluation"),
                       people("evaluation", "scorers"))


def _read_states(reader: _Reader, data: dict, options: dict):
    phases, states = [], {}
    for p, raw_phase in enumerate(reader.sequence(data.get("phases"), "phases")):
        phase_key = f"phases[{p}]"
        raw_phase = reader.mapping(raw_phase, phase_key)
        reader.known_keys(raw_phase, {"name", "label", "states"}, phase_key)
        phase = reader.text(raw_phase, "name", phase_key)
        names = []
        for s, raw_state in enumerate(reader.sequence(raw_phase.get("states"),
                                                      f"{phase_key}.states")):
            key = f"{phase_key}.states[{s}]"
            raw_state = reader.mapping(raw_state, key)
            reader.known_keys(raw_state, {"name", "label", "due_days", "final", "editable",
                                          "documents", "gate", "when"}, key)
            if not _included(reader, raw_state, options, key):
                continue
            name = reader.text(raw_state, "name", key)
            if name in states:
                reader.error(f"{key}.name", f"state {name!r} is defined twice")
                continue
            due = raw_state.get("due_days")
            if due is not None and (not isinstance(due, int) or isinstance(due, bool)
                                    or due <= 0):
                reader.error(f"{key}.due_days", f"must be a positive whole number, not {due!r}")
                due = None
            documents = tuple(reader.sequence(raw_state.get("documents"), f"{key}.documents"))
            gate = (_gate(reader, raw_state["gate"], name, f"{key}.gate")
                    if raw_state.get("gate") else None)
            states[name] = State(name, phase, str(raw_state.get("label") or name), due,
                                 bool(raw_state.get("final", False)),
                                 bool(raw_state.get("editable", False)), documents, gate)
            names.append((name, key))
        phases.append((phase, str(raw_phase.get("label") or phase), tuple(n for n, _ in names)))
    return phases, states


def _read_transitions(reader: _Reader, data: dict, options: dict, states: dict):
    transitions = []
    for i, raw in enumerate(reader.sequence(data.get("transitions"), "transitions")):
        key = f"transitions[{i}]"
        raw = reader.mapping(raw, key)
        reader.known_keys(raw, {"trigger", "label", "source", "dest", "parties", "roles",
                                "guards", "unless", "comment_required", "fields", "gate",
                                "auto", "style", "when", "notify"}, key)
        if not _included(reader, raw, options, key):
            continue
        trigger = reader.text(raw, "trigger", key)
        if trigger.startswith(SIGNOFF_PREFIX):
            reader.error(f"{key}.trigger", f"{SIGNOFF_PREFIX!r} is reserved for sign-offs")
        sources = tuple(reader.sequence(raw.get("source"), f"{key}.source"))
        if not sources:
            reader.error(f"{key}.source", "is required")
        for j, source in enumerate(sources):
            if source not in states:
                reader.error(f"{key}.source[{j}]" if len(sources) > 1 else f"{key}.source",
                             f"unknown state {source!r}")
        dest = raw.get("dest")
        if dest not in states:
            reader.error(f"{key}.dest", f"unknown state {dest!r}")
        parties = tuple(reader.sequence(raw.get("parties"), f"{key}.parties"))
        for j, party in enumerate(parties):
            if party not in PARTIES:
                reader.error(f"{key}.parties[{j}]", f"unknown party {party!r} (known: "
                             + ", ".join(PARTIES) + ")")
        auto = bool(raw.get("auto", False))
        if not parties and not auto:
            reader.error(f"{key}.parties", "say which parties may fire it (or auto: true)")
        roles = reader.roles(reader.sequence(raw.get("roles"), f"{key}.roles"), f"{key}.roles")
        fields = []
        raw_fields = reader.mapping(raw.get("fields") or {}, f"{key}.fields")
        for name, kind in raw_fields.items():
            if kind not in FIELD_TYPES:
                reader.error(f"{key}.fields.{name}", f"unknown field type {kind!r} (known: "
                             + ", ".join(FIELD_TYPES) + ")")
            fields.append((str(name), str(kind)))
        style = raw.get("style", "default")
        if style not in STYLES:
            reader.error(f"{key}.style", f"must be one of {', '.join(STYLES)}")
        gate = raw.get("gate")
        if auto and not gate:
            reader.error(f"{key}.auto", "an automatic transition needs the gate that fires it")
        notify = raw.get("notify")
        if notify is not None and notify not in NOTIFY_KINDS:
            reader.error(f"{key}.notify", f"unknown notification kind {notify!r} (known: "
                         + ", ".join(NOTIFY_KINDS) + ")")
        transitions.append(Transition(
            trigger, sources, str(dest), str(raw.get("label") or trigger), parties, roles,
            _guards(reader, reader.sequence(raw.get("guards"), f"{key}.guards"),
                    f"{key}.guards"),
            _guards(reader, reader.sequence(raw.get("unless"), f"{key}.unless"),
                    f"{key}.unless"),
            bool(raw.get("comment_required", False)), tuple(fields), gate, auto, style,
            notify))
    return transitions


def _check_graph(reader: _Reader, definition: Definition) -> None:
    states, transitions = definition.states, definition.transitions
    gates: dict[str, Gate] = {}
    for state in states.values():
        if state.gate is not None:
            if state.gate.name in gates:
                reader.error(f"states.{state.name}.gate.name",
                             f"gate {state.gate.name!r} is defined twice")
            gates[state.gate.name] = state.gate
    definition.gates = gates
    seen: set[tuple[str, str]] = set()
    for i, t in enumerate(transitions):
        for source in t.sources:
            if (t.trigger, source) in seen:
                reader.error(f"transitions[{i}].trigger", f"trigger {t.trigger!r} leaves "
                             f"{source!r} twice: the target would be ambiguous")
            seen.add((t.trigger, source))
            if source in states and states[source].final:
                reader.error(f"transitions[{i}].source", f"{source!r} is final: nothing may "
                             "leave it")
        if t.gate is not None:
            gate = gates.get(t.gate)
            if gate is None:
                reader.error(f"transitions[{i}].gate", f"unknown gate {t.gate!r}")
            elif gate.state not in t.sources or len(t.sources) != 1:
                reader.error(f"transitions[{i}].gate", f"gate {t.gate!r} belongs to state "
                             f"{gate.state!r}; the transition must leave that state only")
        for party in t.parties:
            if t.roles and party in PARTY_ROLES and not (t.roles & PARTY_ROLES[party]):
                reader.error(f"transitions[{i}].roles", f"none of the roles belongs to the "
                             f"{party} party")
    if definition.initial not in states:
        reader.error("initial", f"unknown state {definition.initial!r}")
        return
    reachable, queue = {definition.initial}, deque([definition.initial])
    while queue:
        current = queue.popleft()
        for t in transitions:
            if current in t.sources and t.dest in states and t.dest not in reachable:
                reachable.add(t.dest)
                queue.append(t.dest)
    for name, state in states.items():
        if name not in reachable:
            reader.error(f"states.{name}", f"state {name!r} cannot be reached from "
                         f"{definition.initial!r}")
        if not state.final and not any(name in t.sources for t in transitions):
            reader.error(f"states.{name}", f"state {name!r} is not final and has no way out")
        for kind in state.documents:
            if not isinstance(kind, str) or kind not in _producers():
                reader.error(f"states.{name}.documents", f"no producer for document kind "
                             f"{kind!r}: the documents module must be installed")
        gate = state.gate
        if gate is not None and gate.document_kind and gate.document_kind not in _producers():
            reader.error(f"states.{name}.gate.subject", f"no producer for document kind "
                         f"{gate.document_kind!r}: the documents module must be installed")


def _amendments(reader: _Reader, raw: Any, states: dict) -> AmendmentRules | None:
    """Read and check the `amendments:` section (every mistake named with its key)."""
    key = "amendments"
    raw = reader.mapping(raw, key)
    reader.known_keys(raw, {"states", "due_days", "reallocation_officer_share",
                            "programme_end_date", "signers", "changes"}, key)
    names = reader.sequence(raw.get("states"), f"{key}.states")
    if not names:
        reader.error(f"{key}.states", "name at least one state where amendments are proposed")
    for i, name in enumerate(names):
        if name not in states:
            reader.error(f"{key}.states[{i}]", f"unknown state {name!r}")
        elif states[name].final:
            reader.error(f"{key}.states[{i}]", f"{name!r} is final: a closed project cannot "
                         "be amended")
    due_days = raw.get("due_days", 30)
    if not isinstance(due_days, int) or isinstance(due_days, bool) or due_days < 1:
        reader.error(f"{key}.due_days", f"must be a whole number of days from 1, not "
                     f"{due_days!r}")
        due_days = 30
    share = raw.get("reallocation_officer_share")
    if not isinstance(share, int) or isinstance(share, bool) or not 0 <= share <= 100:
        reader.error(f"{key}.reallocation_officer_share", f"must be a whole percentage from 0 "
                     f"to 100, not {share!r}")
        share = 0
    end = raw.get("programme_end_date")
    if isinstance(end, str):
        with contextlib.suppress(ValueError):
            end = dt.date.fromisoformat(end)
    if not isinstance(end, dt.date):
        reader.error(f"{key}.programme_end_date", f"must be a date (YYYY-MM-DD), not {end!r}")
        end = dt.date.max
    signers: dict[str, frozenset[str]] = {}
    for party, roles in reader.mapping(raw.get("signers"), f"{key}.signers").items():
        item_key = f"{key}.signers.{party}"
        if party not in PARTIES:
            reader.error(item_key, f"unknown party {party!r} (known: " + ", ".join(PARTIES)
                         + ")")
            continue
        found = reader.roles(reader.sequence(roles, item_key), item_key)
        if not found:
            reader.error(item_key, "name at least one role")
        for role in sorted(found - PARTY_ROLES[party]):
            reader.error(item_key, f"role {role!r} does not belong to the {party} party")
        signers[party] = frozenset(str(r) for r in found & PARTY_ROLES[party])
    changes: dict[str, tuple[str, tuple[str, ...]]] = {}
    raw_changes = reader.mapping(raw.get("changes"), f"{key}.changes")
    if not raw_changes:
        reader.error(f"{key}.changes", "name at least one kind of change")
    for kind, item in raw_changes.items():
        item_key = f"{key}.changes.{kind}"
        if kind not in AMENDMENT_CHANGES:
            reader.error(item_key, f"unknown kind of change {kind!r} (known: "
                         + ", ".join(AMENDMENT_CHANGES) + ")")
            continue
        item = reader.mapping(item, item_key)
        reader.known_keys(item, {"label", "parties"}, item_key)
        parties = reader.sequence(item.get("parties"), f"{item_key}.parties")
        if not parties:
            reader.error(f"{item_key}.parties", "name at least one party")
        for i, party in enumerate(parties):
            if party not in PARTIES:
                reader.error(f"{item_key}.parties[{i}]", f"unknown party {party!r}")
            elif party not in signers:
                reader.error(f"{item_key}.parties[{i}]", f"party {party!r} has no signer "
                             f"roles under {key}.signers")
        changes[kind] = (str(item.get("label") or kind), tuple(parties))
    if "budget" in changes and "programme" not in signers:
        reader.error(f"{key}.signers", "the programme party must have signers: large "
                     "reallocations need the programme officer")
    return AmendmentRules(tuple(names), due_days, share, end, signers, changes)


def _producers() -> dict:
    from tadafur.workflow.hooks import DOCUMENT_PRODUCERS

    return DOCUMENT_PRODUCERS


def load_file(path: str | Path) -> Definition:
    """Read and check one definition file; raise DefinitionError listing every mistake."""
    path = Path(path)
    reader = _Reader(str(path))
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise DefinitionError([f"{path}: cannot be read: {error.strerror}"]) from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f"line {where.line + 1}" if where else "(file)"
        raise DefinitionError([f"{path}: {line}: not valid YAML: "
                               f"{getattr(error, 'problem', error)}"]) from None
    data = reader.mapping(data, "(file)")
    if reader.errors:
        raise DefinitionError(reader.errors)
    reader.known_keys(data, {"name", "version", "label", "initial", "options", "phases",
                             "transitions", "reports", "amendments", "dates"}, "(file)")
    name = reader.text(data, "name", "(file)")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        reader.error("version", f"must be a whole number from 1, not {version!r}")
        version = 0
    options = {}
    for option, value in reader.mapping(data.get("options") or {}, "options").items():
        if not isinstance(value, bool):
            reader.error(f"options.{option}", f"must be true or false, not {value!r}")
        options[str(option)] = bool(value)
    phases, states = _read_states(reader, data, options)
    transitions = _read_transitions(reader, data, options, states)
    definition = Definition(name, version, str(path), str(data.get("label") or name),
                            str(data.get("initial")), options, phases, states, transitions,
                            reports=_read_reports(reader, data.get("reports"), states))
    _check_graph(reader, definition)
    if "amendments" in data:
        definition.amendments = _amendments(reader, data["amendments"], states)
    from tadafur.workflow import dates

    definition.dates = dates.read(reader, data.get("dates"), states)
    if reader.errors:
        raise DefinitionError(reader.errors)
    return definition


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


def load_directory(directory: str | Path) -> Registry:
    """Load every *.yaml of `directory`; all errors of all files are reported together."""
    from tadafur.workflow.hooks import load_plugins

    load_plugins()
    directory = Path(directory)
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))
    if not files:
        raise DefinitionError([f"{directory}: no workflow definition (*.yaml) found"])
    errors, definitions, seen = [], [], {}
    for path in files:
        try:
            definition = load_file(path)
        except DefinitionError as error:
            errors.extend(error.errors)
            continue
        key = (definition.name, definition.version)
        if key in seen:
            errors.append(f"{path}: version: {definition.name!r} version {definition.version} "
                          f"is already defined in {seen[key]}")
            continue
        seen[key] = path
        definitions.append(definition)
    if errors:
        raise DefinitionError(errors)
    return Registry(definitions)
