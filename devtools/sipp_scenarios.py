"""SIPp's scenarios: the templates in ``sipp_xml/`` rendered for one run (the caller's hold and ring limits,
DTMF as RFC 2833 RTP events or SIP INFO, voice after the answer; the agent's answer delay and talk time).
"""

from __future__ import annotations

from pathlib import Path

from devtools.asterisk_config import render

SCENARIOS = Path(__file__).with_name("sipp_xml")
SIPP_PCAP_DIR = Path("/usr/share/sip-tester")  # RFC 2833 DTMF pcaps shipped by sip-tester
NEVER_MS = 24 * 3600 * 1000  # "never" for SIPp timeouts
REJECT_CODES = (403, 404, 480, 486, 488, 500, 503, 603)


class SippError(RuntimeError):
    pass


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
