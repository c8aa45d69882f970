"""The event log as a flat table, and its files: Parquet and Asterisk's queue_log.

Every report is computed from a ``pandas.DataFrame`` with the columns ``core.log.FIELDS``:
``time`` (float64 epoch seconds) and nine text columns (``call_id``, ``queue``, ``agent``, ``verb``,
``data1`` .. ``data5``) holding exactly what ``LogRecord.as_text_row`` writes; ``core.log.data_column`` says
which data column holds a verb's named field. The simulation and the live driver write the same records, so
the same code computes their KPIs. The analysis of the table (agent timeline, one row per call) is in
``reports.timeline`` and ``reports.call_lives``.
"""

from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from core.log import FIELDS, LogRecord, format_value

TEXT_FIELDS = FIELDS[1:]
TEXT_DTYPE = "str"  # pandas' text dtype (Arrow-backed in pandas 3, object in pandas 2)

PARQUET_SCHEMA = pa.schema(
    [pa.field("time", pa.float64(), nullable=False)]
    + [pa.field(name, pa.string(), nullable=False) for name in TEXT_FIELDS],
    metadata={b"hotline.eventlog": b"1"},
)

# --- building and normalising the frame -----------------------------------------------------------


def empty_frame() -> pd.DataFrame:
    data = {"time": np.array([], dtype="float64")}
    data.update({name: pd.Series([], dtype=TEXT_DTYPE) for name in TEXT_FIELDS})
    return pd.DataFrame(data)


def records_to_frame(records: Iterable[LogRecord]) -> pd.DataFrame:
    """Records as the log table: ``time`` float64, the other fields the text ``LogRecord.as_text_row``
    gives them (data values through ``core.log.format_value``)."""
    records = records if isinstance(records, list) else list(records)
    if not records:
        return empty_frame()
    data = {"time": np.fromiter((r.time for r in records), dtype="float64", count=len(records))}
    data["call_id"] = pd.Series([r.call_id for r in records], dtype=TEXT_DTYPE)
    data["queue"] = pd.Series([r.queue for r in records], dtype=TEXT_DTYPE)
    data["agent"] = pd.Series([r.agent for r in records], dtype=TEXT_DTYPE)
    data["verb"] = pd.Series([r.verb for r in records], dtype=TEXT_DTYPE)
    for name, values in (
        ("data1", [r.data1 for r in records]),
        ("data2", [r.data2 for r in records]),
        ("data3", [r.data3 for r in records]),
        ("data4", [r.data4 for r in records]),
        ("data5", [r.data5 for r in records]),
    ):
        data[name] = pd.Series([v if type(v) is str else format_value(v) for v in values], dtype=TEXT_DTYPE)
    return pd.DataFrame(data)


def frame_to_records(frame: pd.DataFrame) -> list[LogRecord]:
    """The table back as records; data fields stay text (as ``parse_queue_log_line`` leaves them)."""
    frame = as_frame(frame)
    columns = [frame["time"].tolist()] + [frame[name].tolist() for name in TEXT_FIELDS]
    return [LogRecord(*row) for row in zip(*columns)]


def as_frame(log) -> pd.DataFrame:
    """Accept a log table or an iterable of ``LogRecord``; return a table with exactly ``FIELDS``."""
    if isinstance(log, pd.DataFrame):
        missing = [name for name in FIELDS if name not in log.columns]
        if missing:
            raise ValueError(f"event-log frame lacks column(s) {', '.join(missing)}")
        frame = log.loc[:, list(FIELDS)]
        out = {"time": frame["time"].astype("float64").to_numpy()}
        for name in TEXT_FIELDS:
            column = frame[name]
            if column.dtype != TEXT_DTYPE:
                column = column.fillna("").astype(TEXT_DTYPE)
            elif column.hasnans:
                column = column.fillna("")
            out[name] = column.reset_index(drop=True)
        return pd.DataFrame(out)
    return records_to_frame(log)


def in_time_order(log) -> pd.DataFrame:
    """The table in time order (stable: records at the same time keep their log order), 0..n-1 index."""
    frame = as_frame(log)
    if not frame["time"].is_monotonic_increasing:
        frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    return frame


def empty_table(columns, dtypes: dict[str, str]) -> pd.DataFrame:
    """A table with these columns and no rows; text columns unless ``dtypes`` names another type."""
    return pd.DataFrame({name: pd.Series([], dtype=dtypes.get(name, TEXT_DTYPE)) for name in columns})


