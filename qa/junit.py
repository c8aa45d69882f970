"""QA results as JUnit XML, the format CI servers (Jenkins, GitLab, GitHub annotations) show as tests.

The layout follows the Ant JUnit report format, as the schema ``tests/data/junit/junit.xsd`` describes it:
``<testsuites>`` of ``<testsuite>`` (one per case) of ``<testcase>`` (one per check), a failed check carrying a
``<failure message type>`` whose text is the detail.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

from qa.checks import CaseResult


def junit_tree(suite: str, cases: list[CaseResult], when: datetime | None = None) -> ET.ElementTree:
    when = when or datetime.now(timezone.utc)
    total = sum(len(c.checks) for c in cases)
    failures = sum(c.failures for c in cases)
    root = ET.Element(
        "testsuites",
        name=suite,
        tests=str(total),
        failures=str(failures),
        errors="0",
        time=f"{sum(c.seconds for c in cases):.3f}",
    )
    for i, case in enumerate(cases):
        element = ET.SubElement(
            root,
            "testsuite",
            name=case.name,
            tests=str(len(case.checks)),
            failures=str(case.failures),
            errors="0",
            skipped="0",
            time=f"{case.seconds:.3f}",
            timestamp=when.strftime("%Y-%m-%dT%H:%M:%S"),
            hostname=socket.gethostname() or "localhost",
            id=str(i),
            package=f"hotline.qa.{case.kind}",
        )
        properties = ET.SubElement(element, "properties")
        ET.SubElement(properties, "property", name="kind", value=case.kind)
        for check in case.checks:
            test = ET.SubElement(element, "testcase", name=check.name, classname=f"{suite}.{case.name}", time="0")
            if not check.ok:
                failure = ET.SubElement(
                    test, "failure", message=check.detail or f"expected {check.expected}", type="QAExpectation"
                )
                failure.text = f"expected {check.expected}, measured {check.measured}\n{check.detail}"
        out = ET.SubElement(element, "system-out")
        out.text = "\n".join(f"{c.name}: expected {c.expected}, measured {c.measured}" for c in case.checks)
        ET.SubElement(element, "system-err").text = ""
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(path: Path, suite: str, cases: list[CaseResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(suite, cases).write(path, encoding="UTF-8", xml_declaration=True)
