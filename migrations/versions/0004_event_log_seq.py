"""Shipping the live driver's log: ``event_log.seq`` (the record's position in its source's log, unique per
source, so a record shipped twice is refused) and ``call_record.recording`` (the call's recording file).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("event_log", sa.Column("seq", sa.Integer(), nullable=True))
    op.create_index("uq_event_log_source_seq", "event_log", ["source", "seq"], unique=True)
    op.add_column("call_record", sa.Column("recording", sa.String(length=255), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("call_record") as batch:
        batch.drop_column("recording")
    op.drop_index("uq_event_log_source_seq", table_name="event_log")
    with op.batch_alter_table("event_log") as batch:
        batch.drop_column("seq")
