"""Command handlers: load, decide (in the domain), save. Nothing else.

One handler per command, each `async def handler(command, context, repository)`; they live by
topic in `people` and `teams` (allocations, budgets, tools and demand join them), and are all
importable from here.
"""

from pmo_resources.app.allocations import (
    AdjustAllocation,
    ApproveAllocation,
    RejectAllocation,
    ReleaseAllocation,
    RequestAllocation,
    adjust_allocation,
    approve_allocation,
    reject_allocation,
    release_allocation,
    request_allocation,
)
from pmo_resources.app.context import CommandContext
from pmo_resources.app.people import (
    AssessSkill,
    ChangeCapacity,
    ChangeCostRate,
    OffboardPerson,
    OnboardPerson,
    assess_skill,
    change_capacity,
    change_cost_rate,
    offboard_person,
    onboard_person,
)
from pmo_resources.app.teams import (
    AddTeamMember,
    AdoptTool,
    DisbandTeam,
    FormTeam,
    PlanTeamCapacity,
    RemoveTeamMember,
    add_team_member,
    adopt_tool,
    disband_team,
    form_team,
    plan_team_capacity,
    remove_team_member,
)

__all__ = [
    "AddTeamMember",
    "AdjustAllocation",
    "AdoptTool",
    "ApproveAllocation",
    "AssessSkill",
    "ChangeCapacity",
    "ChangeCostRate",
    "CommandContext",
    "DisbandTeam",
    "FormTeam",
    "OffboardPerson",
    "OnboardPerson",
    "PlanTeamCapacity",
    "RejectAllocation",
    "ReleaseAllocation",
    "RemoveTeamMember",
    "RequestAllocation",
    "add_team_member",
    "adjust_allocation",
    "adopt_tool",
    "approve_allocation",
    "assess_skill",
    "change_capacity",
    "change_cost_rate",
    "disband_team",
    "form_team",
    "offboard_person",
    "onboard_person",
    "plan_team_capacity",
    "reject_allocation",
    "release_allocation",
    "remove_team_member",
    "request_allocation",
]
