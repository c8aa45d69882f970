"""`hotline live ...`: run the live driver (the Stasis app ``hotline``) against Asterisk.

Mounted by entrypoints/cli.py as ``hotline live``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from typing import Optional

import typer

from core.config import CenterConfig

live_app = typer.Typer(
    name="live",
    help="Run Hotline live on Asterisk (ARI). Settings also come from HOTLINE_ARI_URL, HOTLINE_ARI_USER, "
    "HOTLINE_ARI_PASSWORD, HOTLINE_NUMBERS, HOTLINE_AGENTS, HOTLINE_LIVE_DIR, HOTLINE_DATABASE_URL.",
    no_args_is_help=True,
    add_completion=False,
)


@live_app.callback()
def _live() -> None:
    """Hotline live on Asterisk."""


@live_app.command()
def run(
    data_dir: Path = typer.Option(
        None, help="Journal and event log (queue_log) directory (env HOTLINE_LIVE_DIR, default ./live)."
    ),
    ari_url: Optional[str] = typer.Option(None, help="Asterisk HTTP server without /ari (env HOTLINE_ARI_URL)."),
    numbers: Optional[str] = typer.Option(
        None, help="Development model: hotline numbers, comma-separated (env HOTLINE_NUMBERS)."
    ),
    agents: Optional[int] = typer.Option(
        None, min=0, help="Development model: agents agent001..agentNNN (env HOTLINE_AGENTS, default 4)."
    ),
    queue: str = typer.Option("sales", help="The queue (skill group) all numbers go to."),
    strategy: str = typer.Option("rrmemory", help="Agent selection strategy."),
    ring_timeout: float = typer.Option(15.0, help="Ring-no-answer after this many seconds."),
    ivr_after: float = typer.Option(60.0, help="Callback prompt once a caller waited this long (0: never)."),
    ivr_queue_length: Optional[int] = typer.Option(None, help="Callback prompt at once when this many already wait."),
    wrapup: float = typer.Option(0.0, help="After-call work, seconds."),
    prompt_timeout: float = typer.Option(15.0, help="Seconds the callback prompt waits for a digit."),
    callback_reserve: int = typer.Option(
        2, min=-1, help="Dial callback tickets only while more than this many agents are free (-1: never dial them)."
    ),
    callback_retry_after: float = typer.Option(
        1800.0, min=0, help="Seconds before an unreachable ticket is dialled again."
    ),
    callback_dial_timeout: int = typer.Option(30, min=1, help="Seconds the customer's phone rings on a callback."),
    record: bool = typer.Option(False, "--record/--no-record", help="Record every answered call (bridge recording)."),
    ready_after_pause: Optional[float] = typer.Option(
        None, help="Make an agent paused for a missed ring ready again after this many seconds (default: stay paused)."
    ),
    answer_while_queued: bool = typer.Option(
        True,
        "--moh-while-queued/--ring-while-queued",
        help="Answer waiting callers and play music on hold (default), or let them hear ringing, unanswered, "
        "until an agent answers (no charge to the caller while waiting).",
    ),
    database_url: Optional[str] = typer.Option(
        None,
        help="The store the log, tickets and call records are shipped to (env HOTLINE_DATABASE_URL; "
        "default the SQLite file data/hotline.db in HOTLINE_DATA_DIR).",
    ),
    source: Optional[str] = typer.Option(
        None, help="Event-log source name in the store, one per call center (env HOTLINE_LIVE_SOURCE, default live)."
    ),
    store: bool = typer.Option(True, "--store/--no-store", help="Ship to the store (or write only the files)."),
    fsync: bool = typer.Option(
        False,
        "--fsync/--no-fsync",
        help="fsync the journal per message (survives a machine crash; a flush already survives a process crash).",
    ),
    console: bool = typer.Option(
        True,
        "--console/--no-console",
        help="Take commands from the console and publish events for its screens, through "
        "the store (HOTLINE_DATABASE_URL, or the SQLite file in HOTLINE_DATA_DIR).",
    ),
    metrics_port: Optional[int] = typer.Option(
        None,
        min=0,
        max=65535,
        help="Serve Prometheus /metrics on this port of 127.0.0.1 (env HOTLINE_METRICS_PORT; 0: none).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v"),
):
    """Start the live driver: connect to ARI as app `hotline`, recover from the journal, resync, take calls.

    It routes by the site configuration in the store (`hotline site import FILE`, or PUT /api/site) and applies
    a newly stored version while running, without dropping calls. --agents / --numbers (and the routing options
    beside them) ask for the development model instead: every number to one queue, agents agent001..N.

    Stops on SIGINT/SIGTERM. A restart (even after SIGKILL) replays the journal and resynchronises."""
    from adapters.asterisk.callbacks import CallbackOptions
    from adapters.asterisk.settings import LiveSettings
    from adapters.asterisk.stasis import DriverOptions, LiveDriver, build_config
    from adapters.json_logs import configure
    from adapters.store.settings import StoreSettings
    from entrypoints.live_root import routing_model, serve

    live = LiveSettings()
    if metrics_port is not None:
        live = live.model_copy(update={"metrics_port": metrics_port})
    configure(live.log_format, logging.INFO if verbose else logging.WARNING)  # over the `hotline` group's
    if database_url:
        live = live.model_copy(update={"store": StoreSettings(database_url=database_url)})
    data_dir = data_dir or live.live_dir
    source = source or live.live_source
    engine = _open_store(live.store) if (store or console) else None

    def development() -> CenterConfig:
        n_agents = agents if agents is not None else live.agents
        return build_config(
            live.number_list(numbers),
            n_agents,
            queue=queue,
            strategy=strategy,
            ring_timeout=ring_timeout,
            ivr_after=ivr_after or None,
            ivr_queue_length=ivr_queue_length,
            wrapup=wrapup,
            callback_reserve=None if callback_reserve < 0 else callback_reserve,
            callback_retry_after=callback_retry_after,
        )

    model = routing_model(
        engine, development, prefer_development=agents is not None or numbers is not None, data_dir=data_dir
    )
    typer.echo(f"hotline live: routing by {model.description}")
    try:
        settings = live.ari(ari_url)
    except ValueError as error:
        typer.echo(f"hotline live: {error}", err=True)
        raise typer.Exit(2) from None
    options = DriverOptions(
        data_dir=data_dir,
        prompt_timeout=prompt_timeout,
        record=record,
        ready_after_pause=ready_after_pause,
        fsync=fsync,
        answer_while_queued=answer_while_queued,
        callbacks=CallbackOptions(dial_timeout=callback_dial_timeout),
    )

    def ready() -> None:
        typer.echo(
            f"hotline live: ready (app {settings.app} on {settings.url}, data {data_dir}, "
            f"{driver.recovery.messages} journal messages replayed)"
        )

    async def main() -> None:
        nonlocal driver
        driver = LiveDriver(settings, model.config, options, on_ready=ready)
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await serve(
                driver,
                engine,
                source=source,
                ship=store,
                console=console,
                site_version=model.site_version,
                echo=typer.echo,
                settings=live,
            )
        except asyncio.CancelledError:
            pass
        typer.echo("hotline live: stopped")

    driver = None
    asyncio.run(main())


def _open_store(settings):
    """The store shared with the console (``StoreSettings``: --database-url, else HOTLINE_DATABASE_URL, else
    the SQLite file in HOTLINE_DATA_DIR). Migrated here when it answers; when it does not, the driver starts all
    the same (the shipper migrates and ships once it is back; a restart routes by the data directory's site.json)."""
    from sqlalchemy.exc import SQLAlchemyError

    from adapters.store.migrate import upgrade
    from adapters.store.settings import make_engine

    engine = make_engine(settings)
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        typer.echo(
            f"hotline live: store {settings.redacted_url()} unavailable ({type(exc).__name__}); "
            "calls go on, the log is shipped once it is back",
            err=True,
        )
    else:
        typer.echo(f"hotline live: store {settings.redacted_url()}")
    return engine
