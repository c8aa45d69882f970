"""What the live tests share: SIPp callers and agents' phones on the test's Asterisk, and checks of a driver's
event log (per call, each call once, waiting on it).

A driver here is a ``LiveProcess`` (the ``hotline live run`` process) or an ``InProcessDriver``: both read
their event log with ``records()``.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterable

from core.log import TERMINAL_VERBS
from devtools import sipp
from devtools.asterisk_settings import LocalAsteriskConfig
from tests.helpers import wait_until


def dial(cfg: LocalAsteriskConfig, workdir: Path, *caller_ids: str, number: str = "", **kw) -> sipp.SippProcess:
    """SIPp callers, one call from each of ``caller_ids``, dialling ``number`` (the first hotline unless given)
    at this Asterisk; ``kw``: ``sipp.start_callers``' options (``hold_ms``, ``rate``, ``dtmf``, ...)."""
    return sipp.start_callers(
        number or cfg.numbers[0],
        calls=len(caller_ids),
        caller_ids=list(caller_ids),
        sip_port=cfg.sip_port,
        workdir=workdir,
        **kw,
    )


def phone(cfg: LocalAsteriskConfig, workdir: Path, agent: str = "agent001", **kw) -> sipp.SippProcess:
    """A SIPp phone answering as ``agent`` at its port; ``kw``: ``sipp.start_agent``'s options."""
    return sipp.start_agent(agent, cfg.agent_ports()[agent], workdir=workdir, **kw)


def phones(cfg: LocalAsteriskConfig, workdir: Path, agents: int | Iterable[str], **kw) -> dict[str, sipp.SippProcess]:
    """Phones answering as the first ``agents`` agents (or the agents named), by name; all stopped if one fails
    to start. ``kw``: ``sipp.start_agent``'s options."""
    names = cfg.agent_names()[:agents] if isinstance(agents, int) else agents
    ports = cfg.agent_ports()
    return sipp.start_agents({name: ports[name] for name in names}, workdir=workdir, **kw)


def by_call(records) -> dict[str, list[str]]:
    calls: dict[str, list[str]] = defaultdict(list)
    for r in records:
        if r.call_id != "NONE":
            calls[r.call_id].append(r.verb)
    return calls


def _log_of(driver) -> str:
    """The driver's log (and a process's last output lines), for a timeout's message."""
    text = "log:\n" + "\n".join("|".join(map(str, r)) for r in driver.records())
    return text + ("\n" + driver.tail() if hasattr(driver, "tail") else "")


def wait_for(predicate, timeout: float, what: str, driver):
    return wait_until(predicate, timeout, what, lambda: _log_of(driver))


def records_of(driver, *verbs: str) -> list:
    return [r for r in driver.records() if r.verb in verbs]


def wait_for_records(driver, verb: str, count: int = 1, timeout: float = 10.0) -> list:
    """At least ``count`` records of ``verb`` in the driver's log; returns them."""
    return wait_for(
        lambda: found if len(found := records_of(driver, verb)) >= count else None,
        timeout,
        f"{count} x {verb}",
        driver,
    )


def wait_for_ended_calls(driver, calls: int, timeout: float = 10.0) -> list:
    """At least ``calls`` calls ended (one terminal record each); returns the whole log at that moment."""

    def ended() -> list | None:
        log = driver.records()
        return log if sum(r.verb in TERMINAL_VERBS for r in log) >= calls else None

    return wait_for(ended, timeout, f"{calls} ended calls", driver)


def assert_each_call_once(records, expected_calls: int) -> None:
    calls = by_call(records)
    arrivals = [c for c, verbs in calls.items() if "ENTERQUEUE" in verbs]
    assert len(arrivals) == expected_calls, calls
    for call, verbs in calls.items():
        assert verbs.count("ENTERQUEUE") == 1, (call, verbs)
        assert sum(v in TERMINAL_VERBS for v in verbs) == 1, (call, verbs)
