"""A small harness around SIPp (Debian package ``sip-tester``) for live tests.

Two roles, each one SIPp subprocess:

* :func:`start_callers` - a UAC that dials a hotline number on the local
  Asterisk: ``calls`` calls at ``rate`` calls/s, each caller staying at most
  ``hold_ms`` after the answer (Asterisk normally hangs up first), giving up
  (CANCEL) if not answered within ``ring_timeout_ms``, optionally sending DTMF
  after the answer (RFC 4733/2833 RTP events, or SIP INFO).
* :func:`start_agent` - a UAS that answers as one agent endpoint (e.g.
  ``agent001`` on 127.0.0.1:16001): answer after ``answer_delay_ms`` (or never),
  hang up after ``talk_ms`` unless Asterisk hangs up first.

Scenarios are templates in ``sipp_xml/`` (``sipp_scenarios``); each run renders its own copy
into a work directory together with SIPp's statistics (``-trace_stat``), final
screen (``-trace_screen``), errors (``-trace_err``) and a per-call outcome log
(``-trace_logs``; lines ``HOTLINE event=<outcome> call=<n> t=<s> us=<us>``).
:meth:`SippProcess.wait` / :meth:`SippProcess.stop` return a
:class:`SippResult` with SIPp's counters and the per-call outcomes.

Everything binds to 127.0.0.1 (SIP, media, SIPp's control socket). Each SIPp process gets its own media
ports (``-mp``) from :class:`MediaPorts`: left to itself, every SIPp tries 6000, 6002, ... and the 51st
process at once finds none free.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from pathlib import Path

from devtools.asterisk_settings import AsteriskDevSettings
from devtools.sipp_process import SippProcess, SippResult
from devtools.sipp_scenarios import SippError, render_agent_scenario, render_caller_scenario

CALLER_OUTCOMES = ("remote_bye", "caller_bye", "cancel", "rejected")
AGENT_OUTCOMES = ("remote_bye", "agent_bye", "cancelled")


def sipp_binary() -> str:
    path = shutil.which("sipp")
    if path is None:
        raise SippError("sipp not found: run scripts/asterisk-deps.sh (Debian package sip-tester)")
    return path


# --------------------------------------------------------------------------- media ports


def _udp_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class MediaPorts:
    """Media ports for SIPp processes from one range: SIPp binds audio at ``-mp`` and video two above (RTCP
    would take the odd ones), so each process takes 4 ports. Ports in use (another run, another developer's
    SIPp) are skipped; a range used up wraps around to the ports that finished processes gave back."""

    STEP = 4

    def __init__(self, ports: range) -> None:
        if len(ports) < self.STEP:
            raise SippError(f"media port range {ports.start}-{ports.stop - 1}: fewer than {self.STEP} ports")
        self.ports = ports
        self._next = ports.start

    def take(self) -> int:
        slots = (len(self.ports) - 3) // self.STEP
        for _ in range(slots):
            port = self._next
            self._next = port + self.STEP
            if self._next + 3 >= self.ports.stop:
                self._next = self.ports.start
            if _udp_free(port) and _udp_free(port + 2):
                return port
        raise SippError(
            f"no free SIPp media ports in {self.ports.start}-{self.ports.stop - 1} (HOTLINE_SIPP_MEDIA_PORTS)"
        )


_media_ports: MediaPorts | None = None


def default_media_ports() -> MediaPorts:
    """One allocator per process, over the configured range (``HOTLINE_SIPP_MEDIA_PORTS``)."""
    global _media_ports
    if _media_ports is None:
        _media_ports = MediaPorts(AsteriskDevSettings().config().sipp_media_ports)
    return _media_ports


def _common_args(workdir: Path, scenario: Path, media_port: int) -> list[str]:
    return [
        "-sf",
        str(scenario),
        "-i",
        "127.0.0.1",
        "-mi",
        "127.0.0.1",
        "-ci",
        "127.0.0.1",
        "-bind_local",
        "-mp",
        str(media_port),
        "-t",
        "u1",
        "-nostdin",
        "-aa",
        "-trace_stat",
        "-stf",
        str(workdir / "stats.csv"),
        "-fd",
        "1",
        "-trace_screen",
        "-screen_file",
        str(workdir / "screen.log"),
        "-trace_err",
        "-error_file",
        str(workdir / "errors.log"),
        "-trace_logs",
        "-log_file",
        str(workdir / "calls.log"),
    ]


def _workdir(base: Path | None, role: str) -> Path:
    base = Path(base) if base else Path(tempfile.gettempdir()) / "hotline-sipp"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{role.replace(':', '-')}-", dir=base))


def _rate_args(rate: float) -> list[str]:
    if rate <= 0:
        raise SippError("rate must be positive (calls per second)")
    # -r N -rp P: N calls every P ms; keep N integral for exact pacing
    if float(rate).is_integer():
        return ["-r", str(int(rate)), "-rp", "1000"]
    period_ms = max(1, round(1000 / rate))
    return ["-r", "1", "-rp", str(period_ms)]


def start_callers(
    number: str,
    *,
    calls: int = 1,
    rate: float = 1.0,
    sip_port: int = 15060,
    hold_ms: int = 30_000,
    ring_timeout_ms: int = 30_000,
    caller_ids: list[str] | None = None,
    max_concurrent: int | None = None,
    dtmf: str = "",
    dtmf_mode: str = "rfc2833",
    dtmf_delay_ms: int = 500,
    dtmf_gap_ms: int = 300,
    media: bool = True,
    timeout_s: float | None = None,
    workdir: Path | None = None,
    extra_args: list[str] | None = None,
    media_ports: MediaPorts | None = None,
) -> SippProcess:
    """Start a SIPp UAC placing ``calls`` calls to ``number`` at 127.0.0.1:sip_port.

    ``hold_ms``: how long an answered caller stays before hanging up itself
    (0 = until Asterisk hangs up). ``ring_timeout_ms``: CANCEL if not answered
    by then. ``caller_ids``: the callers' numbers (From user), used in turn;
    default 13800000001, 13800000002, ... ``dtmf``: digits to send after the
    answer, ``dtmf_mode`` ``"rfc2833"`` (RTP events from sip-tester's pcaps)
    or ``"info"`` (SIP INFO application/dtmf-relay). ``media``: play about
    8 s of voice (sip-tester's g711a.pcap) after the answer. ``timeout_s``: SIPp's
    global timeout (default: enough for all calls plus 60 s). ``media_ports``: where this process's media
    port comes from (default: ``HOTLINE_SIPP_MEDIA_PORTS``).
    """
    if calls < 1:
        raise SippError("calls must be >= 1")
    wd = _workdir(workdir, "caller")
    scenario = wd / "caller.xml"
    scenario.write_text(
        render_caller_scenario(
            hold_ms=hold_ms,
            ring_timeout_ms=ring_timeout_ms,
            dtmf=dtmf,
            dtmf_mode=dtmf_mode,
            dtmf_delay_ms=dtmf_delay_ms,
            dtmf_gap_ms=dtmf_gap_ms,
            media=media,
        )
    )
    ids = caller_ids or [f"138{i:08d}" for i in range(1, calls + 1)]
    with open(wd / "callers.csv", "w") as fh:
        fh.write("SEQUENTIAL\n")
        for cid in ids:
            fh.write(f"{cid};\n")
    if timeout_s is None:
        timeout_s = calls / rate + (hold_ms or 600_000) / 1000 + (ring_timeout_ms or 0) / 1000 + 60
    cmd = [
        sipp_binary(),
        f"127.0.0.1:{sip_port}",
        "-s",
        number,
        *_common_args(wd, scenario, (media_ports or default_media_ports()).take()),
        "-inf",
        str(wd / "callers.csv"),
        "-m",
        str(calls),
        *_rate_args(rate),
        "-l",
        str(max_concurrent or calls),
        # a BYE that arrives during a <pause> (e.g. while sending DTMF) is not
        # an error: Asterisk retransmits it and the next <recv BYE> takes it
        "-pause_msg_ign",
        # nor is a message that arrives while the call is between two <recv>s: after an answer that
        # crossed the CANCEL, the CANCEL's own answer may come while the ACK and BYE go out
        "-default_behaviors",
        "all,-abortunexp",
        "-timeout",
        f"{int(timeout_s) + 1}s",
        *(extra_args or []),
    ]
    return SippProcess("caller", cmd, wd, CALLER_OUTCOMES)


# --------------------------------------------------------------------------- agents


def start_agent(
    agent: str,
    port: int,
    *,
    answer_delay_ms: int | None = 500,
    talk_ms: int = 5_000,
    max_calls: int | None = None,
    workdir: Path | None = None,
    extra_args: list[str] | None = None,
    wait_ready: bool = True,
    media_ports: MediaPorts | None = None,
    dtmf: str = "",
) -> SippProcess:
    """Start a SIPp UAS answering as ``agent`` on 127.0.0.1:``port`` (``dtmf``: digits it sends once answered,
    as a customer pressing keys would).

    ``answer_delay_ms=None`` never answers (rings until Asterisk cancels);
    ``talk_ms=0`` talks until Asterisk hangs up. ``max_calls``: exit after
    that many calls (default: run until stopped). ``media_ports``: as for
    :func:`start_callers`; a media port taken between the check and SIPp's
    bind (another process) is retried with the next one.
    """
    media_ports = media_ports or default_media_ports()
    attempts = 3
    while True:
        attempts -= 1
        wd = _workdir(workdir, f"agent:{agent}")
        scenario = wd / "agent.xml"
        scenario.write_text(render_agent_scenario(agent, answer_delay_ms=answer_delay_ms, talk_ms=talk_ms, dtmf=dtmf))
        media_port = media_ports.take()
        cmd = [sipp_binary(), *_common_args(wd, scenario, media_port), "-p", str(port)]
        if max_calls:
            cmd += ["-m", str(max_calls)]
        cmd += extra_args or []
        proc = SippProcess(f"agent:{agent}", cmd, wd, AGENT_OUTCOMES)
        if not wait_ready:
            return proc
        try:
            proc.wait_listening(port, media_port)
            return proc
        except SippError as exc:
            proc.stop()
            if not attempts or "RTP socket" not in str(exc):
                raise


def start_agents(ports: dict[str, int], **kw) -> dict[str, SippProcess]:
    """One UAS per agent (``ports`` as from ``LocalAsteriskConfig.agent_ports()``)."""
    started: dict[str, SippProcess] = {}
    try:
        for agent, port in ports.items():
            started[agent] = start_agent(agent, port, **kw)
    except BaseException:
        for p in started.values():
            p.stop()
        raise
    return started


def stop_all(processes) -> list[SippResult]:
    return [p.stop() for p in processes]
