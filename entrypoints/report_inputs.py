"""Where ``hotline report`` (and ``hotline calibrate``) read from: the event log from a file (a simulation's
Parquet log or a queue_log) or the store, the store's orders and airings, and the options that name them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer

from entrypoints.terminal import open_store_or_exit

Log = Annotated[
    Optional[Path],
    typer.Option(
        "--log",
        help="Event log: a Parquet file from 'hotline simulate' (OUT/<scenario>/events.parquet) or a "
        "queue_log file. Default: the store's event log.",
    ),
]
Replication = Annotated[int, typer.Option(min=0, help="With a simulation's Parquet log: which replication.")]
Source = Annotated[
    Optional[str],
    typer.Option(
        help="With the store: only the event-log records of this source (the live center's is ''; default: all)."
    ),
]
Offset = Annotated[
    Optional[float],
    typer.Option(
        "--utc-offset", help="Hours east of UTC for days, weeks, months and clock times (default: the site's zone)."
    ),
]
Airings = Annotated[
    Optional[Path],
    typer.Option(
        "--airings",
        help="Broadcast schedule CSV: channel,start,length,hotline[,id,product,kind,cost]. "
        "Default: the airings in the store.",
    ),
]


class BadInput(Exception):
    """Input the user must fix: reported on one line, exit status 2."""


@dataclass
class Inputs:
    """Where the log (and, from the store, orders and airings) come from."""

    log_path: Path | None
    replication: int
    source: str | None
    _engine: object = None

    def engine(self):
        if self._engine is None:
            from adapters.store.settings import StoreSettings

            self._engine = open_store_or_exit(StoreSettings())
        return self._engine

    def log(self):
        if self.log_path is None:
            from adapters.store.eventlog import SqlEventLog

            return SqlEventLog(self.engine()).frame(self.source)
        return _read_log(self.log_path, self.replication)

    def orders(self, log):
        """Order lines from the store, or the log's ORDER_PLACED records when the log is a file."""
        from reports.tables import order_lines, orders_from_events

        if self.log_path is not None:
            return orders_from_events(log)
        from adapters.store.orders import SqlOrders

        return order_lines(SqlOrders(self.engine()).list())

    def airings(self, path: Path | None, utc_offset_h: float | None, required: bool = True):
        from reports.airings import read_airings_csv

        if path is not None:
            return read_airings_csv(path, utc_offset_h=utc_offset_h)
        if self.log_path is None:
            from adapters.store.airings import SqlAirings

            found = SqlAirings(self.engine()).list()
            if found or not required:
                return found
            raise BadInput("the store holds no airings: pass --airings FILE.csv")
        if required:
            raise BadInput("media ROI needs the broadcast schedule: pass --airings FILE.csv")
        return []

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def _read_log(path: Path, replication: int):
    from reports.eventlog import REPLICATION, read_parquet, read_queue_log

    if not path.exists():
        raise BadInput(f"{path}: no such file")
    if path.is_dir():
        raise BadInput(f"{path}: is a directory; name the events.parquet file in it")
    try:
        with path.open("rb") as head:
            parquet = head.read(4) == b"PAR1"
        if parquet:
            frame = read_parquet(path)
        else:
            frame = read_queue_log(path)
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: not an event log (Parquet or queue_log): {error}") from None
    if REPLICATION in frame.columns:
        present = sorted(set(frame[REPLICATION].tolist()))
        if replication not in present:
            raise BadInput(f"{path}: no replication {replication} (the file holds {present})")
        frame = frame.loc[frame[REPLICATION] == replication].drop(columns=REPLICATION).reset_index(drop=True)
    return frame
