"""The allocations read models: allocations and their overcommitment overrides.

Commitment per person and week is not materialised: the capacity views compute it on query from
these rows, the people's dated capacities and the team rosters with the domain arithmetic
(`projections/capacity.py`), so it can never go stale when a capacity, a roster or an allocation
changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pmo_service.migrations import migration_schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    schema = migration_schema()
    op.create_table(
        "allocations",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("initiative_id", sa.Text, nullable=False),
        sa.Column("person_id", sa.Text),
        sa.Column("team_id", sa.Text),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("percent", sa.Integer),
        sa.Column("hours_per_week", sa.Numeric),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        # The last day its capacity is promised (APPROVED or RELEASED; null otherwise or when a
        # release dropped it entirely): the capacity views read the active allocations by it.
        sa.Column("active_until", sa.Date),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("requested_at", TIMESTAMP, nullable=False),
        sa.Column("approved_by", sa.Text),
        sa.Column("approved_at", TIMESTAMP),
        sa.Column("rejection_reason", sa.Text),
        sa.Column("rejected_by", sa.Text),
        sa.Column("rejected_at", TIMESTAMP),
        sa.Column("adjusted_by", sa.Text),
        sa.Column("adjusted_at", TIMESTAMP),
        sa.Column("released_from", sa.Date),
        sa.Column("release_cause", sa.Text),
        sa.Column("release_reason", sa.Text),
        sa.Column("release_source_event_id", sa.Text),
        sa.Column("released_by", sa.Text),
        sa.Column("released_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("allocations_person", "allocations", ["person_id"], schema=schema)
    op.create_index("allocations_team", "allocations", ["team_id"], schema=schema)
    op.create_index("allocations_initiative", "allocations", ["initiative_id"], schema=schema)
    # Keyset pages order by (requested_at, id).
    op.create_index(
        "allocations_requested_id", "allocations", ["requested_at", "id"], schema=schema
    )
    op.create_table(
        "allocation_overrides",
        sa.Column("allocation_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Text, nullable=False),
        sa.Column("weeks", sa.ARRAY(sa.Text), nullable=False),
        sa.Column("peak_percent", sa.Numeric, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("overridden_by", sa.Text, nullable=False),
        sa.Column("overridden_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_index(
        "allocation_overrides_person", "allocation_overrides", ["person_id"], schema=schema
    )


def downgrade() -> None:
    schema = migration_schema()
    op.drop_table("allocation_overrides", schema=schema)
    op.drop_table("allocations", schema=schema)
