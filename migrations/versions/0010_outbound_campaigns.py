"""Outbound campaigns: campaigns, their number lists, each dial's result, the do-not-call list; and the
after-call survey's answer on the call record.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("document", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=False),
        sa.Column("approved_at", sa.Float(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'approved', 'stopped')", name="ck_campaign_status"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "campaign_number",
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("fields", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_result", sa.String(length=32), nullable=False),
        sa.Column("result_code", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'done')", name="ck_campaign_number_status"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"]),
        sa.PrimaryKeyConstraint("campaign_id", "number"),
    )
    op.create_index("ix_campaign_number_result", "campaign_number", ["campaign_id", "last_result"])
    op.create_table(
        "outbound_attempt",
        sa.Column("id", sa.String(length=96), nullable=False),
        sa.Column("campaign_id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("dialled_at", sa.Float(), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("result", sa.String(length=32), nullable=False),
        sa.Column("result_code", sa.String(length=64), nullable=False),
        sa.Column("talk", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_outbound_attempt_campaign_day", "outbound_attempt", ["campaign_id", "day", "result"])
    op.create_table(
        "do_not_call",
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("number"),
    )
    with op.batch_alter_table("call_record") as batch:
        batch.add_column(sa.Column("survey", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("call_record") as batch:
        batch.drop_column("survey")
    op.drop_table("do_not_call")
    op.drop_index("ix_outbound_attempt_campaign_day", table_name="outbound_attempt")
    op.drop_table("outbound_attempt")
    op.drop_index("ix_campaign_number_result", table_name="campaign_number")
    op.drop_table("campaign_number")
    op.drop_table("campaign")
