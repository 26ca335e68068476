"""Event store (events, relay and projection tracking) and the initiatives read model.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pmo_events.tables import create_event_store_tables, drop_event_store_tables
from pmo_service.migrations import migration_schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = migration_schema()
    create_event_store_tables(op, schema)
    op.create_table(
        "initiatives",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("hypothesis", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("portfolio_id", sa.Text),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.Text, nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    # Keyset pagination orders by (sort column, id).
    op.create_index(
        "initiatives_proposed_at_id", "initiatives", ["proposed_at", "id"], schema=schema
    )
    op.create_index("initiatives_title_id", "initiatives", ["title", "id"], schema=schema)
    op.create_index("initiatives_state", "initiatives", ["state"], schema=schema)
    op.create_index("initiatives_owner", "initiatives", ["owner"], schema=schema)


def downgrade() -> None:
    schema = migration_schema()
    op.drop_table("initiatives", schema=schema)
    drop_event_store_tables(op, schema)
