"""``SqlCampaigns``: outbound campaigns, their number lists, each dial's result and the do-not-call list.

The campaign's definition is stored as its JSON document (``core.campaigns.campaign_document``); approval is
a conditional UPDATE (draft -> approved), so two approvers cannot both approve and an edit after approval is
refused. Dial results come from the event log's OUTBOUND_* records (``app.campaigns.apply_outbound_records``).
"""

from __future__ import annotations

import json
from typing import Iterable

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from adapters.store.models import CampaignNumberRow, CampaignRow, DoNotCallRow, OutboundAttemptRow
from adapters.store.queries import one_row
from adapters.store.settings import StoreAccess
from app.campaigns import CampaignConflict, StoredCampaign, UnknownCampaign, UnknownListNumber
from core.campaigns import Campaign, ListEntry, campaign_document, campaign_from_document

CAMPAIGN = CampaignRow.__table__
NUMBER = CampaignNumberRow.__table__
ATTEMPT = OutboundAttemptRow.__table__
DNC = DoNotCallRow.__table__


def _stored(row) -> StoredCampaign:
    campaign = campaign_from_document({**json.loads(row.document), "approved_by": row.approved_by})
    return StoredCampaign(
        campaign,
        row.status,
        row.created_by,
        float(row.created_at),
        None if row.approved_at is None else float(row.approved_at),
    )


