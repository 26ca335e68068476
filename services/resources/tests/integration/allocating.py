"""GraphQL documents and builders for the allocation tests (through the mutations, like the
conftest's builders)."""

from __future__ import annotations

import uuid
from typing import Any

from .conftest import Api

ALLOCATION_FIELDS = (
    "id initiativeId personId teamId startsOn endsOn percent hoursPerWeek note status "
    "activeUntil requestedBy approvedBy rejectionReason releasedFrom releaseCause releaseReason "
    "version overrides { personId weeks peakPercent reason overriddenBy }"
)

REQUEST = f"""mutation($input: RequestAllocationInput!) {{
  requestAllocation(input: $input) {{ {ALLOCATION_FIELDS} }} }}"""
APPROVE = f"""mutation($input: ApproveAllocationInput!) {{
  approveAllocation(input: $input) {{ {ALLOCATION_FIELDS} }} }}"""
REJECT = f"""mutation($input: RejectAllocationInput!) {{
  rejectAllocation(input: $input) {{ {ALLOCATION_FIELDS} }} }}"""
ADJUST = f"""mutation($input: AdjustAllocationInput!) {{
  adjustAllocation(input: $input) {{ {ALLOCATION_FIELDS} }} }}"""
RELEASE = f"""mutation($input: ReleaseAllocationInput!) {{
  releaseAllocation(input: $input) {{ {ALLOCATION_FIELDS} }} }}"""
ALLOCATION = f"""query($id: ID!) {{ allocation(id: $id) {{ {ALLOCATION_FIELDS} }} }}"""


def initiative() -> str:
    return f"initiative-{uuid.uuid4().hex[:8]}"


async def request(
    api: Api,
    *,
    person: str | None = None,
    team: str | None = None,
    starts_on: str,
    ends_on: str,
    percent: int | None = None,
    hours: str | None = None,
    initiative_id: str | None = None,
    role: str = "resource_manager",
) -> dict[str, Any]:
    given: dict[str, Any] = {
        "initiativeId": initiative_id or initiative(),
        "startsOn": starts_on,
        "endsOn": ends_on,
    }
    if person is not None:
        given["personId"] = person
    if team is not None:
        given["teamId"] = team
    if percent is not None:
        given["percent"] = percent
    if hours is not None:
        given["hoursPerWeek"] = hours
    return await api.ok(REQUEST, given, role=role)


async def approve(
    api: Api, allocation_id: str, *, role: str = "resource_manager", override: str | None = None
) -> dict[str, Any]:
    given: dict[str, Any] = {"allocationId": allocation_id}
    if override is not None:
        given["overrideReason"] = override
    return await api.ok(APPROVE, given, role=role)


async def approved(api: Api, **given: Any) -> dict[str, Any]:
    """A requested then approved allocation (the arguments of `request`)."""
    return await approve(api, (await request(api, **given))["id"])
