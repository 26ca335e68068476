"""Inputs of the resources subgraph's mutations (one per command).

Limits (checked by the domain, refused with BAD_USER_INPUT naming the field): names, titles,
labels and value streams up to 200 characters; reasons up to 4000; skills up to 100. Hours and
money are Decimals (strings such as "37.5", at most 2 decimal places); a weekly capacity is 0 to
80 hours. Dates are ISO dates ("2026-12-01"); a date left out means today (UTC).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry

from pmo_resources.api.types import TeamTopology

# --- people --------------------------------------------------------------------------------------


@strawberry.input(description="A new person in the resource pool.")
class OnboardPersonInput:
    name: str = strawberry.field(description="Full name, 1 to 200 characters.")
    email: str = strawberry.field(description="E-mail, unique among active people.")
    title: str = strawberry.field(description="Job title.")
    weekly_capacity_hours: Decimal = strawberry.field(description="0 to 80 hours per week.")
    cost_rate: Decimal = strawberry.field(description="Cost per hour, at least 0.")
    currency: str = strawberry.field(description="ISO 4217 code of the cost rate, e.g. EUR.")
    home_team_id: strawberry.ID | None = strawberry.field(
        default=None, description="An existing, not disbanded team."
    )
    starts_on: date | None = strawberry.field(default=None, description="Default today.")


@strawberry.input(description="A skill's level for a person (it replaces the last one).")
class AssessSkillInput:
    person_id: strawberry.ID
    skill: str = strawberry.field(description="Any spelling: it is normalised (lower case).")
    level: int = strawberry.field(description="1 novice .. 5 expert.")


@strawberry.input(description="A person's weekly capacity from a date on.")
class ChangeCapacityInput:
    person_id: strawberry.ID
    weekly_capacity_hours: Decimal = strawberry.field(description="0 to 80 hours per week.")
    effective_from: date | None = strawberry.field(
        default=None, description="On or after their start date; default today."
    )


@strawberry.input(description="A person's hourly cost rate from a date on.")
class ChangeCostRateInput:
    person_id: strawberry.ID
    cost_rate: Decimal = strawberry.field(description="Cost per hour, at least 0.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR.")
    effective_from: date | None = strawberry.field(
        default=None, description="On or after their start date; default today."
    )


@strawberry.input(description="A person leaves: every later command on them is refused.")
class OffboardPersonInput:
    person_id: strawberry.ID
    reason: str = strawberry.field(description="Why they leave.")
    last_day: date | None = strawberry.field(
        default=None, description="Their last working day; default today."
    )


# --- teams ---------------------------------------------------------------------------------------


@strawberry.input(description="A new team.")
class FormTeamInput:
    name: str = strawberry.field(description="Name, 1 to 200 characters.")
    topology: TeamTopology = strawberry.field(  # type: ignore[valid-type]
        description="Its Team Topologies type."
    )
    value_stream: str = strawberry.field(description="The value stream it serves.")


@strawberry.input(description="A person joins a team for a share of their capacity.")
class AddTeamMemberInput:
    team_id: strawberry.ID
    person_id: strawberry.ID
    percent: int = strawberry.field(
        description="1 to 100; their shares across teams may not exceed 100 on any day."
    )
    joined_on: date | None = strawberry.field(default=None, description="Default today.")


@strawberry.input(description="A member leaves a team.")
class RemoveTeamMemberInput:
    team_id: strawberry.ID
    person_id: strawberry.ID
    left_on: date | None = strawberry.field(
        default=None, description="Their last day in the team; default today."
    )


@strawberry.input(
    description="A team's capacity for an iteration or period (replaces the label's)."
)
class PlanTeamCapacityInput:
    team_id: strawberry.ID
    label: str = strawberry.field(description="The iteration or period, e.g. 'PI 2026.4 / I1'.")
    starts_on: date
    ends_on: date = strawberry.field(description="On or after startsOn.")
    capacity_hours: Decimal = strawberry.field(description="At least 0.")


@strawberry.input(description="A team starts working with a tool.")
class AdoptToolInput:
    team_id: strawberry.ID
    tool_id: strawberry.ID = strawberry.field(
        description="The tool's id (not yet checked against registered tools)."
    )


@strawberry.input(description="Disband a team: its members leave, later commands are refused.")
class DisbandTeamInput:
    team_id: strawberry.ID
    reason: str
    disbanded_on: date | None = strawberry.field(default=None, description="Default today.")
