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

Scenarios are templates in ``sipp_scenarios/``; each run renders its own copy
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

import contextlib
import csv
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from adapters.asterisk.provision import AsteriskDevSettings, render

SCENARIOS = Path(__file__).with_name("sipp_scenarios")
SIPP_PCAP_DIR = Path("/usr/share/sip-tester")  # RFC 2833 DTMF pcaps shipped by sip-tester
NEVER_MS = 24 * 3600 * 1000  # "never" for SIPp timeouts
REJECT_CODES = (403, 404, 480, 486, 488, 500, 503, 603)
CALLER_OUTCOMES = ("remote_bye", "caller_bye", "cancel", "rejected")
AGENT_OUTCOMES = ("remote_bye", "agent_bye", "cancelled")
# SIPp prints its variables as floats: "t=1795395005.000000 us=408098.000000"
_LOG_LINE = re.compile(r"HOTLINE event=(?P<event>\w+) call=(?P<call>\d+) t=(?P<s>[\d.]+) us=(?P<us>[\d.]+)(?P<rest>.*)")


class SippError(RuntimeError):
    pass


def sipp_binary() -> str:
    path = shutil.which("sipp")
    if path is None:
        raise SippError("sipp not found: run scripts/asterisk-deps.sh (Debian package sip-tester)")
    return path


# --------------------------------------------------------------------------- results


@dataclass
class CallRecord:
    """One call's timeline from the scenario's HOTLINE log lines (epoch seconds)."""

    call: int
    events: dict[str, float] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    outcome: str | None = None

    @property
    def answered_after(self) -> float | None:
        if "invite" in self.events and "answered" in self.events:
            return self.events["answered"] - self.events["invite"]
        return None


@dataclass
class SippResult:
    role: str  # "caller" or "agent:<name>"
    returncode: int | None
    stats: dict[str, str]  # last row of the -trace_stat CSV
    calls: dict[int, CallRecord]
    workdir: Path
    stderr: str = ""

    def _int(self, key: str) -> int:
        raw = self.stats.get(f"{key}(C)", self.stats.get(key, "0")) or "0"
        try:
            return int(float(raw))
        except ValueError:
            return 0

    @property
    def created(self) -> int:
        return self._int("TotalCallCreated")

    @property
    def successful(self) -> int:
        """Calls whose scenario ran to its end (any of the expected outcomes)."""
        return self._int("SuccessfulCall")

    @property
    def failed(self) -> int:
        """Protocol failures: timeouts, unexpected messages, retransmission limits."""
        return self._int("FailedCall")

    @property
    def outcomes(self) -> Counter:
        return Counter(rec.outcome for rec in self.calls.values() if rec.outcome)

    def summary(self) -> str:
        out = ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())) or "no outcomes"
        return (
            f"{self.role}: created {self.created}, successful {self.successful}, "
            f"failed {self.failed}; {out} (exit {self.returncode}, files {self.workdir})"
        )

    def errors(self, limit: int = 4000) -> str:
        """SIPp's unexpected-message log, for assertion messages."""
        texts = [self.stderr.strip()]
        for path in sorted(self.workdir.glob("*errors*.log")):
            texts.append(path.read_text(errors="replace")[-limit:])
        return "\n".join(t for t in texts if t)


def read_stats(path: Path) -> dict[str, str]:
    """Last row of a SIPp -trace_stat CSV (';'-separated) as a dict."""
    try:
        with open(path, newline="", errors="replace") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    header, last = rows[0], rows[-1]
    return {h.strip(): v.strip() for h, v in zip(header, last) if h.strip()}


def read_call_log(path: Path, outcomes: tuple[str, ...]) -> dict[int, CallRecord]:
    calls: dict[int, CallRecord] = {}
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return calls
    for line in lines:
        m = _LOG_LINE.search(line)
        if not m:
            continue
        n = int(m.group("call"))
        rec = calls.setdefault(n, CallRecord(call=n))
        event = m.group("event")
        rec.events[event] = int(float(m.group("s"))) + float(m.group("us")) / 1e6
        for k, v in re.findall(r"(\w+)=(\S+)", m.group("rest")):
            rec.info.setdefault(k, v)
        if event in outcomes:
            rec.outcome = event
    return calls


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


# --------------------------------------------------------------------------- process


