"""Staffing plans saved from the dashboards, and the planner role.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ROLES_BEFORE = "role IN ('agent', 'supervisor', 'admin')"
ROLES_AFTER = "role IN ('agent', 'planner', 'supervisor', 'admin')"


def _roles(check: str) -> None:
    with op.batch_alter_table("app_user") as batch:  # SQLite: a copy of the table; PostgreSQL: ALTER
        batch.drop_constraint("ck_app_user_role", type_="check")
        batch.create_check_constraint("ck_app_user_role", check)


def upgrade() -> None:
    op.create_table(
        "staffing_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("scenario", sa.String(), nullable=False),
        sa.Column("results", sa.String(), nullable=False),
        sa.Column("replications", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.Float(), nullable=False),
        sa.Column("saved_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staffing_plan_name", "staffing_plan", ["name"], unique=False)
    _roles(ROLES_AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM api_token WHERE user_id IN (SELECT id FROM app_user WHERE role = 'planner')")
    op.execute("DELETE FROM app_user WHERE role = 'planner'")
    _roles(ROLES_BEFORE)
    op.drop_index("ix_staffing_plan_name", table_name="staffing_plan")
    op.drop_table("staffing_plan")
