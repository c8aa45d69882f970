"""The development Asterisk's settings (devtools): the HOTLINE_* environment the live tests and `hotline asterisk`
read, command-line options over it, and a bad value named."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.asterisk_settings import AsteriskDevSettings, ProvisionError


def test_the_environment_gives_each_session_its_own_asterisk(monkeypatch, tmp_path):
    for name, value in {
        "HOTLINE_ASTERISK_ROOT": str(tmp_path / "ast"),
        "HOTLINE_ARI_PORT": "18101",
        "HOTLINE_SIP_PORT": "15101",
        "HOTLINE_AGENT_PORT_BASE": "30000",
        "HOTLINE_RTP_PORTS": "40000-40999",
    }.items():
        monkeypatch.setenv(name, value)
    cfg = AsteriskDevSettings().config()
    assert (cfg.root, cfg.ari_port, cfg.sip_port) == (tmp_path / "ast", 18101, 15101)
    assert cfg.agent_ports()["agent001"] == 30001 and cfg.outbound_port == 30000
    assert (cfg.rtp_start, cfg.rtp_end) == (40000, 40999)
    assert cfg.sipp_media_ports == range(31000, 32000)  # clear of the agents' SIP ports
    assert AsteriskDevSettings().config(ari_port=18102, sip_port=None).ari_port == 18102  # an option over it


def test_a_bad_port_range_names_its_variable(monkeypatch):
    monkeypatch.setenv("HOTLINE_RTP_PORTS", "40000")
    with pytest.raises(ProvisionError, match="HOTLINE_RTP_PORTS"):
        AsteriskDevSettings().config()


def test_without_a_root_the_cached_one_in_the_home_directory(monkeypatch):
    monkeypatch.delenv("HOTLINE_ASTERISK_ROOT", raising=False)
    assert AsteriskDevSettings().config().root == Path.home() / ".cache" / "hotline" / "asterisk-sid"
