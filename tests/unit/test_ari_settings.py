"""The live driver's ARI settings (issue 14, item 12): no development password in production, and the
credentials travel in a header, never in the websocket URL (URLs end up in logs)."""

from __future__ import annotations

import base64

import pytest

from adapters.asterisk.ari import DEV_PASSWORD, AriSettings


def test_production_refuses_the_development_password():
    with pytest.raises(ValueError, match="HOTLINE_ARI_PASSWORD"):
        AriSettings.from_env({"HOTLINE_ENV": "production"})
    with pytest.raises(ValueError):
        AriSettings.from_env({"HOTLINE_ENV": "Production", "HOTLINE_ARI_PASSWORD": DEV_PASSWORD})
    assert AriSettings.from_env({"HOTLINE_ENV": "production", "HOTLINE_ARI_PASSWORD": "s3cret"}).password == "s3cret"
    assert AriSettings.from_env({}).password == DEV_PASSWORD  # development keeps its default


def test_the_websocket_url_holds_no_credentials():
    settings = AriSettings.from_env({"HOTLINE_ARI_URL": "https://pbx.example:8089", "HOTLINE_ARI_USER": "drv",
                                     "HOTLINE_ARI_PASSWORD": "pa:ss"})
    assert settings.ws_url == "wss://pbx.example:8089/ari/events?app=hotline"
    assert "pa" not in settings.ws_url and "drv" not in settings.ws_url
    scheme, token = settings.ws_headers["Authorization"].split()
    assert scheme == "Basic" and base64.b64decode(token).decode() == "drv:pa:ss"
