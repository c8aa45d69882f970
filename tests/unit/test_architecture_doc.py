"""docs/architecture.md stays true to the code: every top-level package has its section, every architecture
contract of pyproject.toml is listed by its name, and a module over 400 lines says why at its top."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
LINTER = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
LONG = 400
REASON = re.compile(r"over 400 lines", re.IGNORECASE)


def _section(title: str) -> str:
    start = DOC.index(f"\n## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start : end if end > 0 else None]


def test_every_top_level_package_has_its_section():
    headings = re.findall(r"^## (\S+)/", DOC, flags=re.MULTILINE)
    missing = [package for package in LINTER["root_packages"] if package not in " ".join(headings)]
    assert not missing, f"no '## <package>/' section in docs/architecture.md for {missing}"


def test_every_contract_is_listed_by_its_name():
    listed = " ".join(_section("Contracts").split())
    missing = [c["name"] for c in LINTER["contracts"] if c["name"] not in listed]
    assert not missing, f"docs/architecture.md's Contracts section lacks {missing}"


def _project_modules() -> list[Path]:
    tracked = subprocess.run(["git", "ls-files", "*.py"], cwd=ROOT, capture_output=True, text=True, check=True)
    files = [ROOT / name for name in tracked.stdout.split()] or list(ROOT.rglob("*.py"))
    return [f for f in files if "migrations" not in f.parts and ".venv" not in f.parts and f.exists()]


def test_a_module_over_400_lines_says_why_at_its_top():
    unexplained = []
    for module in _project_modules():
        lines = module.read_text(encoding="utf-8").splitlines()
        if len(lines) > LONG and not REASON.search("\n".join(lines[:40])):
            unexplained.append(f"{module.relative_to(ROOT)} ({len(lines)} lines)")
    assert not unexplained, "over 400 lines without 'Over 400 lines: <why>' at the top: " + ", ".join(unexplained)


def test_the_checks_catch_what_they_look_for():
    assert REASON.search('"""Things.\nOver 400 lines: one table per resource, no behaviour."""')
    assert not REASON.search('"""Things, one per resource."""')
    assert "## core/" in DOC and _section("Contracts").startswith("\n## Contracts")
