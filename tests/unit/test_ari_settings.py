"""The live driver's ARI settings (issue 14, item 12): no development password in production, and the
credentials travel in a header, never in the websocket URL (URLs end up in logs)."""

from __future__ import annotations

import base64

import pytest

from adapters.asterisk.ari import DEV_PASSWORD
from adapters.asterisk.settings import LiveSettings


def test_production_refuses_the_development_password():
    with pytest.raises(ValueError, match="HOTLINE_ARI_PASSWORD"):
        LiveSettings(env="production").ari()
    with pytest.raises(ValueError):
        LiveSettings(env="Production", ari_password=DEV_PASSWORD).ari()
    assert LiveSettings(env="production", ari_password="s3cret").ari().password == "s3cret"
    assert LiveSettings().ari().password == DEV_PASSWORD  # development keeps its default


def test_the_environment_names_production(monkeypatch):
    monkeypatch.setenv("HOTLINE_ENV", "production")
    monkeypatch.delenv("HOTLINE_ARI_PASSWORD", raising=False)
    with pytest.raises(ValueError, match="HOTLINE_ARI_PASSWORD"):
        LiveSettings().ari()


def test_the_websocket_url_holds_no_credentials():
    settings = LiveSettings(ari_url="https://pbx.example:8089", ari_user="drv", ari_password="pa:ss").ari()
    assert settings.ws_url == "wss://pbx.example:8089/ari/events?app=hotline"
    assert "pa" not in settings.ws_url and "drv" not in settings.ws_url
    scheme, token = settings.ws_headers["Authorization"].split()
    assert scheme == "Basic" and base64.b64decode(token).decode() == "drv:pa:ss"
