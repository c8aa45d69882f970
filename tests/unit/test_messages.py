"""The message registry (core.messages) is the one list of what the core takes in."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from core import messages, outbound_messages
from core.messages import ACTIONS, COMMANDS, EVENTS, MESSAGE_TYPES, HoldCall, Timer
from core.outbound_messages import OUTBOUND_ACTIONS, OUTBOUND_COMMANDS, OUTBOUND_EVENTS
from tests.unit.fakes import make_center


def test_the_core_handles_exactly_the_registered_messages():
    assert set(make_center()._handlers) == set(MESSAGE_TYPES.values()) == set(EVENTS + COMMANDS)


def test_the_registry_names_each_message_once_and_keeps_actions_apart():
    assert len(MESSAGE_TYPES) == len(EVENTS) + len(COMMANDS)
    assert not set(ACTIONS) & set(MESSAGE_TYPES.values())


def test_an_action_sent_to_the_core_is_refused():
    with pytest.raises(TypeError, match="does not handle HoldCall"):
        make_center().handle(HoldCall("c1"))


def test_every_message_class_of_the_core_is_in_the_registry_once():
    """No message type lives outside the registry's unions (Timer is data inside StartTimer and TimerFired)."""
    defined = {
        cls
        for module in (messages, outbound_messages)
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if cls.__module__ == module.__name__ and dataclasses.is_dataclass(cls) and cls is not Timer
    }
    registered = EVENTS + COMMANDS + ACTIONS
    assert len(registered) == len(set(registered))
    assert set(registered) == defined


def test_the_dialer_handles_the_outbound_part_of_the_registry():
    center = make_center()
    assert set(center.outbound.handlers) == set(OUTBOUND_EVENTS + OUTBOUND_COMMANDS)
    assert set(OUTBOUND_EVENTS) <= set(EVENTS) and set(OUTBOUND_COMMANDS) <= set(COMMANDS)
    assert set(OUTBOUND_ACTIONS) <= set(ACTIONS)
