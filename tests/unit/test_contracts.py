"""The architecture contracts (``[tool.importlinter]`` in pyproject.toml) hold, and a broken one fails the check."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"]


def _lint_imports(project: Path) -> subprocess.CompletedProcess:
    # The project directory comes first on the path, so a copy is analysed instead of the installed tree.
    env = dict(os.environ, PYTHONPATH=str(project))
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "pyproject.toml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_contracts_are_kept():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_copy_is_kept_before_it_is_broken(project_copy):
    result = _lint_imports(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "module, source, contract",
    [
        ("core/_upward.py", "from adapters.store import models\n", "core imports nothing of the project outside core"),
        ("adapters/sim/_upward.py", "import adapters.asterisk.ari\n", "the drivers do not import each other"),
        ("console/_upward.py", "from adapters.asterisk import stasis\n", "the console never imports the live driver"),
        (
            "adapters/asterisk/_tooling.py",
            "from devtools import sipp\n",
            "the live driver never imports the development tooling",
        ),
        ("qa/_harness.py", "from devtools import harness\n", "QA replays read journals and the store"),
        (
            "dashboards/_upward.py",
            "from adapters.asterisk import stasis\n",
            "the dashboards read the store and run the twin",
        ),
        ("dashboards/_cli.py", "from entrypoints import cli\n", "the dashboards read the store and run the twin"),
        ("dashboards/_console.py", "from console import web_guard\n", "layers: imports point down the list"),
        ("reports/_upward.py", "from twin.scenario import load_scenario\n", "layers: imports point down the list"),
        ("adapters/store/_loop.py", "import adapters.store.orders\n", "no cycles between the modules of a package"),
    ],
)
def test_a_bad_import_breaks_its_contract(project_copy, module, source, contract):
    path = project_copy / module
    path.write_text(source)
    if module == "adapters/store/_loop.py":  # orders imports _loop, _loop imports orders: a cycle
        orders = project_copy / "adapters/store/orders.py"
        orders.write_text(orders.read_text() + "\nfrom adapters.store import _loop  # noqa: E402\n")
    result = _lint_imports(project_copy)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