class SqlCampaigns:
    """Campaigns (``create``, ``get``, ``list``, ``replace`` while a draft, ``approve``, ``stop``), their lists
    (``add_numbers``, ``remove_number``, ``numbers``, ``known_numbers``, ``entries``), dial results
    (``record_dial``, ``record_result``, ``record_code``, ``record_number``, ``results``) and the do-not-call
    list (``add_do_not_call``, ``remove_do_not_call``, ``do_not_call``)."""

    def __init__(self, engine: Engine, *, connection: Connection | None = None) -> None:
        self.engine = engine
        self.db = StoreAccess(engine, connection)

    # --- campaigns -----------------------------------------------------------------------------------

    def create(self, campaign: Campaign, by: str, now: float) -> StoredCampaign:
        row = dict(
            id=campaign.campaign_id,
            name=campaign.name,
            mode=campaign.mode,
            status="draft",
            created_by=by,
            created_at=now,
            approved_by="",
            approved_at=None,
            document=json.dumps({**campaign_document(campaign), "approved_by": ""}),
        )
        try:
            with self.db.guarded() as connection:
                connection.execute(insert(CAMPAIGN), row)
        except IntegrityError:
            raise CampaignConflict(f"campaign {campaign.campaign_id!r} exists already") from None
        return self.get(campaign.campaign_id)

    def get(self, campaign_id: str) -> StoredCampaign:
        query = select(CAMPAIGN).where(CAMPAIGN.c.id == campaign_id)
        with self.db.read() as connection:
            row = one_row(connection, query, UnknownCampaign(campaign_id))
        return _stored(row)

    def list(self) -> list[StoredCampaign]:
        with self.db.read() as connection:
            return [_stored(row) for row in connection.execute(select(CAMPAIGN).order_by(CAMPAIGN.c.created_at))]

    def replace(self, campaign: Campaign) -> StoredCampaign:
        document = json.dumps({**campaign_document(campaign), "approved_by": ""})
        with self.db.write() as connection:
            done = connection.execute(
                update(CAMPAIGN)
                .where(CAMPAIGN.c.id == campaign.campaign_id, CAMPAIGN.c.status == "draft")
                .values(document=document, name=campaign.name, mode=campaign.mode)
            ).rowcount
        if not done:
            stored = self.get(campaign.campaign_id)
            raise CampaignConflict(f"campaign {campaign.campaign_id!r} is {stored.status}; only a draft can change")
        return self.get(campaign.campaign_id)

    def approve(self, campaign_id: str, by: str, now: float) -> StoredCampaign:
        with self.db.write() as connection:
            done = connection.execute(
                update(CAMPAIGN)
                .where(CAMPAIGN.c.id == campaign_id, CAMPAIGN.c.status == "draft")
                .values(status="approved", approved_by=by, approved_at=now)
            ).rowcount
        if not done:
            raise CampaignConflict(f"campaign {campaign_id!r} is {self.get(campaign_id).status}, not a draft")
        return self.get(campaign_id)

    def stop(self, campaign_id: str) -> StoredCampaign:
        self.get(campaign_id)
        with self.db.write() as connection:
            connection.execute(update(CAMPAIGN).where(CAMPAIGN.c.id == campaign_id).values(status="stopped"))
        return self.get(campaign_id)

    # --- the list ------------------------------------------------------------------------------------

    def add_numbers(self, campaign_id: str, entries: Iterable[ListEntry], now: float) -> int:
        rows = [
            dict(
                campaign_id=campaign_id,
                number=e.number,
                name=e.name,
                row=e.row,
                zone=e.zone,
                fields=json.dumps(dict(e.fields)),
                status="pending",
                attempts=0,
                last_result="",
                result_code="",
                updated_at=now,
            )
            for e in entries
        ]
        if rows:
            try:
                with self.db.guarded() as connection:
                    connection.execute(insert(NUMBER), rows)
            except IntegrityError:
                raise CampaignConflict(f"a number is on campaign {campaign_id!r}'s list already") from None
        return len(rows)

    def remove_number(self, campaign_id: str, number: str) -> None:
        with self.db.write() as connection:
            gone = connection.execute(
                delete(NUMBER).where(NUMBER.c.campaign_id == campaign_id, NUMBER.c.number == number)
            ).rowcount
        if not gone:
            raise UnknownListNumber(campaign_id, number)

    def numbers(self, campaign_id: str, last_results: Iterable[str] | None = None) -> list[dict]:
        query = select(NUMBER).where(NUMBER.c.campaign_id == campaign_id).order_by(NUMBER.c.row, NUMBER.c.number)
        if last_results is not None:
            query = query.where(NUMBER.c.last_result.in_(list(last_results)))
        with self.db.read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    def known_numbers(self, campaign_id: str) -> dict[str, int]:
        """number -> the row it came from: what a new import is de-duplicated against."""
        return {row["number"]: row["row"] for row in self.numbers(campaign_id)}

    def entries(self, campaign_id: str) -> list[ListEntry]:
        """The numbers still to call, as the dialer takes them."""
        return [
            ListEntry(r["number"], r["name"], r["row"], r["zone"], tuple(json.loads(r["fields"]).items()))
            for r in self.numbers(campaign_id)
            if r["status"] == "pending"
        ]

    # --- results -------------------------------------------------------------------------------------

    def record_dial(self, attempt_id: str, campaign_id: str, number: str, agent_id: str, at: float, day: str) -> bool:
        try:
            with self.db.guarded() as connection:
                connection.execute(
                    insert(ATTEMPT),
                    dict(
                        id=attempt_id,
                        campaign_id=campaign_id,
                        number=number,
                        agent_id=agent_id,
                        dialled_at=at,
                        day=day,
                        result="",
                        result_code="",
                        talk=0.0,
                    ),
                )
                connection.execute(
                    update(NUMBER)
                    .where(NUMBER.c.campaign_id == campaign_id, NUMBER.c.number == number)
                    .values(attempts=NUMBER.c.attempts + 1, updated_at=at)
                )
        except IntegrityError:
            return False  # shipped before
        return True

    def record_result(self, attempt_id: str, result: str, at: float, *, agent_id: str = "", talk: float = 0.0) -> bool:
        values: dict = {"result": result}
        if agent_id:
            values["agent_id"] = agent_id
        if talk:
            values["talk"] = talk
        return self._update_attempt(attempt_id, values, {"last_result": result, "updated_at": at})

    def record_code(self, attempt_id: str, code: str, at: float) -> bool:
        return self._update_attempt(attempt_id, {"result_code": code}, {"result_code": code, "updated_at": at})

    def _update_attempt(self, attempt_id: str, attempt_values: dict, number_values: dict) -> bool:
        """Update the attempt and its number on the list; False if the attempt is unknown."""
        with self.db.write() as connection:
            row = connection.execute(
                select(ATTEMPT.c.campaign_id, ATTEMPT.c.number).where(ATTEMPT.c.id == attempt_id)
            ).first()
            if row is None:
                return False
            connection.execute(update(ATTEMPT).where(ATTEMPT.c.id == attempt_id).values(**attempt_values))
            connection.execute(
                update(NUMBER)
                .where(NUMBER.c.campaign_id == row.campaign_id, NUMBER.c.number == row.number)
                .values(**number_values)
            )
        return True

    def record_number(self, campaign_id: str, number: str, result: str, at: float) -> bool:
        """The dialer is done with the number (reached, or out of attempts, or on the do-not-call list)."""
        with self.db.write() as connection:
            return bool(
                connection.execute(
                    update(NUMBER)
                    .where(NUMBER.c.campaign_id == campaign_id, NUMBER.c.number == number)
                    .values(status="done", last_result=result, updated_at=at)
                ).rowcount
            )

    def results(
        self,
        campaign_id: str | None = None,
        day: str | None = None,
        result: str | None = None,
        *,
        number: str | None = None,
        agent_id: str | None = None,
    ) -> list[dict]:
        """The dials, oldest first, of those given: campaign, site day, result, number (E.164), agent."""
        query = select(ATTEMPT).order_by(ATTEMPT.c.dialled_at, ATTEMPT.c.id)
        for column, value in (
            (ATTEMPT.c.campaign_id, campaign_id),
            (ATTEMPT.c.day, day),
            (ATTEMPT.c.result, result),
            (ATTEMPT.c.number, number),
            (ATTEMPT.c.agent_id, agent_id),
        ):
            if value is not None:
                query = query.where(column == value)
        with self.db.read() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # --- do not call ---------------------------------------------------------------------------------

    def add_do_not_call(self, number: str, reason: str, by: str, at: float) -> bool:
        try:
            with self.db.guarded() as connection:
                connection.execute(insert(DNC), dict(number=number, reason=reason, added_at=at, added_by=by))
        except IntegrityError:
            return False  # listed already
        return True

    def remove_do_not_call(self, number: str) -> bool:
        with self.db.write() as connection:
            return bool(connection.execute(delete(DNC).where(DNC.c.number == number)).rowcount)

    def do_not_call(self) -> set[str]:
        with self.db.read() as connection:
            return set(connection.execute(select(DNC.c.number)).scalars())
