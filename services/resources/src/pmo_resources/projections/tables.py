"""The resources read-model tables, as SQLAlchemy Core sees them.

Unqualified names: the service's engine sets search_path to its own schema. Migration 0001 creates
the people and teams tables, 0002 the allocations tables (later migrations add the budget and tool
read models). Hours and money are NUMERIC (exact, no precision imposed, so a read model always
equals its events); times are timestamptz and dates are dates, both taken from the events
themselves. Read models have no foreign keys between them: each is a projection that may be
rebuilt alone.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

TIMESTAMP = sa.DateTime(timezone=True)

# The e-mail of an active person is unique: this partial index is what enforces it, inside the
# onboarding command's transaction (app/people.py maps its violation to BAD_USER_INPUT).
ACTIVE_EMAIL_INDEX = "people_active_email"

people = sa.Table(
    "people",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("email", sa.Text, nullable=False),  # lower-cased by the domain
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
    # The time of the last event of its stream: "last change".
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Index("people_name_id", "name", "id"),
    sa.Index(
        ACTIVE_EMAIL_INDEX,
        "email",
        unique=True,
        postgresql_where=sa.text("NOT offboarded"),
    ),
)

# The latest assessment of each skill (SkillAssessed replaces the row).
person_skills = sa.Table(
    "person_skills",
    metadata,
    sa.Column("person_id", sa.Text, primary_key=True),
    sa.Column("skill", sa.Text, primary_key=True),  # normalised by the domain
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("assessed_by", sa.Text, nullable=False),
    sa.Column("assessed_at", TIMESTAMP, nullable=False),
    sa.Index("person_skills_skill_level", "skill", "level"),
)

# Dated histories, one row per event (keyed by its version in the person's stream). The value in
# force on a day is the row with the latest effective_from on or before it, the later version
# winning on equal dates (a same-day correction): the Person aggregate's rule.
person_capacity_changes = sa.Table(
    "person_capacity_changes",
    metadata,
    sa.Column("person_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("weekly_capacity_hours", sa.Numeric, nullable=False),
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", TIMESTAMP, nullable=False),
)

person_cost_rates = sa.Table(
    "person_cost_rates",
    metadata,
    sa.Column("person_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("cost_rate", sa.Numeric, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("changed_by", sa.Text, nullable=False),
    sa.Column("changed_at", TIMESTAMP, nullable=False),
)

teams = sa.Table(
    "teams",
    metadata,
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
    sa.Index("teams_name_id", "name", "id"),
)

# Every membership ever (a person may leave and rejoin later: one row per joining).
team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("team_id", sa.Text, primary_key=True),
    sa.Column("person_id", sa.Text, primary_key=True),
    sa.Column("joined_on", sa.Date, primary_key=True),
    sa.Column("percent", sa.Integer, nullable=False),
    sa.Column("left_on", sa.Date),
    sa.Column("joined_by", sa.Text, nullable=False),
    sa.Column("joined_at", TIMESTAMP, nullable=False),
    sa.Column("left_by", sa.Text),
    sa.Column("left_at", TIMESTAMP),
    sa.Index("team_members_person", "person_id"),
)

# The latest plan of each label (TeamCapacityPlanned replaces the row).
team_capacity_plans = sa.Table(
    "team_capacity_plans",
    metadata,
    sa.Column("team_id", sa.Text, primary_key=True),
    sa.Column("label", sa.Text, primary_key=True),
    sa.Column("starts_on", sa.Date, nullable=False),
    sa.Column("ends_on", sa.Date, nullable=False),
    sa.Column("capacity_hours", sa.Numeric, nullable=False),
    sa.Column("planned_by", sa.Text, nullable=False),
    sa.Column("planned_at", TIMESTAMP, nullable=False),
)

team_tools = sa.Table(
    "team_tools",
    metadata,
    sa.Column("team_id", sa.Text, primary_key=True),
    sa.Column("tool_id", sa.Text, primary_key=True),
    sa.Column("adopted_by", sa.Text, nullable=False),
    sa.Column("adopted_at", TIMESTAMP, nullable=False),
    sa.Index("team_tools_tool", "tool_id"),
)

# Every read model of 0001, in the order rebuild empties them. Later migrations' tables join
# READ_MODELS (projections/__init__.py) so that rebuild empties them too.
PEOPLE_AND_TEAMS = (
    people,
    person_skills,
    person_capacity_changes,
    person_cost_rates,
    teams,
    team_members,
    team_capacity_plans,
    team_tools,
)

# --- allocations (0002) --------------------------------------------------------------------------

# One row per allocation. `active_until` is the last day its capacity is promised (APPROVED or
# RELEASED; null while requested, once rejected, or when a release dropped it entirely): the
# capacity views and the overcommitment check read the active allocations through it.
allocations = sa.Table(
    "allocations",
    metadata,
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
    sa.Index("allocations_person", "person_id"),
    sa.Index("allocations_team", "team_id"),
    sa.Index("allocations_initiative", "initiative_id"),
    sa.Index("allocations_requested_id", "requested_at", "id"),
)

# Every OvercommitmentOverridden (keyed by its version in the allocation's stream).
allocation_overrides = sa.Table(
    "allocation_overrides",
    metadata,
    sa.Column("allocation_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Text, nullable=False),
    sa.Column("weeks", sa.ARRAY(sa.Text), nullable=False),
    sa.Column("peak_percent", sa.Numeric, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("overridden_by", sa.Text, nullable=False),
    sa.Column("overridden_at", TIMESTAMP, nullable=False),
    sa.Index("allocation_overrides_person", "person_id"),
)

ALLOCATIONS = (allocations, allocation_overrides)

READ_MODELS: tuple[sa.Table, ...] = PEOPLE_AND_TEAMS + ALLOCATIONS
