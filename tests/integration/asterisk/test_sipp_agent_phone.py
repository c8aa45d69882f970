"""The SIPp agent phone (``devtools/sipp_xml/agent.xml``) against a hand-written SIP caller, no Asterisk: a
busy Asterisk may send its INVITE again before the phone's 200 OK reaches it (once in 200 calls under load,
the phone aborted the call and Asterisk kept it up until the caller gave up 30 s later)."""

from __future__ import annotations

import socket
import subprocess
from collections import Counter

import pytest

from devtools import sipp

pytestmark = [pytest.mark.asterisk, pytest.mark.xdist_group("asterisk")]

INVITE = """
      INVITE sip:agent001@127.0.0.1:[remote_port] SIP/2.0
      Via: SIP/2.0/UDP 127.0.0.1:[local_port];branch=z9hG4bK-hotline-resent-[call_number]
      From: <sip:13900000000@127.0.0.1>;tag=[pid]R[call_number]
      To: <sip:agent001@127.0.0.1>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@127.0.0.1:[local_port]>
      Max-Forwards: 70
      Content-Length: 0
"""


def _in_dialog(method: str, cseq: int) -> str:
    """A request of the answered call (the phone's tag is in ``[last_To:]``)."""
    return f"""
      {method} sip:agent001@127.0.0.1:[remote_port] SIP/2.0
      Via: SIP/2.0/UDP 127.0.0.1:[local_port];branch=z9hG4bK-hotline-{method.lower()}-[call_number]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Max-Forwards: 70
      Content-Length: 0
"""


# INVITE, 180, 200, the same INVITE again (same branch and CSeq: a retransmission), ACK, then hang up
CALLER = f"""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="an INVITE sent again">
  <send retrans="500"><![CDATA[{INVITE}
]]></send>
  <recv response="180"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[{INVITE}
]]></send>
  <send><![CDATA[{_in_dialog("ACK", 1)}
]]></send>
  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[{_in_dialog("BYE", 2)}
]]></send>
  <recv response="200"/>
</scenario>
"""


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_agent_phone_takes_an_invite_sent_again_while_it_waits_for_the_ack(tmp_path):
    port = _free_udp_port()
    phone = sipp.start_agent("agent001", port, answer_delay_ms=50, talk_ms=0, max_calls=1, workdir=tmp_path)
    try:
        scenario = tmp_path / "caller.xml"
        scenario.write_text(CALLER)
        caller = subprocess.run(
            [sipp.sipp_binary(), f"127.0.0.1:{port}", "-sf", str(scenario), "-i", "127.0.0.1"]
            + ["-p", str(_free_udp_port()), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error"]
            + ["-trace_err", "-error_file", str(tmp_path / "caller-errors.log")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        result = phone.wait(timeout=60)
    finally:
        phone.stop()
    assert caller.returncode == 0, caller.stdout[-2000:] + caller.stderr[-2000:]
    assert (result.outcomes, result.failed) == (Counter({"remote_bye": 1}), 0), result.summary() + result.errors()
