"""A surge through the live driver on the local Asterisk, and the same load through app_queue (the anchor).

SIPp offers ``--calls`` calls at ``--rate`` calls/s to a hotline number; ``--agents`` SIPp agents answer
after ``--answer-ms`` and hang up after ``--talk-ms``; a waiting caller hears ringing (the live driver with
``answer_while_queued=False``, app_queue with option ``r``) and gives up (CANCEL) after ``--patience-ms``
without an answer. Reported, as JSON:

* live: answered, abandoned, tickets, callback prompts, lost (placed by SIPp but not in the event log:
  must be 0), and StasisStart -> originate latency p50/p99 (from the StasisStart event's own timestamp to
  the originate request answered by ARI, so a backlog in the driver counts; calls that found an idle agent);
* per call, for both: each SIPp caller (by its unique caller id) against the call the event log has for it
  (``harness.compare_calls``): answered by SIPp (a 200 OK) must be answered in the log, a CANCEL an
  abandon; the mismatches are counted by kind, and ``answered_equals_sipp`` says whether the log's answered
  calls are exactly SIPp's;
* anchor: the same load to ``9<number>`` (Asterisk's Queue(), rrmemory): answered / abandoned from
  Asterisk's queue_log, and SIPp's outcomes;
* both: caller INVITE sent -> agent phone's INVITE received (SIPp clocks, one machine) over the first
  ``--agents`` callers, who find an idle agent: the dispatch latency as a caller sees it, measured alike.

Needs root, a running or startable dev Asterisk (``hotline asterisk up``) and sipp.
Run: ``.venv/bin/python -m benchmarks.live_surge --calls 60 --rate 6 --agents 4``
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from adapters.asterisk.stasis import build_config
from benchmarks.percentiles import percentile
from core.log import TERMINAL_VERBS
from devtools import provision, sipp
from devtools.asterisk_process import cli
from devtools.asterisk_settings import AsteriskDevSettings
from devtools.harness import InProcessDriver, clear_asterisk, compare_calls, read_log


def run_tag() -> str:
    return f"{random.randrange(100):02d}"


def _dispatch_latency(callers, agent_results, first: int) -> dict:
    """SIP to SIP: the caller's INVITE sent -> the first INVITE an agent phone received for that caller
    (matched by caller id), over the first ``first`` callers, who all find an idle agent. Measured the same
    way for the live driver and for app_queue."""
    sent = {
        rec.info.get("from"): rec.events["invite"]
        for rec in callers.calls.values()
        if rec.call <= first and "invite" in rec.events
    }
    rung: dict[str, float] = {}
    for result in agent_results:
        for rec in result.calls.values():
            who = rec.info.get("from", "").removeprefix("sip:")  # the agent's log has the From URI's user part
            if who in sent and "invite" in rec.events:
                rung[who] = min(rung.get(who, rec.events["invite"]), rec.events["invite"])
    delays = [rung[who] - sent[who] for who in sent if who in rung]
    return _summary(delays, len(sent))


def _summary(seconds: list[float], of: int | None = None) -> dict:
    out = {"n": len(seconds)}
    if of is not None:
        out["of"] = of
    out.update(
        {
            "p50": round(percentile(seconds, 0.5) * 1000, 2) if seconds else None,
            "p99": round(percentile(seconds, 0.99) * 1000, 2) if seconds else None,
            "mean": round(statistics.fmean(seconds) * 1000, 2) if seconds else None,
        }
    )
    return out


def _anchor_members(cfg, active: int) -> None:
    """app_queue rings every member of the queue: pause those without a SIPp phone in this run."""
    for i, agent in enumerate(cfg.agent_names()):
        state = "unpause" if i < active else "pause"
        cli(cfg, f"queue {state} member PJSIP/{agent} queue hotline-anchor")


def _offer(cfg, number: str, args, work: Path, tag: str):
    agents = sipp.start_agents(
        {a: cfg.agent_ports()[a] for a in cfg.agent_names()[: args.agents]},
        answer_delay_ms=args.answer_ms,
        talk_ms=args.talk_ms,
        workdir=work,
    )
    try:
        t0 = time.time()
        # caller ids unique to this run and phase: a late INVITE retransmission from an earlier run must not
        # be taken for this run's call by the latency matching
        ids = [f"13{tag}{i:06d}" for i in range(1, args.calls + 1)]
        # Waiting callers hear ringing in both systems: patience is the time until an answer (then CANCEL);
        # an answered caller stays until the agent (or the callback prompt) hangs up.
        callers = sipp.start_callers(
            number,
            calls=args.calls,
            rate=args.rate,
            sip_port=cfg.sip_port,
            hold_ms=args.talk_ms + 120_000,
            ring_timeout_ms=args.patience_ms,
            caller_ids=ids,
            workdir=work,
        )
        limit = args.calls / args.rate + args.patience_ms / 1000 + args.talk_ms / 1000 * args.calls + 120
        result = callers.wait(timeout=limit)
    finally:
        agent_results = sipp.stop_all(agents.values())
    return t0, result, agent_results


def run_live(cfg, args, work: Path) -> dict:
    clear_asterisk(cfg)
    config = build_config(
        cfg.numbers, args.agents, ring_timeout=15.0, ivr_after=args.ivr_after or None, callback_reserve=None
    )  # no callbacks: every agent INVITE is an offered call
    driver = InProcessDriver(cfg, work / "live", config, answer_while_queued=False)
    try:
        _, result, agent_results = _offer(cfg, cfg.numbers[0], args, work / "live-sipp", f"{run_tag()}0")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            records = driver.records()
            calls = {r.call_id for r in records if r.verb == "ENTERQUEUE"}
            ended = {r.call_id for r in records if r.verb in TERMINAL_VERBS}
            if len(calls) >= result.created and calls <= ended:
                break
            time.sleep(0.1)
        latency = list(driver.driver.stats.stasis_to_originate)
    finally:
        driver.stop()
        clear_asterisk(cfg)
    records = driver.records()
    verbs = Counter(r.verb for r in records)
    in_log = {r.call_id for r in records if r.verb == "ENTERQUEUE"}
    rejected = result.outcomes.get("rejected", 0)
    return {
        **_outcomes(result, records, verbs),
        "callback_prompts": verbs["CALLBACK_PROMPT"],
        "tickets": verbs["CALLBACK_CREATED"],
        "lost": result.created - rejected - len(in_log),
        "rejected_by_asterisk": rejected,
        "stasis_to_originate_ms": _summary(latency),
        "caller_invite_to_agent_invite_ms": _dispatch_latency(result, agent_results, args.agents),
    }


def _outcomes(result, records, verbs: Counter) -> dict:
    """What SIPp placed and how the calls ended by the queue log, compared call by call with SIPp's view."""
    answered = verbs["COMPLETEAGENT"] + verbs["COMPLETECALLER"]
    comparison = compare_calls(result, records)
    return {
        "placed": result.created,
        "sipp_outcomes": dict(result.outcomes),
        "sipp_failed": result.failed,
        "answered": answered,
        "abandoned": verbs["ABANDON"],
        "ring_no_answers": verbs["RINGNOANSWER"],
        "sipp_answered": comparison.sipp["answered"],
        "answered_equals_sipp": answered == comparison.sipp["answered"],
        "per_call": comparison.summary(),
    }


