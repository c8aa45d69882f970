"""Site configuration versions in the database (SQLite and PostgreSQL): every save is a new version with who
and when, and of writers that start from the same version exactly one wins."""

from __future__ import annotations

import threading

import pytest

from adapters.store.site import SiteConflict, SqlSiteConfigs, UnknownSiteVersion

T0 = 1_764_000_000.0
WRITERS = 8


def test_versions_count_up_and_keep_who_and_when(engine):
    configs = SqlSiteConfigs(engine)
    assert configs.latest() is None and configs.history() == []
    first = configs.save({"hotlines": [{"number": "400", "queue": "订单"}]}, "alice", T0, "import a.yaml")
    second = configs.save({"hotlines": []}, "bob", T0 + 5, expected_version=1)
    assert (first.version, second.version) == (1, 2)
    assert configs.latest() == second
    assert configs.get(1).document == {"hotlines": [{"number": "400", "queue": "订单"}]}
    assert [(v.version, v.saved_by, v.saved_at, v.note) for v in configs.history()] == [
        (2, "bob", T0 + 5, ""),
        (1, "alice", T0, "import a.yaml"),
    ]
    with pytest.raises(SiteConflict):
        configs.save({}, "carol", T0 + 9, expected_version=1)
    with pytest.raises(UnknownSiteVersion):
        configs.get(3)
    assert configs.latest().version == 2


def test_of_writers_starting_from_one_version_exactly_one_wins(engine):
    configs = SqlSiteConfigs(engine)
    configs.save({"n": 0}, "seed", T0)
    barrier = threading.Barrier(WRITERS)
    results: list = [None] * WRITERS

    def writer(i: int) -> None:
        barrier.wait()
        try:
            results[i] = configs.save({"n": i}, f"w{i}", T0 + i, expected_version=1)
        except SiteConflict as error:
            results[i] = error

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [r for r in results if not isinstance(r, SiteConflict)]
    assert len(winners) == 1, results
    assert configs.latest().version == 2 and configs.latest().document == winners[0].document
