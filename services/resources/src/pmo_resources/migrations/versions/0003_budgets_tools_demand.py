"""The budgets, tools and demand read models, and the portfolio's initiative titles.

Own read models (projected from the resources event store): budgets with their commitments,
spend lines, adjustments and overrun overrides; tools and their licences; demand (one line per
initiative the portfolio approved). Foreign: `initiative_titles`, projected from the portfolio
topic. The tables are those of `projections/budgets.py`, `projections/tools.py` and
`projections/demand.py`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pmo_service.migrations import migration_schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    schema = migration_schema()
    _budgets(schema)
    _tools(schema)
    _demand(schema)


def _budgets(schema: str) -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("owner_ref", sa.Text, nullable=False),
        sa.Column("period", sa.Text, nullable=False),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("committed", sa.Numeric, nullable=False),
        sa.Column("spent", sa.Numeric, nullable=False),
        sa.Column("opened_by", sa.Text, nullable=False),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    # The budgets list orders by (period, name, id) and filters by period.
    op.create_index("budgets_period_name_id", "budgets", ["period", "name", "id"], schema=schema)
    op.create_table(
        "budget_commitments",
        sa.Column("budget_id", sa.Text, primary_key=True),
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("committed_by", sa.Text, nullable=False),
        sa.Column("committed_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    # Reactions and the Initiative entity find an initiative's commitments across budgets.
    op.create_index(
        "budget_commitments_initiative", "budget_commitments", ["initiative_id"], schema=schema
    )
    op.create_table(
        "budget_spend",
        sa.Column("budget_id", sa.Text, primary_key=True),
        sa.Column("spend_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("initiative_id", sa.Text),
        sa.Column("allocation_id", sa.Text),
        sa.Column("person_id", sa.Text),
        sa.Column("week", sa.Text, nullable=False),
        sa.Column("hours", sa.Numeric),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("spent_on", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    # Labour accrual looks spend ids up across budgets; spend to date sums per initiative.
    op.create_index("budget_spend_spend_id", "budget_spend", ["spend_id"], schema=schema)
    op.create_index("budget_spend_initiative", "budget_spend", ["initiative_id"], schema=schema)
    op.create_table(
        "budget_adjustments",
        sa.Column("budget_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("adjusted_by", sa.Text, nullable=False),
        sa.Column("adjusted_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_table(
        "budget_overrides",
        sa.Column("budget_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("initiative_id", sa.Text, nullable=False),
        sa.Column("excess", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("overridden_by", sa.Text, nullable=False),
        sa.Column("overridden_at", TIMESTAMP, nullable=False),
        schema=schema,
    )


def _tools(schema: str) -> None:
    op.create_table(
        "tools",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("vendor", sa.Text, nullable=False),
        sa.Column("seats", sa.Integer, nullable=False),
        sa.Column("assigned", sa.Integer, nullable=False),
        sa.Column("cost_per_seat", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("registered_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("tools_name_id", "tools", ["name", "id"], schema=schema)
    op.create_table(
        "tool_licences",
        sa.Column("tool_id", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("assigned_by", sa.Text, nullable=False),
        sa.Column("assigned_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_index("tool_licences_person", "tool_licences", ["person_id"], schema=schema)


def _demand(schema: str) -> None:
    op.create_table(
        "demand",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("portfolio_id", sa.Text),
        sa.Column("period", sa.Text),
        sa.Column("approved_amount", sa.Numeric),
        sa.Column("currency", sa.Text),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("closure", sa.Text),
        sa.Column("opened_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP),
        sa.Column("source_event_id", sa.Text, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "demand_status_opened", "demand", ["status", "opened_at", "initiative_id"], schema=schema
    )
    op.create_table(
        "initiative_titles",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        schema=schema,
    )


def downgrade() -> None:
    schema = migration_schema()
    for table in (
        "initiative_titles",
        "demand",
        "tool_licences",
        "tools",
        "budget_overrides",
        "budget_adjustments",
        "budget_spend",
        "budget_commitments",
        "budgets",
    ):
        op.drop_table(table, schema=schema)