def run_anchor(cfg, status, args, work: Path) -> dict:
    clear_asterisk(cfg)
    _anchor_members(cfg, args.agents)
    t0, result, agent_results = _offer(
        cfg, cfg.anchor_number(cfg.numbers[0]), args, work / "anchor-sipp", f"{run_tag()}1"
    )
    time.sleep(0.5)
    records = [r for r in read_log(status.queue_log) if r.time >= int(t0) and r.queue == "hotline-anchor"]
    verbs = Counter(r.verb for r in records)
    return {
        **_outcomes(result, records, verbs),
        "lost": result.created - result.outcomes.get("rejected", 0) - verbs["ENTERQUEUE"],
        "caller_invite_to_agent_invite_ms": _dispatch_latency(result, agent_results, args.agents),
        "queue_log_verbs": dict(verbs),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--rate", type=float, default=4.0, help="calls per second offered")
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--answer-ms", type=int, default=200)
    parser.add_argument("--talk-ms", type=int, default=3_000)
    parser.add_argument("--patience-ms", type=int, default=6_000, help="a waiting caller hangs up after this")
    parser.add_argument("--ivr-after", type=float, default=0.0, help="live: callback prompt after this wait (0: off)")
    parser.add_argument("--skip-anchor", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    status = provision.up(AsteriskDevSettings().config(), log=lambda line: None)
    cfg = status.config
    if args.agents > cfg.agents:
        parser.error(f"the dev Asterisk has {cfg.agents} agents (HOTLINE_AGENTS, then `hotline asterisk down/up`)")
    work = Path(tempfile.mkdtemp(prefix="hotline-surge-"))
    report = {
        "load": {k: v for k, v in vars(args).items() if k != "skip_anchor"},
        "workdir": str(work),
        "live": run_live(cfg, args, work),
    }
    if not args.skip_anchor:
        report["anchor_app_queue"] = run_anchor(cfg, status, args, work)
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
