"""Contract: one scripted timeline through the same core, driven by the SimPy model and by the live adapter
on the real Asterisk with real SIPp calls. The event sequences must agree once times and ids are normalised.

Timeline: agents agent001 and agent002 log in; call 1 at +1.0 s and call 2 at +1.5 s are answered and the
agents hang up after 4 s of talk; call 3 at +2.0 s finds both busy, waits 1.5 s and hangs up (an abandon,
and a callback ticket).
"""

from __future__ import annotations

import os
import re
import shutil
import time

import numpy as np
import pytest

from adapters.asterisk.stasis import build_config
from adapters.sim.distributions import Fixed
from adapters.sim.model import AgentShift, CallBehaviour, CallCenterModel, SimSetup
from core.center import CallCenter
from devtools import provision, sipp
from devtools.asterisk_settings import AsteriskDevSettings
from devtools.harness import LiveProcess, clear_asterisk
from tests.helpers import wait_until

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]

NUMBER = "4008001000"
CALLS = (  # (offset s, caller, talk s or None, patience s)
    (1.0, "13900000061", 4.0, 60.0),
    (1.5, "13900000062", 4.0, 60.0),
    (2.0, "13900000063", None, 1.5),
)
TIME_VALUE = re.compile(r"^-?\d+\.\d{3}$")


def normalise(rows: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Drop the time, name calls c1, c2, ... in order of appearance, blank out time-valued data fields."""
    names: dict[str, str] = {}
    out = []
    for row in rows:
        call = row[1]
        if call != "NONE" and call not in names:
            names[call] = f"c{len(names) + 1}"
        fields = []
        for value in row[1:]:
            for real, name in names.items():
                if value == real:
                    value = name
                elif value == f"cb-{real}":
                    value = f"cb-{name}"
            fields.append("T" if TIME_VALUE.match(value) else value)
        out.append(tuple(fields))
    return out


def simulated() -> list[tuple[str, ...]]:
    config = build_config((NUMBER,), 2, ivr_after=None)
    log: list = []
    center = CallCenter(config, log=log)
    setup = SimSetup(
        epoch=1_800_000_000.0,
        demand={},
        behaviour=CallBehaviour(patience=Fixed(60.0), handle=Fixed(4.0), agent_hangup_share=1.0),
        shifts=(AgentShift("agent001", 0.0, 3600.0), AgentShift("agent002", 0.0, 3600.0)),
        work_callbacks=False,
    )
    model = CallCenterModel(center, setup, np.random.SeedSequence(1))
    n = len(CALLS)  # the script replaces the random call plan
    model.arrival_offsets = [c[0] for c in CALLS]
    model.hotline_of = [NUMBER] * n
    model.call_ids = [f"s{i}" for i in range(n)]
    model.callers = [c[1] for c in CALLS]
    model.patience = [c[3] for c in CALLS]
    model.handle = [c[2] or 0.0 for c in CALLS]
    model.agent_hangs_up = [True] * n
    model.presses_one = [False] * n
    model._index = {cid: i for i, cid in enumerate(model.call_ids)}
    model.stats.calls = n
    model.run()
    return [r.as_text_row() for r in log]


@pytest.fixture(scope="module")
def asterisk():
    if os.geteuid() != 0 or shutil.which("sipp") is None:
        pytest.fail("the contract test needs root and sipp (scripts/asterisk-deps.sh)")
    cfg = AsteriskDevSettings().config()
    st = provision.up(cfg)
    yield st.config
    if st.started and os.environ.get("HOTLINE_ASTERISK_KEEP", "") not in ("1", "yes", "true"):
        provision.down(cfg)


def live(cfg, tmp_path) -> list[tuple[str, ...]]:
    clear_asterisk(cfg)
    ports = cfg.agent_ports()
    work = tmp_path / "sipp"
    with LiveProcess(cfg, tmp_path / "live", "--agents", "2", "--ivr-after", "0", "--numbers", NUMBER).start() as proc:
        agents = [
            sipp.start_agent(a, ports[a], answer_delay_ms=100, talk_ms=4_000, workdir=work)
            for a in ("agent001", "agent002")
        ]
        try:
            t0 = time.monotonic()
            callers = []
            for offset, caller, talk, patience in CALLS:
                time.sleep(max(0.0, t0 + offset - time.monotonic()))
                # an answered caller waits for our BYE; the impatient one hangs up after its patience
                hold_ms = 60_000 if talk else int(patience * 1000)
                callers.append(
                    sipp.start_callers(
                        NUMBER, sip_port=cfg.sip_port, hold_ms=hold_ms, caller_ids=[caller], workdir=work
                    )
                )
            results = [c.wait(timeout=30) for c in callers]
        finally:
            sipp.stop_all(agents)
        assert [r.outcomes for r in results] == [{"remote_bye": 1}, {"remote_bye": 1}, {"caller_bye": 1}], [
            r.summary() for r in results
        ]
        wait_until(
            lambda: sum(r.verb.startswith("COMPLETE") for r in proc.records()) >= 2,
            30,
            "both calls completed",
            lambda: str([r.verb for r in proc.records()]),
        )
        rows = [r.as_text_row() for r in proc.records()]
    clear_asterisk(cfg)
    return rows


def test_sim_and_live_drive_the_core_to_the_same_events(asterisk, tmp_path):
    sim = normalise(simulated())
    real = normalise(live(asterisk, tmp_path))
    expected_verbs = [
        "AGENTLOGIN",
        "AGENTLOGIN",
        "ENTERQUEUE",
        "CONNECT",
        "ENTERQUEUE",
        "CONNECT",
        "ENTERQUEUE",
        "ABANDON",
        "CALLBACK_CREATED",
        "COMPLETEAGENT",
        "COMPLETEAGENT",
    ]
    assert [row[3] for row in sim] == expected_verbs, sim
    assert real == sim
