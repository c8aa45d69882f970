"""Business tables: customers and their phones and addresses, products, warehouses, couriers and stock,
orders with their lines and stock holds, airings, the membership points ledger, call records and complaints,
and the ID sequence that numbers customers, orders, call records and complaints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "airing",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column("start", sa.Float(), nullable=False),
        sa.Column("length", sa.Float(), nullable=False),
        sa.Column("hotline", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_airing_hotline_start", "airing", ["hotline", "start"], unique=False)
    op.create_table(
        "call_record",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("caller", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float(), nullable=False),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("call_type", sa.String(length=16), nullable=False),
        sa.Column("business_type", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_call_record_caller", "call_record", ["caller"], unique=False)
    op.create_index("ix_call_record_customer", "call_record", ["customer_id", "started_at"], unique=False)
    op.create_table(
        "courier",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("serves", sa.String(), nullable=False),
        sa.Column("warehouses", sa.String(), nullable=False),
        sa.Column("cash_on_delivery", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=True),
        sa.Column("region_province", sa.String(length=64), nullable=False),
        sa.Column("region_city", sa.String(length=64), nullable=False),
        sa.Column("region_county", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "id_sequence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "product",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("price >= 0", name="ck_product_price"),
        sa.PrimaryKeyConstraint("sku"),
    )
    op.create_table(
        "warehouse",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("serves", sa.String(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "address",
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_address_customer_id", "address", ["customer_id"], unique=False)
    op.create_table(
        "complaint",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("record_id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handler", sa.String(length=128), nullable=False),
        sa.Column("resolution", sa.String(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("steps", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["call_record.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_complaint_status_opened", "complaint", ["status", "opened_at"], unique=False)
    op.create_table(
        "customer_order",
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("province", sa.String(length=64), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=64), nullable=False),
        sa.Column("postcode", sa.String(length=6), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("payment", sa.String(length=16), nullable=False),
        sa.Column("placed_at", sa.Float(), nullable=False),
        sa.Column("survey_channel", sa.String(length=128), nullable=True),
        sa.Column("survey_program", sa.String(length=200), nullable=False),
        sa.Column("survey_airing_id", sa.String(length=128), nullable=False),
        sa.Column("hotline", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("discount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("warehouse", sa.String(length=64), nullable=False),
        sa.Column("courier", sa.String(length=64), nullable=False),
        sa.Column("paid_at", sa.Float(), nullable=True),
        sa.Column("history", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_order_customer", "customer_order", ["customer_id", "placed_at"], unique=False)
    op.create_index("ix_customer_order_status", "customer_order", ["status"], unique=False)
    op.create_table(
        "customer_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("national", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=8), nullable=False),
        sa.Column("extension", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_customer_phone_key", "customer_phone", ["key"], unique=False)
    op.create_index("uq_customer_phone_customer_key", "customer_phone", ["customer_id", "key"], unique=True)
    op.create_table(
        "membership",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("member_since", sa.Float(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
        ),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_table(
        "product_airing",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("airing_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(["sku"], ["product.sku"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sku", "airing_id"),
    )
    op.create_table(
        "stock",
        sa.Column("warehouse_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.CheckConstraint("allocated <= on_hand", name="ck_stock_allocated_on_hand"),
        sa.CheckConstraint("allocated >= 0", name="ck_stock_allocated"),
        sa.CheckConstraint("on_hand >= 0", name="ck_stock_on_hand"),
        sa.ForeignKeyConstraint(
            ["sku"],
            ["product.sku"],
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
        ),
        sa.PrimaryKeyConstraint("warehouse_id", "sku"),
    )
    op.create_table(
        "order_line",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_order_line_quantity"),
        sa.ForeignKeyConstraint(["order_id"], ["customer_order.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["sku"],
            ["product.sku"],
        ),
        sa.PrimaryKeyConstraint("order_id", "position"),
    )
    op.create_table(
        "points_entry",
        sa.Column("customer_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.CheckConstraint("balance >= 0", name="ck_points_entry_balance"),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["membership.customer_id"],
        ),
        sa.PrimaryKeyConstraint("customer_id", "seq"),
    )
    op.create_table(
        "stock_hold",
        sa.Column("order_id", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_stock_hold_quantity"),
        sa.ForeignKeyConstraint(["order_id"], ["customer_order.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["sku"],
            ["product.sku"],
        ),
        sa.PrimaryKeyConstraint("order_id", "sku"),
    )
    op.create_index("ix_stock_hold_sku", "stock_hold", ["sku"], unique=False)


def downgrade() -> None:
    # children before parents
    op.drop_table("stock_hold")
    op.drop_table("points_entry")
    op.drop_table("order_line")
    op.drop_table("stock")
    op.drop_table("product_airing")
    op.drop_table("membership")
    op.drop_table("customer_phone")
    op.drop_table("customer_order")
    op.drop_table("complaint")
    op.drop_table("address")
    op.drop_table("warehouse")
    op.drop_table("product")
    op.drop_table("id_sequence")
    op.drop_table("customer")
    op.drop_table("courier")
    op.drop_table("call_record")
    op.drop_table("airing")
