"""Issue 14, item 15: the operator's guide lists exactly the environment variables the settings objects read."""

from __future__ import annotations

import re

from adapters.asterisk.settings import LiveSettings
from adapters.store.settings import StoreSettings
from console.settings import ConsoleSettings
from tests.integration.conftest import REPO


def _variables(*classes) -> set[str]:
    return {"HOTLINE_" + name.upper() for cls in classes for name in cls.model_fields if name != "store"}


def test_the_guide_lists_every_production_variable_and_no_other():
    guide = (REPO / "docs" / "operator.md").read_text(encoding="utf-8")
    section = guide[guide.index("### Environment variables") : guide.index("### Backup and restore")]
    table = set(re.findall(r"^\| `(HOTLINE_[A-Z_]+)` \|", section, flags=re.M))
    assert table == _variables(StoreSettings, ConsoleSettings, LiveSettings)


def test_the_settings_read_the_environment_once_with_the_documented_names(monkeypatch):
    monkeypatch.setenv("HOTLINE_DATABASE_URL", "postgres://u@db/hotline")
    monkeypatch.setenv("HOTLINE_POOL_SIZE", "7")
    monkeypatch.setenv("HOTLINE_MAX_CONNECTIONS", "30")
    monkeypatch.setenv("HOTLINE_AREA_CODE", "010")
    monkeypatch.setenv("HOTLINE_ARI_PASSWORD", "s3cret")
    console = ConsoleSettings()
    assert console.store.database_url == "postgresql+psycopg://u@db/hotline" and console.store.pool_size == 7
    assert console.default_area_code == "010"
    share = console.store.for_processes(3)
    assert share.pool_size + share.pool_overflow == 5  # 30 connections, 3 workers with two pools each
    assert LiveSettings().ari().password == "s3cret"
