"""The core stays pure: standard library only, and it never reads a clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "core"
MODULES = sorted(CORE.rglob("*.py"))
ALLOWED_ROOTS = set(sys.stdlib_module_names) | {"core", "__future__"}

# attribute chains that read the wall clock or a monotonic clock
CLOCK_ATTRS = {
    "time",
    "time_ns",
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "process_time",
    "now",
    "utcnow",
    "today",
}
CLOCK_NAMES = {"time", "time_ns", "perf_counter", "perf_counter_ns", "monotonic", "monotonic_ns", "process_time"}


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: inside core
                continue
            yield node.lineno, node.module or ""


def _clock_uses(tree: ast.AST):
    """Calls such as time.time(), datetime.now(), datetime.datetime.now(), date.today(), perf_counter(),
    and names imported from ``time`` that read a clock."""
    from_time = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            from_time |= {a.asname or a.name for a in node.names if a.name in CLOCK_NAMES}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in CLOCK_ATTRS:
            base = node.value
            root = base
            while isinstance(root, ast.Attribute):
                root = root.value
            names = {getattr(root, "id", ""), getattr(base, "attr", "")}
            if names & {"time", "datetime", "date"} or node.attr in {"perf_counter", "monotonic"}:
                yield node.lineno, ast.unparse(node)
        elif isinstance(node, ast.Name) and node.id in from_time:
            yield node.lineno, node.id


def test_core_has_modules():
    names = {p.name for p in MODULES}
    assert {"center.py", "tickets.py", "config.py", "log.py", "messages.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE.parent)))
def test_core_imports_only_the_standard_library(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    outside = [(line, name) for line, name in _imports(tree) if name.split(".")[0] not in ALLOWED_ROOTS]
    assert outside == [], f"{path.name} imports outside the standard library: {outside}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(CORE.parent)))
def test_core_never_reads_a_clock(path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    uses = list(_clock_uses(tree))
    assert uses == [], f"{path.name} reads a clock: {uses}"


@pytest.mark.parametrize(
    "source, bad",
    [
        ("import time\nx = time.time()", True),
        ("from time import monotonic\nx = monotonic()", True),
        ("from time import perf_counter as pc\nx = pc()", True),
        ("import datetime\nx = datetime.datetime.now()", True),
        ("from datetime import datetime\nx = datetime.now(tz)", True),
        ("from datetime import date\nx = date.today()", True),
        ("from datetime import datetime\nx = datetime.utcnow()", True),
        ("from datetime import datetime, timezone\nx = datetime.fromtimestamp(now, timezone.utc)", False),
        ("x = msg.now", False),
        ("x = self.now + 1", False),
    ],
)
def test_the_clock_check_itself(source, bad):
    assert bool(list(_clock_uses(ast.parse(source)))) is bad


def test_the_import_check_itself():
    tree = ast.parse("import numpy\nfrom core.log import Verb\nimport heapq\nfrom . import x\nfrom simpy import Env")
    outside = [name for _, name in _imports(tree) if name.split(".")[0] not in ALLOWED_ROOTS]
    assert outside == ["numpy", "simpy"]