class SippProcess:
    """A running SIPp; ``wait()`` or ``stop()`` it to get a :class:`SippResult`."""

    def __init__(self, role: str, cmd: list[str], workdir: Path, outcomes: tuple[str, ...]):
        self.role = role
        self.cmd = cmd
        self.media_port = int(cmd[cmd.index("-mp") + 1]) if "-mp" in cmd else None
        self.workdir = workdir
        self.outcomes = outcomes
        self.stats_file = workdir / "stats.csv"
        self.log_file = workdir / "calls.log"
        self._stderr = open(workdir / "stderr.txt", "wb")
        self.proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            start_new_session=True,
        )
        self.result: SippResult | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_listening(self, *ports: int, timeout: float = 5.0) -> None:
        """For a UAS: wait until SIPp has bound these UDP ports, e.g. SIP and media (or died)."""
        deadline = time.monotonic() + timeout
        wanted = {f"0100007F:{port:04X}" for port in ports}
        while time.monotonic() < deadline:
            if not self.running():
                raise SippError(f"{self.role}: sipp exited ({self.proc.returncode}): {self._stderr_text()}")
            with contextlib.suppress(OSError):
                bound = {line.split()[1] for line in Path("/proc/net/udp").read_text().splitlines()[1:]}
                if wanted <= bound:
                    return
            time.sleep(0.02)
        raise SippError(f"{self.role}: sipp did not bind UDP 127.0.0.1:{ports} within {timeout} s")

    def calls_so_far(self) -> dict[int, CallRecord]:
        return read_call_log(self.log_file, self.outcomes)

    def wait(self, timeout: float | None = None) -> SippResult:
        """Wait for SIPp to finish on its own (-m calls done)."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise SippError(
                f"{self.role}: sipp still running after {timeout} s "
                f"({self.calls_so_far().__len__()} calls seen); see {self.workdir}"
            ) from None
        return self._collect()

    def stop(self, grace: float = 5.0) -> SippResult:
        """Soft exit (SIGUSR1: no new calls, finish the ongoing ones), then SIGTERM/SIGKILL."""
        if self.result is not None:
            return self.result
        if self.running():
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGUSR1)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(3)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        return self._collect()

    def _stderr_text(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "stderr.txt").read_text(errors="replace")[-2000:]
        return ""

    def _collect(self) -> SippResult:
        if self.result is None:
            self._stderr.close()
            self.result = SippResult(
                role=self.role,
                returncode=self.proc.returncode,
                stats=read_stats(self.stats_file),
                calls=read_call_log(self.log_file, self.outcomes),
                workdir=self.workdir,
                stderr=self._stderr_text(),
            )
        return self.result

    def __enter__(self) -> "SippProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


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


# --------------------------------------------------------------------------- callers


def _dtmf_block(digits: str, mode: str, delay_ms: int, gap_ms: int) -> tuple[str, int]:
    """XML for sending DTMF after the answer; returns (xml, next CSeq)."""
    if not digits:
        return "", 2
    parts = [f'  <pause milliseconds="{delay_ms}"/>']
    cseq = 2
    names = {"*": "star", "#": "pound"}
    for i, d in enumerate(digits):
        last = i == len(digits) - 1
        if d not in "0123456789*#":
            raise SippError(f"DTMF digit {d!r}: only 0-9 * #")
        if mode == "rfc2833":
            pcap = SIPP_PCAP_DIR / f"dtmf_2833_{names.get(d, d)}.pcap"
            if not pcap.exists():
                raise SippError(f"missing {pcap} (package sip-tester)")
            parts.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
            # the pcap plays asynchronously (about 200 ms); pause so digits do not overlap
            parts.append(f'  <pause milliseconds="{gap_ms if not last else 250}"/>')
        elif mode == "info":
            signal_value = {"*": "*", "#": "#"}.get(d, d)
            parts.append(f"""  <send retrans="500">
    <![CDATA[

      INFO [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "[field0]" <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]HLC[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Contact: <sip:[field0]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={signal_value}
      Duration=160

    ]]>
  </send>
  <recv response="200"/>""")
            if not last:
                parts.append(f'  <pause milliseconds="{gap_ms}"/>')
            cseq += 1
        else:
            raise SippError(f"dtmf_mode {mode!r}: 'rfc2833' or 'info'")
    parts.append(
        f'  <nop><action><gettimeofday assign_to="t_s,t_us"/>'
        f'<log message="HOTLINE event=dtmf_sent call=[call_number] t=[$t_s] us=[$t_us] digits={digits}"/>'
        f"</action></nop>"
    )
    return "\n".join(parts) + "\n", cseq


def _reject_recvs() -> str:
    out = []
    for code in REJECT_CODES:
        out.append(f"""  <recv response="{code}" optional="true" next="rejected">
    <action>
      <ereg regexp="branch=([^;, \\r\\n]+)" search_in="hdr" header="Via:" assign_to="junk,inv_branch"/>
      <assignstr assign_to="reject_code" value="{code}"/>
    </action>
  </recv>""")
    return "\n".join(out)


def _media_block(media: bool) -> str:
    if not media:
        return ""
    pcap = SIPP_PCAP_DIR / "g711a.pcap"
    if not pcap.exists():
        raise SippError(f"missing {pcap} (package sip-tester)")
    # About 8 s of PCMA voice right after the ACK, like a real phone. Without any
    # caller media, dialplan Answer() waits 500 ms for a first voice frame.
    return f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n'


def render_caller_scenario(
    *,
    hold_ms: int,
    ring_timeout_ms: int,
    dtmf: str = "",
    dtmf_mode: str = "rfc2833",
    dtmf_delay_ms: int = 500,
    dtmf_gap_ms: int = 300,
    media: bool = True,
) -> str:
    dtmf_xml, next_cseq = _dtmf_block(dtmf, dtmf_mode, dtmf_delay_ms, dtmf_gap_ms)
    return render(
        (SCENARIOS / "caller.xml").read_text(),
        {
            "media_block": _media_block(media),
            "hold_ms": hold_ms or NEVER_MS,
            "ring_timeout_ms": ring_timeout_ms or NEVER_MS,
            "dtmf_block": dtmf_xml,
            "bye_cseq": next_cseq,
            "reject_recvs": _reject_recvs(),
        },
    )


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


def render_agent_scenario(
    agent: str, *, answer_delay_ms: int, talk_ms: int, dtmf: str = "", dtmf_delay_ms: int = 1_000
) -> str:
    return render(
        (SCENARIOS / "agent.xml").read_text(),
        {
            "agent": agent,
            "answer_delay_ms": max(1, answer_delay_ms) if answer_delay_ms is not None else NEVER_MS,
            "talk_ms": talk_ms or NEVER_MS,
            "dtmf_block": _dtmf_block(dtmf, "rfc2833", dtmf_delay_ms, 300)[0],
        },
    )


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


__all__ = [
    "CallRecord",
    "MediaPorts",
    "SippError",
    "SippProcess",
    "SippResult",
    "read_call_log",
    "read_stats",
    "render_agent_scenario",
    "render_caller_scenario",
    "start_agent",
    "start_agents",
    "start_callers",
    "stop_all",
]
