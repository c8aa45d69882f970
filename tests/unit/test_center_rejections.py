"""Commands the core's state does not allow are rejected and change nothing; unknown messages and timers."""

from __future__ import annotations

import pytest

from core.center import CallCenter, CommandRejected
from core.messages import (
    CallArrived,
    ClaimCallback,
    CompleteCallback,
    LogIn,
    LogOut,
    MakeNotReady,
    MakeReady,
    TimerFired,
)
from tests.unit.fakes import driver, make_center

# --- rejected commands --------------------------------------------------------------------------


def snapshot(center: CallCenter):
    return (
        len(center.log),
        {a.agent_id: (a.state, a.reason, a.call_id, a.ticket_id, a.pending) for a in center.agents.values()},
        {c: (call.state, call.agent_id) for c, call in center.calls.items()},
        {t: (tk.status, tk.claimer) for t, tk in center.tickets.tickets.items()},
    )


@pytest.mark.parametrize(
    "make_msg",
    [
        lambda now: MakeReady(now, "a2"),  # a2 is logged out
        lambda now: MakeNotReady(now, "a2", "break"),
        lambda now: MakeReady(now, "nobody"),
        lambda now: LogIn(now, "nobody"),
        lambda now: LogOut(now, "nobody"),
        lambda now: CallArrived(now, "c1", "139", "400"),  # c1 is in progress
        lambda now: ClaimCallback(now, "a1", "cb-gone"),  # a1 talks
        lambda now: ClaimCallback(now, "a3", "cb-none"),  # no such ticket
        lambda now: CompleteCallback(now, "a3", "cb-none", "ordered"),
    ],
)
def test_impossible_commands_are_rejected_and_change_nothing(make_msg):
    d = driver(("a1", "a2", "a3"), strategy="linear")
    d.logout("a2")
    d.connect("c1", caller="139")
    before = snapshot(d.center)
    with pytest.raises(CommandRejected):
        d.center.handle(make_msg(d.now))
    assert snapshot(d.center) == before


def test_unknown_message_type_is_a_type_error():
    center = make_center()
    with pytest.raises(TypeError):
        center.handle(object())


def test_timer_fired_for_an_unknown_timer_is_ignored():
    from core.messages import Timer

    d = driver(("a1",))
    assert d.send(TimerFired(d.now, Timer("ring", "c9", 999))) == []
