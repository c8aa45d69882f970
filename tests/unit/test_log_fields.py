"""Named data fields of the event log: every verb's data1..data5 have names, readers ask by name."""

from __future__ import annotations

import pytest

from core.log import DATA_FIELDS, NONE, LogRecord, NoSuchField, Verb, data_column
from tests.unit.outbound_driver import Callees
from tests.unit.test_dialer import T9, campaign, driver, numbers
from tests.unit.test_eventlog_io import core_log

VERBS = [value for name, value in vars(Verb).items() if name.isupper()]


def test_every_verb_has_named_fields():
    assert sorted(DATA_FIELDS) == sorted(VERBS)
    for verb, names in DATA_FIELDS.items():
        assert 1 <= len(names) <= 5, verb
        assert len(set(names)) == len(names), verb
        assert all(name.isidentifier() for name in names), verb


@pytest.mark.parametrize("verb", VERBS)
def test_a_field_is_read_from_its_column(verb):
    names = DATA_FIELDS[verb]
    record = LogRecord(1.0, "c1", "sales", NONE, verb, *(f"value of {name}" for name in names))
    for i, name in enumerate(names):
        assert record.field(name) == f"value of {name}"
        assert data_column(verb, name) == f"data{i + 1}"


def test_asking_for_a_field_the_verb_lacks_names_the_verb_and_its_fields():
    record = LogRecord(1.0, "c1", "sales", NONE, Verb.ABANDON, 1, 1, 12.5, "0")
    assert record.field("waittime") == 12.5
    with pytest.raises(NoSuchField, match=r"ABANDON records have no field 'holdtime'; theirs are position, "):
        record.field("holdtime")
    with pytest.raises(NoSuchField, match="holdtime"):
        data_column(Verb.ABANDON, "holdtime")


def test_a_verb_outside_the_table_is_a_clear_error():
    record = LogRecord(1.0, "c1", "sales", NONE, "ADDMEMBER", "x")
    with pytest.raises(NoSuchField, match=r"'ADDMEMBER' is not a verb with named data fields \(asked for 'x'\)"):
        record.field("x")


def outbound_log() -> list[LogRecord]:
    """A real dialer's records: a predictive campaign (answers, drops, retries, results) and a broadcast."""
    log: list[LogRecord] = []
    for mode, extra in (("predictive", {}), ("broadcast", {"agents": ("a1",), "recording": "notice"})):
        d = driver(callees=Callees(answer_rate=0.6, patience=5, digits="0"))
        d.login("a1", "a2")
        d.load(campaign(mode, **extra), numbers(40))
        d.run_until(T9 + 3 * 3600)
        log += d.center.log
    return log


@pytest.mark.parametrize("log", [core_log, outbound_log])
def test_writers_put_no_data_past_the_named_fields(log):
    records = log()
    assert len({r.verb for r in records}) >= 6
    for record in records:
        unnamed = record[5 + len(DATA_FIELDS[record.verb]) :]
        assert all(value == "" for value in unnamed), record
