"""Issue 14, item 15: the store is backed up and restored with the documented commands (``hotline store
backup FILE`` / ``restore FILE --yes``), on SQLite and PostgreSQL: what was stored after the backup is gone
after the restore, what was stored before is back."""

from __future__ import annotations

import subprocess

from sqlalchemy import text

from adapters.store.settings import make_engine
from tests.helpers import hotline as run_hotline
from tests.integration.store.business_fixtures import order_command, stocked_store


def hotline(*args: str, url: str) -> subprocess.CompletedProcess:
    return run_hotline(*args, env={"HOTLINE_DATABASE_URL": url}, timeout=300)


def _orders(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text("SELECT id FROM customer_order ORDER BY id"))]
    finally:
        engine.dispose()


def test_backup_then_restore_brings_the_store_back(engine, tmp_path):
    from adapters.store.orders import SqlOrders

    url = engine.url.render_as_string(hide_password=False)
    _, customer = stocked_store(engine, units=10)
    kept = SqlOrders(engine).place(order_command(customer.customer_id, [("PAN-1", 1)], call_id="call-1")).order_id
    archive = tmp_path / "backup.dump"
    done = hotline("store", "backup", str(archive), url=url)
    assert done.returncode == 0, done.stderr
    assert archive.stat().st_size > 0
    later = SqlOrders(engine).place(order_command(customer.customer_id, [("PAN-1", 2)], call_id="call-2")).order_id
    assert _orders(url) == [kept, later]
    engine.dispose()  # the services stopped
    done = hotline("store", "restore", str(archive), "--yes", url=url)
    assert done.returncode == 0, done.stderr
    assert _orders(url) == [kept]
    missing = hotline("store", "restore", str(tmp_path / "nothing.dump"), "--yes", url=url)
    assert missing.returncode == 1 and "no backup at" in missing.stderr
