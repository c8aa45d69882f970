"""The recordings search of the store (SQLite and PostgreSQL): ``SqlCallRecords.recorded`` is exactly the
records with a recording that match the caller, the agent and ``[since, until)``, newest first, one page;
``by_recording`` finds the record of a file."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from adapters.store.call_records import RECORD, SqlCallRecords, UnknownRecord
from core.call_records import CallRecord

CALLERS = ("+8613900000071", "+8613900000072", "")
AGENTS = ("agent001", "agent002")

records = st.lists(
    st.tuples(st.sampled_from(CALLERS), st.sampled_from(AGENTS), st.integers(0, 50), st.booleans()), max_size=12
)


def stored(engine, rows) -> list[CallRecord]:
    with engine.begin() as connection:
        connection.execute(delete(RECORD))
    made = [
        CallRecord(
            f"R{i:03d}",
            f"call-{i}",
            caller,
            agent,
            1.7e9 + 60 * minute,
            1.7e9 + 60 * minute + 30,
            summary="x",
            recording=f"hotline-{i}.wav" if recorded else "",
        )
        for i, (caller, agent, minute, recorded) in enumerate(rows)
    ]
    store = SqlCallRecords(engine)
    for record in made:
        store.add(record)
    return made


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=records,
    caller=st.sampled_from(CALLERS),
    agent=st.sampled_from(("",) + AGENTS),
    since=st.none() | st.integers(0, 50),
    length=st.none() | st.integers(1, 30),
    limit=st.integers(1, 5),
    offset=st.integers(0, 3),
)
def test_the_search_is_the_matching_recorded_calls_newest_first(
    engine, rows, caller, agent, since, length, limit, offset
):
    made = stored(engine, rows)
    start = None if since is None else 1.7e9 + 60 * since
    end = None if start is None or length is None else start + 60 * length
    expected = sorted(
        (
            r
            for r in made
            if r.recording
            and (not caller or r.caller == caller)
            and (not agent or r.agent_id == agent)
            and (start is None or r.started_at >= start)
            and (end is None or r.started_at < end)
        ),
        key=lambda r: (r.started_at, r.record_id),
        reverse=True,
    )[offset : offset + limit]
    found = SqlCallRecords(engine).recorded(
        caller=caller, agent_id=agent, since=start, until=end, limit=limit, offset=offset
    )
    assert found == expected


def test_a_recording_names_its_call(engine):
    made = stored(engine, [("+8613900000071", "agent001", 1, True), ("", "agent002", 2, False)])
    assert SqlCallRecords(engine).by_recording("hotline-0.wav") == made[0]
    with pytest.raises(UnknownRecord):
        SqlCallRecords(engine).by_recording("hotline-1.wav")
    with pytest.raises(UnknownRecord):
        SqlCallRecords(engine).by_recording("")
