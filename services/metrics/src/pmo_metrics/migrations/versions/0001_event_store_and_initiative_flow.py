"""Event store (events, relay and projection tracking) and the initiative_flow read model.

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
        "initiative_flow",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("transitions", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("initiative_flow_state", "initiative_flow", ["state"], schema=schema)


def downgrade() -> None:
    schema = migration_schema()
    op.drop_table("initiative_flow", schema=schema)
    drop_event_store_tables(op, schema)
