"""The live channel: commands from console users to the live driver (``live_command``), the driver's event
stream for screens (``live_event``), its published agent and queue states and its heartbeat.

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_at", sa.Float(), nullable=True),
        sa.Column("started", sa.String(), nullable=False),
        sa.Column("result", sa.String(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'done', 'rejected', 'expired')", name="ck_live_command_status"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_live_command_status_id", "live_command", ["status", "id"], unique=False)
    op.create_table(
        "live_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_live_event_agent_seq", "live_event", ["agent_id", "seq"], unique=False)
    op.create_index("ix_live_event_at", "live_event", ["at"], unique=False)
    op.create_table(
        "live_agent_state",
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id"),
    )
    op.create_table(
        "live_queue_state",
        sa.Column("queue", sa.String(length=128), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("oldest_since", sa.Float(), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("queue"),
    )
    op.create_table(
        "live_driver",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("beat_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("live_driver")
    op.drop_table("live_queue_state")
    op.drop_table("live_agent_state")
    op.drop_table("live_event")
    op.drop_table("live_command")
