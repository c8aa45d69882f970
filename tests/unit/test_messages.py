"""The message registry (core.messages) is the one list of what the core takes in."""

from __future__ import annotations

import pytest

from core.messages import ACTIONS, COMMANDS, EVENTS, MESSAGE_TYPES, HoldCall
from tests.unit.fakes import make_center


def test_the_core_handles_exactly_the_registered_messages():
    assert set(make_center()._handlers) == set(MESSAGE_TYPES.values()) == set(EVENTS + COMMANDS)


def test_the_registry_names_each_message_once_and_keeps_actions_apart():
    assert len(MESSAGE_TYPES) == len(EVENTS) + len(COMMANDS)
    assert not set(ACTIONS) & set(MESSAGE_TYPES.values())


def test_an_action_sent_to_the_core_is_refused():
    with pytest.raises(TypeError, match="does not handle HoldCall"):
        make_center().handle(HoldCall("c1"))
