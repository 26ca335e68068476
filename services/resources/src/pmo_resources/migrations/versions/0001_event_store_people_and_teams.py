"""Event store (events, relay and projection tracking) and the people and teams read models.

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

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    schema = migration_schema()
    create_event_store_tables(op, schema)
    _people(schema)
    _teams(schema)


def _people(schema: str) -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("home_team_id", sa.Text),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("offboarded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_day", sa.Date),
        sa.Column("offboard_reason", sa.Text),
        sa.Column("offboarded_by", sa.Text),
        sa.Column("offboarded_at", TIMESTAMP),
        sa.Column("onboarded_by", sa.Text, nullable=False),
        sa.Column("onboarded_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    # Keyset pagination orders by (name, id).
    op.create_index("people_name_id", "people", ["name", "id"], schema=schema)
    # An active person's e-mail is unique: the onboarding transaction relies on this index.
    op.create_index(
        "people_active_email",
        "people",
        ["email"],
        unique=True,
        schema=schema,
        postgresql_where=sa.text("NOT offboarded"),
    )
    op.create_table(
        "person_skills",
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("skill", sa.Text, primary_key=True),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("assessed_by", sa.Text, nullable=False),
        sa.Column("assessed_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_index("person_skills_skill_level", "person_skills", ["skill", "level"], schema=schema)
    op.create_table(
        "person_capacity_changes",
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("weekly_capacity_hours", sa.Numeric, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_table(
        "person_cost_rates",
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("cost_rate", sa.Numeric, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("changed_by", sa.Text, nullable=False),
        sa.Column("changed_at", TIMESTAMP, nullable=False),
        schema=schema,
    )


def _teams(schema: str) -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("topology", sa.Text, nullable=False),
        sa.Column("value_stream", sa.Text, nullable=False),
        sa.Column("formed_by", sa.Text, nullable=False),
        sa.Column("formed_at", TIMESTAMP, nullable=False),
        sa.Column("disbanded_on", sa.Date),
        sa.Column("disband_reason", sa.Text),
        sa.Column("disbanded_by", sa.Text),
        sa.Column("disbanded_at", TIMESTAMP),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        schema=schema,
    )
    op.create_index("teams_name_id", "teams", ["name", "id"], schema=schema)
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.Text, primary_key=True),
        sa.Column("person_id", sa.Text, primary_key=True),
        sa.Column("joined_on", sa.Date, primary_key=True),
        sa.Column("percent", sa.Integer, nullable=False),
        sa.Column("left_on", sa.Date),
        sa.Column("joined_by", sa.Text, nullable=False),
        sa.Column("joined_at", TIMESTAMP, nullable=False),
        sa.Column("left_by", sa.Text),
        sa.Column("left_at", TIMESTAMP),
        schema=schema,
    )
    op.create_index("team_members_person", "team_members", ["person_id"], schema=schema)
    op.create_table(
        "team_capacity_plans",
        sa.Column("team_id", sa.Text, primary_key=True),
        sa.Column("label", sa.Text, primary_key=True),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("capacity_hours", sa.Numeric, nullable=False),
        sa.Column("planned_by", sa.Text, nullable=False),
        sa.Column("planned_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_table(
        "team_tools",
        sa.Column("team_id", sa.Text, primary_key=True),
        sa.Column("tool_id", sa.Text, primary_key=True),
        sa.Column("adopted_by", sa.Text, nullable=False),
        sa.Column("adopted_at", TIMESTAMP, nullable=False),
        schema=schema,
    )
    op.create_index("team_tools_tool", "team_tools", ["tool_id"], schema=schema)


def downgrade() -> None:
    schema = migration_schema()
    for table in (
        "team_tools",
        "team_capacity_plans",
        "team_members",
        "teams",
        "person_cost_rates",
        "person_capacity_changes",
        "person_skills",
        "people",
    ):
        op.drop_table(table, schema=schema)
    drop_event_store_tables(op, schema)
