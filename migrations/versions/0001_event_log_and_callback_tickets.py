"""Event log and callback tickets.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OPEN_TICKET_WHERE = "status IN ('open', 'claimed', 'waiting')"


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True, nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("verb", sa.String(length=32), nullable=False),
        sa.Column("data1", sa.String(), nullable=False),
        sa.Column("data2", sa.String(), nullable=False),
        sa.Column("data3", sa.String(), nullable=False),
        sa.Column("data4", sa.String(), nullable=False),
        sa.Column("data5", sa.String(), nullable=False),
    )
    op.create_index("ix_event_log_source_time", "event_log", ["source", "time"])
    op.create_index("ix_event_log_call_id", "event_log", ["call_id"])

    op.create_table(
        "callback_ticket",
        sa.Column("id", sa.String(length=128), primary_key=True, nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("hotline", sa.String(length=64), nullable=False),
        sa.Column("airing", sa.String(length=128), nullable=False),
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimer", sa.String(length=128), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("next_try_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'claimed', 'waiting', 'done', 'expired')", name="ck_callback_ticket_status"
        ),
        sa.CheckConstraint("priority IN ('urgent', 'normal')", name="ck_callback_ticket_priority"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('ordered', 'cancelled', 'unreachable', 'inquiry', 'complaint')",
            name="ck_callback_ticket_outcome",
        ),
        sa.CheckConstraint("(status = 'claimed') = (claimer IS NOT NULL)", name="ck_callback_ticket_claimer"),
        sa.CheckConstraint("attempts >= 0", name="ck_callback_ticket_attempts"),
    )
    op.create_index(
        "uq_callback_ticket_open_number",
        "callback_ticket",
        ["source", "number"],
        unique=True,
        postgresql_where=sa.text(OPEN_TICKET_WHERE),
        sqlite_where=sa.text(OPEN_TICKET_WHERE),
    )
    op.create_index("ix_callback_ticket_list", "callback_ticket", ["status", "queue", "created_at"])
    op.create_index("ix_callback_ticket_expires_at", "callback_ticket", ["expires_at"])


def downgrade() -> None:
    op.drop_table("callback_ticket")
    op.drop_table("event_log")
