"""Loading and checking workflow definitions (workflows/<name>.yaml, one version per file).

A definition names its phases and their states, the transitions between states (who may fire
them, guards, required comment, recorded fields, the gate that must be complete), the sign-off
gate of a state (its subject and its signers) and the documents produced on entering a state.
Every mistake is reported with the file, the key and what is wrong; nothing half-loaded is
ever used.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import yaml

from tadafur.workflow import hooks
from tadafur.workflow.guards import GUARDS, validate_params
from tadafur.workflow.schema import (  # moved; importable from here as before
    AMENDMENT_CHANGES as AMENDMENT_CHANGES,
    FIELD_TYPES as FIELD_TYPES,
    NOTIFY_KINDS as NOTIFY_KINDS,
    PARTIES as PARTIES,
    PARTY_ROLES as PARTY_ROLES,
    SIGNOFF_PREFIX as SIGNOFF_PREFIX,
    STYLES as STYLES,
    SUBJECTS as SUBJECTS,
    AmendmentRules as AmendmentRules,
    Definition as Definition,
    DefinitionError as DefinitionError,
    Gate as Gate,
    Reader,
    Registry as Registry,
    ReportRules as ReportRules,
    Signer as Signer,
    State as State,
    Transition as Transition,
)
from tadafur.workflow.sections import (  # moved; importable from here as before
    REPORT_SECTIONS as REPORT_SECTIONS,
    read_amendments,
    read_gate,
    read_reports,
)


def _included(reader: Reader, item: dict, options: dict, key: str) -> bool:
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


def _guards(reader: Reader, values: list, key: str) -> tuple[tuple[str, dict], ...]:
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


def _read_states(reader: Reader, data: dict, options: dict):
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
                                          "documents", "gate", "when", "records_execution"}, key)
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
            gate = (read_gate(reader, raw_state["gate"], name, f"{key}.gate")
                    if raw_state.get("gate") else None)
            states[name] = State(name, phase, str(raw_state.get("label") or name), due,
                                 bool(raw_state.get("final", False)),
                                 bool(raw_state.get("editable", False)), documents, gate,
                                 bool(raw_state.get("records_execution", False)))
            names.append((name, key))
        phases.append((phase, str(raw_phase.get("label") or phase), tuple(n for n, _ in names)))
    return phases, states


def _read_transitions(reader: Reader, data: dict, options: dict, states: dict):
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


def _check_graph(reader: Reader, definition: Definition) -> None:
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


def _producers() -> dict:
    return hooks.DOCUMENT_PRODUCERS  # read at call time: tests replace the registry


def load_file(path: str | Path) -> Definition:
    """Read and check one definition file; raise DefinitionError listing every mistake."""
    path = Path(path)
    reader = Reader(str(path))
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
                            reports=read_reports(reader, data.get("reports"), states))
    _check_graph(reader, definition)
    if "amendments" in data:
        definition.amendments = read_amendments(reader, data["amendments"], states)

    # Local: dates.py needs the registry, which is built from this module's definitions.
    from tadafur.workflow import dates  # noqa: PLC0415

    definition.dates = dates.read(reader, data.get("dates"), states)
    if reader.errors:
        raise DefinitionError(reader.errors)
    return definition


def load_directory(directory: str | Path) -> Registry:
    """Load every *.yaml of `directory`; all errors of all files are reported together."""
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
