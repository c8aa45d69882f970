"""``hotline dash`` as a planner runs it: a real process on a free port, the store migrated, the pages served."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.helpers import ROOT, hotline_env, running


def test_hotline_dash_migrates_the_store_and_serves_every_page(tmp_path):
    data_dir = tmp_path / "data"
    with running("dash", "--port", "0", "--cache-dir", str(tmp_path / "cache"), env=hotline_env(data_dir)) as output:
        base = output.wait_for(r"^Hotline dashboards on (http://127\.0\.0\.1:\d+)/plan$").group(1)
        assert (data_dir / "hotline.db").is_file()
        for path in ("/plan", "/live", "/media", "/history"):
            assert httpx.get(base + path, timeout=30).status_code == 200, path
        layout = httpx.get(f"{base}/_dash-layout", timeout=30).json()
        assert "Hotline dashboards" in str(layout)


def test_hotline_dash_help_explains_itself():
    shown = subprocess.run(  # an empty environment: the help needs nothing configured
        [sys.executable, "-m", "entrypoints.cli", "dash", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"COLUMNS": "200", "PATH": ""},
    )
    assert shown.returncode == 0 and "Live against plan" in shown.stdout and "--port" in shown.stdout
