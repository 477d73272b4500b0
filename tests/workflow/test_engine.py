"""The Machine is built per call with the stored state; a shared or initial-less one is wrong."""

from __future__ import annotations

from transitions import Machine

from tadafur.workflow import services
from tadafur.workflow.engine import Subject, build_machine, machine_config, next_state


def test_machine_without_initial_resets_a_loaded_state():
    """Why the engine passes initial=<stored state>: otherwise the state is overwritten."""
    definition = services.registry().latest("co_creation")
    config = machine_config(definition)
    loaded = Subject("in_execution")  # as read from the database
    Machine(model=loaded, states=config["states"], transitions=config["transitions"],
            initial=definition.initial, auto_transitions=False)
    assert loaded.state == "draft"  # silently reset

    loaded = Subject("in_execution")
    shared = Machine(model=None, states=config["states"], transitions=config["transitions"],
                     initial=definition.initial, auto_transitions=False)
    shared.add_model(loaded)
    assert loaded.state == "draft"  # add_model without initial= resets too

    loaded = Subject("in_execution")
    _machine, subject = build_machine(definition, loaded.state)
    assert subject.state == "in_execution"


def test_engine_moves_from_the_stored_state():
    definition = services.registry().latest("co_creation")
    assert next_state(definition, "in_execution", "suspend") == "suspended"
    assert next_state(definition, "suspended", "resume") == "in_execution"


def test_engine_refuses_a_trigger_from_the_wrong_state():
    import pytest

    from tadafur.workflow.engine import IllegalTransition

    definition = services.registry().latest("co_creation")
    with pytest.raises(IllegalTransition):
        next_state(definition, "draft", "resume")


def test_engine_never_touches_the_project_row(project):
    definition = services.definition_of(project)
    next_state(definition, "in_execution", "suspend")
    assert project.state == "draft"
    assert not hasattr(project, "trigger")
