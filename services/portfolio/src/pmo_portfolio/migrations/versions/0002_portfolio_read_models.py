"""Portfolio read models: portfolios, themes, budgets, WIP limits, the initiative's scores, case,
decisions and risk exposure, WSJF history, risks, objectives, decisions, reviews, dependencies and
guardrail overrides. Indexes back every filter and sort of the subgraph's queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from pmo_service.migrations import migration_schema
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TEXT_ARRAY = ARRAY(sa.Text)
TIMESTAMP = sa.DateTime(timezone=True)

# Added to `initiatives` (see pmo_portfolio.projections.tables for what each one means).
INITIATIVE_COLUMNS = (
    ("previous_state", sa.Text),
    ("state_reason", sa.Text),
    ("business_value", sa.Integer),
    ("time_criticality", sa.Integer),
    ("risk_reduction", sa.Integer),
    ("job_size", sa.Integer),
    ("cost_of_delay", sa.Integer),
    ("wsjf", sa.Numeric),
    ("wsjf_scored_at", TIMESTAMP),
    ("mvp_cost", sa.Numeric),
    ("estimated_total_cost", sa.Numeric),
    ("currency", sa.Text),
    ("expected_benefits", sa.Text),
    ("leading_indicators", TEXT_ARRAY),
    ("business_case_recorded_by", sa.Text),
    ("business_case_recorded_at", TIMESTAMP),
    ("last_decision", sa.Text),
    ("last_decision_at", TIMESTAMP),
    ("approved_period", sa.Text),
    ("committed_amount", sa.Numeric),
    ("committed_currency", sa.Text),
)

NEW_TABLES = (
    "portfolios",
    "portfolio_themes",
    "portfolio_budgets",
    "portfolio_wip_limits",
    "initiative_wsjf_history",
    "risks",
    "objectives",
    "decisions",
    "reviews",
    "dependencies",
    "guardrail_overrides",
)


def upgrade() -> None:
    schema = migration_schema()
    _extend_initiatives(schema)
    _portfolio_tables(schema)
    _initiative_detail_tables(schema)
    _governance_tables(schema)


def _extend_initiatives(schema: str) -> None:
    op.add_column(
        "initiatives",
        sa.Column("strategic_theme_ids", TEXT_ARRAY, nullable=False, server_default="{}"),
        schema=schema,
    )
    # Rows projected under 0001 were only ever proposed: they entered FUNNEL when proposed.
    op.add_column("initiatives", sa.Column("state_entered_at", TIMESTAMP), schema=schema)
    op.execute(sa.text(f'UPDATE "{schema}".initiatives SET state_entered_at = proposed_at'))
    op.alter_column("initiatives", "state_entered_at", nullable=False, schema=schema)
    for name, type_ in INITIATIVE_COLUMNS:
        op.add_column("initiatives", sa.Column(name, type_), schema=schema)
    op.add_column(
        "initiatives",
        sa.Column("risk_exposure", sa.Integer, nullable=False, server_default="0"),
        schema=schema,
    )
    op.add_column(
        "initiatives",
        sa.Column(
            "search",
            TSVECTOR,
            sa.Computed("to_tsvector('simple', title || ' ' || hypothesis)", persisted=True),
        ),
        schema=schema,
    )
    index = op.create_index
    index("initiatives_search", "initiatives", ["search"], schema=schema, postgresql_using="gin")
    index(
        "initiatives_themes",
        "initiatives",
        ["strategic_theme_ids"],
        schema=schema,
        postgresql_using="gin",
    )
    # The kanban board, WIP counts and the backlog read one portfolio's initiatives per state.
    index("initiatives_portfolio_state", "initiatives", ["portfolio_id", "state"], schema=schema)
    # Budget commitments per portfolio and period (governance.committed).
    index(
        "initiatives_commitments",
        "initiatives",
        ["portfolio_id", "approved_period"],
        schema=schema,
        postgresql_where=sa.text("committed_amount IS NOT NULL"),
    )
    # Keyset sorts: (key, id) in the direction the list reads, nullable keys last.
    for name, key in (
        ("initiatives_wsjf_id", "wsjf DESC NULLS LAST"),
        ("initiatives_cost_of_delay_id", "cost_of_delay DESC NULLS LAST"),
        ("initiatives_updated_at_id", "updated_at DESC"),
    ):
        index(name, "initiatives", [sa.text(key), sa.text("id DESC")], schema=schema)


def _portfolio_tables(schema: str) -> None:
    op.create_table(
        "portfolios",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("guardrails", TEXT_ARRAY, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("portfolios_name_id", "portfolios", ["name", "id"], schema=schema)
    op.create_table(
        "portfolio_themes",
        sa.Column("portfolio_id", sa.Text, primary_key=True),
        sa.Column("theme_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("objective", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("added_by", sa.Text, nullable=False),
        sa.Column("added_at", TIMESTAMP, nullable=False),
        sa.Column("retired_by", sa.Text),
        sa.Column("retired_at", TIMESTAMP),
        sa.Column("retired_reason", sa.Text),
        schema=schema,
    )
    op.create_table(
        "portfolio_budgets",
        sa.Column("portfolio_id", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("amount", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.Column("set_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_table(
        "portfolio_wip_limits",
        sa.Column("portfolio_id", sa.Text, primary_key=True),
        sa.Column("state", sa.Text, primary_key=True),
        sa.Column("limit", sa.Integer, nullable=False),
        sa.Column("set_by", sa.Text, nullable=False),
        sa.Column("set_at", TIMESTAMP, nullable=False),
        schema=schema,
    )


def _initiative_detail_tables(schema: str) -> None:
    op.create_table(
        "initiative_wsjf_history",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("business_value", sa.Integer, nullable=False),
        sa.Column("time_criticality", sa.Integer, nullable=False),
        sa.Column("risk_reduction", sa.Integer, nullable=False),
        sa.Column("job_size", sa.Integer, nullable=False),
        sa.Column("cost_of_delay", sa.Integer, nullable=False),
        sa.Column("wsjf", sa.Numeric, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("scored_by", sa.Text, nullable=False),
        sa.Column("scored_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_table(
        "risks",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("risk_id", sa.Text, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("probability", sa.Integer, nullable=False),
        sa.Column("impact", sa.Integer, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("owner", sa.Text),
        sa.Column("notes", sa.Text),
        sa.Column("raised_by", sa.Text, nullable=False),
        sa.Column("raised_at", TIMESTAMP, nullable=False),
        sa.Column("roamed_by", sa.Text),
        sa.Column("roamed_at", TIMESTAMP),
        schema=schema,
    )
    op.create_table(
        "objectives",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("objective_id", sa.Text, primary_key=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("planned_business_value", sa.Integer, nullable=False),
        sa.Column("actual_business_value", sa.Integer),
        sa.Column("planned_by", sa.Text, nullable=False),
        sa.Column("planned_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_by", sa.Text),
        sa.Column("delivered_at", TIMESTAMP),
        schema=schema,
    )
    op.create_table(
        "dependencies",
        sa.Column("initiative_id", sa.Text, primary_key=True),
        sa.Column("depends_on_id", sa.Text, primary_key=True),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("declared_by", sa.Text, nullable=False),
        sa.Column("declared_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    # "Who depends on X" (dependents, blocked flags) reads the second key.
    op.create_index("dependencies_depends_on", "dependencies", ["depends_on_id"], schema=schema)


def _governance_tables(schema: str) -> None:
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.Text, primary_key=True),
        sa.Column("initiative_id", sa.Text, nullable=False),
        sa.Column("portfolio_id", sa.Text),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=False),
        sa.Column("review_id", sa.Text),
        sa.Column("period", sa.Text),
        sa.Column("committed_amount", sa.Numeric),
        sa.Column("currency", sa.Text),
        schema=schema,
    )
    # The decision log reads newest first, per portfolio or across all of them.
    op.create_index(
        "decisions_portfolio_log",
        "decisions",
        ["portfolio_id", sa.text("decided_at DESC"), sa.text("decision_id DESC")],
        schema=schema,
    )
    op.create_index(
        "decisions_log",
        "decisions",
        [sa.text("decided_at DESC"), sa.text("decision_id DESC")],
        schema=schema,
    )
    op.create_index(
        "decisions_initiative", "decisions", ["initiative_id", "decided_at"], schema=schema
    )
    op.create_index("decisions_review", "decisions", ["review_id"], schema=schema)
    op.create_table(
        "reviews",
        sa.Column("review_id", sa.Text, primary_key=True),
        sa.Column("portfolio_id", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("scheduled_for", sa.Date, nullable=False),
        sa.Column("attendees", TEXT_ARRAY, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("summary", sa.Text),
        sa.Column("scheduled_by", sa.Text, nullable=False),
        sa.Column("scheduled_at", TIMESTAMP, nullable=False),
        sa.Column("concluded_by", sa.Text),
        sa.Column("concluded_at", TIMESTAMP),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index(
        "reviews_portfolio", "reviews", ["portfolio_id", "scheduled_for"], schema=schema
    )
    op.create_table(
        "guardrail_overrides",
        sa.Column("stream_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("portfolio_id", sa.Text),
        sa.Column("guardrail", sa.Text, nullable=False),
        sa.Column("violation", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("overridden_by", sa.Text, nullable=False),
        sa.Column("overridden_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_index(
        "guardrail_overrides_portfolio",
        "guardrail_overrides",
        ["portfolio_id", "overridden_at"],
        schema=schema,
    )


def downgrade() -> None:
    schema = migration_schema()
    for table in reversed(NEW_TABLES):
        op.drop_table(table, schema=schema)
    for name in (
        "initiatives_updated_at_id",
        "initiatives_cost_of_delay_id",
        "initiatives_wsjf_id",
        "initiatives_commitments",
        "initiatives_portfolio_state",
        "initiatives_themes",
        "initiatives_search",
    ):
        op.drop_index(name, table_name="initiatives", schema=schema)
    for column in (
        "search",
        "risk_exposure",
        *reversed([name for name, _ in INITIATIVE_COLUMNS]),
        "state_entered_at",
        "strategic_theme_ids",
    ):
        op.drop_column("initiatives", column, schema=schema)