# --- Parquet -----------------------------------------------------------------------------------------


REPLICATION = "replication"  # optional integer column: which twin replication a record belongs to


def _to_table(frame: pd.DataFrame, replication: pd.Series | None = None) -> pa.Table:
    arrays = [pa.array(frame["time"].to_numpy(dtype="float64"), type=pa.float64())]
    for name in TEXT_FIELDS:
        arrays.append(pa.array(frame[name], from_pandas=True).cast(pa.string()))
    schema = PARQUET_SCHEMA
    if replication is not None:
        arrays.append(pa.array(replication.to_numpy(dtype="int32"), type=pa.int32()))
        schema = schema.append(pa.field(REPLICATION, pa.int32(), nullable=False))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(records_or_frame, path: str | os.PathLike) -> None:
    """Write the log as Parquet. Same records -> same bytes (fixed schema and options, no pandas metadata,
    no timestamps), with the same pyarrow version. A frame's ``replication`` column is kept."""
    replication = None
    if isinstance(records_or_frame, pd.DataFrame) and REPLICATION in records_or_frame.columns:
        replication = records_or_frame[REPLICATION].reset_index(drop=True)
    table = _to_table(as_frame(records_or_frame), replication)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1 << 20,
        data_page_version="1.0",
        version="2.6",
    )


def read_parquet(path: str | os.PathLike) -> pd.DataFrame:
    table = pq.read_table(path)
    missing = [name for name in FIELDS if name not in table.column_names]
    if missing:
        raise ValueError(f"{path}: not an event log, lacks column(s) {', '.join(missing)}")
    data = {"time": table.column("time").to_numpy().astype("float64")}
    for name in TEXT_FIELDS:
        data[name] = _text_series(table.column(name))
    if REPLICATION in table.column_names:
        data[REPLICATION] = table.column(REPLICATION).to_numpy()
    return pd.DataFrame(data)


def _text_series(column) -> pd.Series:
    series = column.to_pandas()
    if series.dtype != TEXT_DTYPE:
        series = series.astype(TEXT_DTYPE)
    return series.fillna("").reset_index(drop=True)


# --- Asterisk queue_log ----------------------------------------------------------------------------


def write_queue_log(records_or_frame, path: str | os.PathLike) -> None:
    """Asterisk's ``queue_log`` text: ``epoch|callid|queue|agent|event|data1|..|data5``, one line per record.
    Times become whole seconds (as Asterisk writes them), so sub-second precision is lost."""
    if isinstance(records_or_frame, pd.DataFrame):
        frame = as_frame(records_or_frame)
        seconds = frame["time"].to_numpy(dtype="float64").astype("int64").astype(str)
        lines = pd.Series(seconds, dtype=TEXT_DTYPE)
        for name in TEXT_FIELDS:
            lines = lines + "|" + frame[name]
        text_lines = lines.tolist()
    else:
        text_lines = [record.to_queue_log() for record in records_or_frame]
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        for line in text_lines:
            out.write(line)
            out.write("\n")


def read_queue_log(path: str | os.PathLike) -> pd.DataFrame:
    """Read a queue_log file (ours or Asterisk's) into the log table. Missing data fields become "",
    fields past data5 are dropped (like ``core.log.parse_queue_log_line``); blank lines are skipped."""
    with open(path, encoding="utf-8", newline="") as source:
        text = source.read()
    lines = pc.utf8_rtrim(pa.array(text.split("\n"), type=pa.string()), characters="\r")
    lines = lines.filter(pc.not_equal(lines, ""))
    if len(lines) == 0:
        return empty_frame()
    short = pc.less(pc.list_value_length(pc.split_pattern(lines, "|")), 5)
    if pc.any(short).as_py():
        bad = lines.filter(short)[0].as_py()
        raise ValueError(f"{path}: queue_log line has fewer than 5 fields: {bad!r}")
    padded = pc.split_pattern(pc.binary_join_element_wise(lines, pa.scalar("|" * (len(FIELDS) - 1)), ""), "|")
    columns = [pc.list_element(padded, i) for i in range(len(FIELDS))]
    try:
        times = pc.cast(columns[0], pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, ValueError) as error:
        raise ValueError(f"{path}: a queue_log time is not a number ({error})") from None
    data = {"time": times.astype("float64")}
    for name, values in zip(TEXT_FIELDS, columns[1:]):
        data[name] = _text_series(values)
    return pd.DataFrame(data)
