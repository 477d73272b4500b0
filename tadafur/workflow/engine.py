"""The state machine of one project, built for one call.

transitions' Machine is not thread-safe when shared and mutated (add_model/remove_model), and
a Machine (or add_model) without `initial=` puts the model in the initial state, silently
overwriting a stored state. So each call builds a fresh Machine over a small stand-in object
whose state is the stored one (`initial=<stored state>`), fires the trigger on it and hands
back the destination. The database transaction, not the Machine, makes a change stick.
"""

from __future__ import annotations

from transitions import Machine, MachineError

from tadafur.workflow.schema import Definition


class Subject:
    """What the Machine moves: a state and nothing else (never the ORM row itself)."""

    def __init__(self, state: str):
        self.state = state


def machine_config(definition: Definition) -> dict:
    """States and transitions of a definition in the form Machine() takes."""
    return {
        "states": list(definition.states),
        "transitions": [
            {"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
            for t in definition.transitions
        ],
    }


def build_machine(definition: Definition, stored_state: str) -> tuple[Machine, Subject]:
    subject = Subject(stored_state)
    config = machine_config(definition)
    machine = Machine(model=subject, states=config["states"],
                      transitions=config["transitions"], initial=stored_state,
                      auto_transitions=False, ignore_invalid_triggers=False)
    return machine, subject


class IllegalTransition(Exception):
    pass


def next_state(definition: Definition, stored_state: str, trigger: str) -> str:
    """Where `trigger` leads from `stored_state`; IllegalTransition when it may not."""
    _machine, subject = build_machine(definition, stored_state)
    try:
        subject.trigger(trigger)
    except (MachineError, AttributeError) as error:
        raise IllegalTransition(str(error)) from None
    return subject.state
