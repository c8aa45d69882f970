"""``hotline site ...`` as an operator runs it, on a fresh SQLite store: bootstrap from a scenario, export,
a refused import (every problem, exit 2, the store unchanged), validate."""

from __future__ import annotations

from tests.helpers import ROOT, hotline

LIVE = ROOT / "scenarios" / "live_program.yaml"


def test_import_show_export_and_a_refused_import(tmp_path):
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": ""}
    empty = hotline("site", "show", env=env)
    assert empty.returncode == 1 and "no site configuration is stored yet" in empty.stderr
    stored = hotline("site", "import", str(LIVE), "--by", "planner", env=env)
    assert stored.returncode == 0, stored.stderr
    shown = hotline("site", "show", env=env)
    assert "version 1" in shown.stdout and "planner" in shown.stdout and "4008200200 -> orders" in shown.stdout
    exported = tmp_path / "site.yaml"
    assert hotline("site", "export", "--out", str(exported), env=env).returncode == 0
    text = exported.read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("queue: orders", "queue: sales"))
    refused = hotline("site", "import", str(bad), env=env)
    assert refused.returncode == 2
    assert (
        f"{bad}:" in refused.stderr
        and "hotlines[0].queue" in refused.stderr
        and "policy.overflow.orders" in refused.stderr
    )
    assert hotline("site", "validate", str(bad), str(LIVE), env=env).returncode == 2
    typo = tmp_path / "typo.yaml"
    typo.write_text(text.replace("wrapup: 15", "wrapup: -1"))
    refused = hotline("site", "import", str(typo), env=env)
    assert refused.returncode == 2 and f"{typo}:" in refused.stderr and "policy.wrapup" in refused.stderr
    assert hotline("site", "validate", str(exported), str(LIVE), env=env).returncode == 0
    again = hotline("site", "export", env=env)
    assert again.stdout == text  # the refused import changed nothing
