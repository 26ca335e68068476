"""Tool commands: register a tool, change its seats, assign and revoke licences.

The Tool aggregate keeps assigned ≤ seats (a refusal is CONFLICT naming the seats). Assigning
needs a person who exists and still works here (not past their last day); a person who starts
later may get their licence ahead of their first day. Seat changes and assignments are retried
once when another command on the tool committed first: the retry re-checks the seats on the
fresh state, so two rival assignments can never take more seats than were bought. Assignments of
one tool also queue on the tool's stream lock, so a burst of them decides one after the other
(each sees the seats the one before left) instead of failing with CONFLICT.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pmo_events.errors import Conflict

from pmo_resources.app.context import CommandContext
from pmo_resources.app.repository import Repository, retry_on_conflict
from pmo_resources.domain.tool import Tool


@dataclass(frozen=True, slots=True)
class RegisterTool:
    name: str
    vendor: str
    seats: int
    cost_per_seat: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class ChangeToolSeats:
    tool_id: str
    seats: int


@dataclass(frozen=True, slots=True)
class AssignLicence:
    tool_id: str
    person_id: str


@dataclass(frozen=True, slots=True)
class RevokeLicence:
    tool_id: str
    person_id: str
    reason: str = ""


async def register_tool(
    command: RegisterTool, context: CommandContext, repository: Repository
) -> Tool:
    tool = Tool.register(
        context.ids(),
        name=command.name,
        vendor=command.vendor,
        seats=command.seats,
        cost_per_seat=command.cost_per_seat,
        currency=command.currency,
        actor=context.actor,
        now=context.clock(),
    )
    await repository.save(tool, metadata=context.metadata("RegisterTool"))
    return tool


async def change_tool_seats(
    command: ChangeToolSeats, context: CommandContext, repository: Repository
) -> Tool:
    def change(tool: Tool, now: datetime) -> None:
        tool.change_seats(command.seats, actor=context.actor, now=now)

    return await _change(command.tool_id, change, command, context, repository, retry=True)


async def assign_licence(
    command: AssignLicence, context: CommandContext, repository: Repository
) -> Tool:
    async def attempt() -> Tool:
        async with repository.transaction(context.metadata("AssignLicence")) as tx:
            # The person's row lock keeps an offboarding from slipping in between the check
            # and the assignment (offboarding takes the same lock).
            person = await tx.lock_person(command.person_id)
            if person.last_day is not None and person.last_day < context.today:
                raise Conflict(
                    f"person {person.id!r} ({person.name}) left on "
                    f"{person.last_day.isoformat()}; licences are for people who still work here"
                )
            # Assignments of one tool queue here rather than CONFLICT: with the seats as the
            # limit, each decides on the tool as the one before left it.
            await tx.lock_stream(command.tool_id)
            tool = await tx.load(Tool, command.tool_id)
            tool.assign(person.id, actor=context.actor, now=context.clock())
            await tx.save(tool)
        return tool

    return await retry_on_conflict(attempt)


async def revoke_licence(
    command: RevokeLicence, context: CommandContext, repository: Repository
) -> Tool:
    def change(tool: Tool, now: datetime) -> None:
        tool.revoke(command.person_id, reason=command.reason, actor=context.actor, now=now)

    return await _change(command.tool_id, change, command, context, repository)


async def _change(
    tool_id: str,
    change: Callable[[Tool, datetime], None],
    command: object,
    context: CommandContext,
    repository: Repository,
    *,
    retry: bool = False,
) -> Tool:
    """Load the tool, let the domain change it, save; once more on a clash if `retry`."""

    async def attempt() -> Tool:
        tool = await repository.load(Tool, tool_id)
        change(tool, context.clock())
        await repository.save(tool, metadata=context.metadata(type(command).__name__))
        return tool

    return await (retry_on_conflict(attempt) if retry else attempt())
