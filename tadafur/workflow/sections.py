"""Reading the parts of a definition that name who signs: gates and their signers, and the
optional sections `reports:` (who writes, validates and scores the monitoring, final and
evaluation reports, and in which states) and `amendments:` (which parties sign which kind
of change, the thresholds, the programme's end date). Each mistake is collected with its key
by the Reader.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from tadafur.workflow.schema import (
    AMENDMENT_CHANGES,
    PARTIES,
    PARTY_ROLES,
    SUBJECTS,
    AmendmentRules,
    Gate,
    Reader,
    ReportRules,
    Signer,
)


def read_gate(reader: Reader, raw: Any, state: str, key: str) -> Gate | None:
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
    signers = read_signers(reader, raw_signers, f"{key}.signers")
    return Gate(name, state, str(raw.get("label") or name), str(subject), tuple(signers),
                str(raw["action"]) if raw.get("action") else None)


def read_signers(reader: Reader, raw_signers: list, key: str) -> list[Signer]:
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


def read_reports(reader: Reader, raw: Any, states: dict) -> ReportRules:
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
        return tuple(read_signers(reader, values, key))

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


def read_amendments(reader: Reader, raw: Any, states: dict) -> AmendmentRules | None:
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
