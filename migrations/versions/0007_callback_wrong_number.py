"""Callback outcome 'wrong_number' (the number does not belong to the caller: closed, never retried).

Revision ID: 0007
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BEFORE = ("ordered", "cancelled", "unreachable", "inquiry", "complaint")
AFTER = BEFORE + ("wrong_number",)


def _outcome_check(outcomes: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{o}'" for o in outcomes)
    # batch mode: SQLite cannot alter a CHECK in place, so the table is copied (its indexes with it)
    with op.batch_alter_table("callback_ticket") as batch:
        batch.drop_constraint("ck_callback_ticket_outcome", type_="check")
        batch.create_check_constraint("ck_callback_ticket_outcome", f"outcome IS NULL OR outcome IN ({listed})")


def upgrade() -> None:
    _outcome_check(AFTER)


def downgrade() -> None:
    op.execute("UPDATE callback_ticket SET outcome = 'cancelled' WHERE outcome = 'wrong_number'")
    _outcome_check(BEFORE)
