"""``SqlSiteConfigs``: the site configuration in the database, as versioned documents.

A document is the site in the scenario format (``twin.site.site_document``: plain JSON-able data); this
module stores and returns it without reading it, so the store does not depend on the twin. Every change is a
new version (1, 2, ...) with who saved it, when and how; nothing is overwritten, and the highest version is
the configuration in force (the live driver reads ``latest()``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from adapters.store.models import SiteConfigRow
from adapters.store.queries import one_row
from adapters.store.settings import write_transaction

SITE_CONFIG = SiteConfigRow.__table__


class SiteConflict(ValueError):
    """Another change was saved since the version the writer started from."""


class UnknownSiteVersion(ValueError, LookupError):
    def __init__(self, version: int) -> None:
        super().__init__(f"no site configuration version {version}")
        self.version = version


@dataclass(frozen=True)
class SiteVersion:
    version: int
    document: dict[str, Any]
    saved_at: float
    saved_by: str
    note: str = ""


def _version(row) -> SiteVersion:
    return SiteVersion(row.version, json.loads(row.document), float(row.saved_at), row.saved_by, row.note)


class SqlSiteConfigs:
    """Site configuration versions.

    * ``save(document, by, now, note="", expected_version=None) -> SiteVersion`` -- a new version;
      ``SiteConflict`` if ``expected_version`` is given and is not the latest (0: none stored yet), or if a
      concurrent save took the same number;
    * ``latest() -> SiteVersion | None``; ``get(version)`` (``UnknownSiteVersion``);
    * ``history(limit=None) -> list[SiteVersion]`` -- newest first.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save(
        self, document: dict[str, Any], by: str, now: float, note: str = "", expected_version: int | None = None
    ) -> SiteVersion:
        text = json.dumps(document, allow_nan=False)  # ASCII: any text survives any database
        try:
            with write_transaction(self.engine) as connection:
                current = connection.execute(select(func.max(SITE_CONFIG.c.version))).scalar() or 0
                if expected_version is not None and expected_version != current:
                    raise SiteConflict(
                        f"the site configuration is at version {current}, not {expected_version}: "
                        f"reload it and apply the change again"
                    )
                row = dict(version=current + 1, document=text, saved_at=now, saved_by=by, note=note)
                connection.execute(insert(SITE_CONFIG), row)
        except IntegrityError:
            raise SiteConflict(
                "another change to the site configuration was saved at the same time; "
                "reload it and apply the change again"
            ) from None
        return SiteVersion(current + 1, json.loads(text), now, by, note)

    def latest(self) -> SiteVersion | None:
        query = select(SITE_CONFIG).order_by(SITE_CONFIG.c.version.desc()).limit(1)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else _version(row)

    def get(self, version: int) -> SiteVersion:
        query = select(SITE_CONFIG).where(SITE_CONFIG.c.version == version)
        with self.engine.connect() as connection:
            row = one_row(connection, query, UnknownSiteVersion(version))
        return _version(row)

    def history(self, limit: int | None = None) -> list[SiteVersion]:
        query = select(SITE_CONFIG).order_by(SITE_CONFIG.c.version.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [_version(row) for row in connection.execute(query)]
