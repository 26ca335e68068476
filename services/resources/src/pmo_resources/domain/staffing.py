"""The staffing planner: open demand, in priority order, matched week by week against the free
capacity of people, through teams (by skill) or the person or team a request names.

Pure: the service turns its read models into these inputs (`projections/staffing.py`).

Inputs:

- `horizon`: consecutive ISO weeks; the planner works in whole weeks.
- `free`: person id → week → hours still free (capacity minus approved commitment; negative
  when overcommitted).
- `lines`: demand lines, highest priority first. Each has needs; a need lasts `weeks`
  consecutive weeks from `earliest` on at the soonest, and has **candidates**: the ways to meet
  it (a team with the skill, or the team or person a request names), each saying what it would
  ask of each person in each week (`asks`: person → week → hours, computed by the service with
  the allocation arithmetic, so a placement never overcommits anyone the approval would refuse).

Rules:

- A need is placed on the candidate that can start earliest: a start week `s` fits when, in each
  of its weeks, every person asked has at least the hours asked free, and someone is asked at all
  (a team without members that week carries nothing). On a tie, the earlier candidate wins (the
  service orders them: most free hours first).
- A line is planned whole or not at all: when one of its needs cannot be placed within the
  horizon, none of its needs keeps capacity (lower-priority lines may use it), and the line says
  why. Placed lines keep their capacity: lines after them see less.
- A line without needs has nothing to plan.

Why a need cannot be placed: no candidate at all (the service's reason, e.g. no team has the
skill), longer than the horizon, or — from the candidate that fits the most weeks — the first
week and person that fall short, with hours asked and free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from pmo_resources.domain.capacity import IsoWeek, hours_text

ZERO = Decimal(0)


@dataclass(frozen=True)
class Candidate:
    """One way to meet a need: a team or a person (`pool_id`), and what it asks of whom."""

    pool_id: str
    name: str
    asks: Mapping[str, Mapping[IsoWeek, Decimal]]  # person → week → hours when placed there

    def asked(self, week: IsoWeek) -> dict[str, Decimal]:
        return {
            person: hours
            for person, by_week in self.asks.items()
            if (hours := by_week.get(week, ZERO)) > 0
        }


@dataclass(frozen=True)
class Need:
    """`weeks` consecutive weeks of work, from `earliest` on at the soonest."""

    key: str  # unique within the plan (e.g. the requested allocation's id)
    weeks: int
    earliest: IsoWeek
    candidates: tuple[Candidate, ...]
    without_candidates: str = "nobody can take it"  # the reason when there are no candidates


@dataclass(frozen=True)
class DemandLine:
    initiative_id: str
    needs: tuple[Need, ...]


class LineStatus(StrEnum):
    STAFFABLE = "STAFFABLE"  # every need placed within the horizon
    NOT_STAFFABLE = "NOT_STAFFABLE"  # some need cannot be placed (see the reasons)
    NOTHING_TO_PLAN = "NOTHING_TO_PLAN"  # no need stated


@dataclass(frozen=True)
class Placement:
    need: Need
    candidate: Candidate
    first_week: IsoWeek
    last_week: IsoWeek


@dataclass(frozen=True)
class Shortfall:
    need: Need
    reason: str


@dataclass(frozen=True)
class LinePlan:
    line: DemandLine
    rank: int  # 1 = highest priority
    status: LineStatus
    placements: tuple[Placement, ...] = ()  # empty unless STAFFABLE
    shortfalls: tuple[Shortfall, ...] = ()

    @property
    def staffed_from(self) -> IsoWeek | None:
        """The week from which every need is staffed (the latest start)."""
        return max((p.first_week for p in self.placements), default=None)


@dataclass
class _Ledger:
    """Free hours as placements consume them."""

    free: dict[str, dict[IsoWeek, Decimal]] = field(default_factory=dict)

    def of(self, person: str, week: IsoWeek) -> Decimal:
        return self.free.get(person, {}).get(week, ZERO)

    def take(self, asked: Mapping[str, Decimal], week: IsoWeek, sign: int = 1) -> None:
        for person, hours in asked.items():
            weeks = self.free.setdefault(person, {})
            weeks[week] = weeks.get(week, ZERO) - sign * hours


def plan_staffing(
    lines: Sequence[DemandLine],
    horizon: Sequence[IsoWeek],
    free: Mapping[str, Mapping[IsoWeek, Decimal]],
    *,
    names: Mapping[str, str] | None = None,
) -> list[LinePlan]:
    """Plan `lines` in order against `free` over `horizon` (see the module docstring)."""
    ledger = _Ledger({person: dict(by_week) for person, by_week in free.items()})
    names = names or {}
    plans: list[LinePlan] = []
    for rank, line in enumerate(lines, start=1):
        if not line.needs:
            plans.append(LinePlan(line, rank, LineStatus.NOTHING_TO_PLAN))
            continue
        placements: list[Placement] = []
        shortfalls: list[Shortfall] = []
        for need in line.needs:
            placed = _place(need, horizon, ledger)
            if placed is None:
                shortfalls.append(Shortfall(need, _why(need, horizon, ledger, names)))
                continue
            placements.append(placed)
            _reserve(placed, horizon, ledger)
        if shortfalls:
            for placed in placements:  # the line keeps nothing
                _reserve(placed, horizon, ledger, sign=-1)
            plans.append(LinePlan(line, rank, LineStatus.NOT_STAFFABLE, (), tuple(shortfalls)))
        else:
            plans.append(LinePlan(line, rank, LineStatus.STAFFABLE, tuple(placements)))
    return plans


def _starts(need: Need, horizon: Sequence[IsoWeek]) -> range:
    first = next((i for i, week in enumerate(horizon) if week >= need.earliest), len(horizon))
    return range(first, len(horizon) - need.weeks + 1)


def _fits(candidate: Candidate, week: IsoWeek, ledger: _Ledger) -> bool:
    asked = candidate.asked(week)
    return bool(asked) and all(hours <= ledger.of(p, week) for p, hours in asked.items())


def _place(need: Need, horizon: Sequence[IsoWeek], ledger: _Ledger) -> Placement | None:
    best: Placement | None = None
    for candidate in need.candidates:
        for start in _starts(need, horizon):
            if best is not None and horizon[start] >= best.first_week:
                break
            weeks = horizon[start : start + need.weeks]
            if all(_fits(candidate, week, ledger) for week in weeks):
                best = Placement(need, candidate, weeks[0], weeks[-1])
                break
    return best


def _reserve(placed: Placement, horizon: Sequence[IsoWeek], ledger: _Ledger, sign: int = 1) -> None:
    for week in horizon:
        if placed.first_week <= week <= placed.last_week:
            ledger.take(placed.candidate.asked(week), week, sign)


def _why(need: Need, horizon: Sequence[IsoWeek], ledger: _Ledger, names: Mapping[str, str]) -> str:
    if not need.candidates:
        return need.without_candidates
    if need.weeks > len(horizon):
        return f"it needs {need.weeks} weeks, longer than the horizon of {len(horizon)} weeks"
    starts = _starts(need, horizon)
    if not starts:
        return (
            f"it cannot start before {need.earliest} and needs {need.weeks} weeks: the horizon "
            f"ends with {horizon[-1]}"
        )
    # The candidate that fits the most weeks of the horizon shows the bottleneck.
    window = [horizon[i] for i in range(starts[0], len(horizon))]
    best = max(need.candidates, key=lambda c: sum(_fits(c, week, ledger) for week in window))
    span = f"for {need.weeks} consecutive weeks between {window[0]} and {window[-1]}"
    blocked = next((week for week in window if not _fits(best, week, ledger)), None)
    if blocked is None:  # cannot happen: a window that fits every week holds a placement
        return f"no candidate is free {span}"
    asked = best.asked(blocked)
    if not asked:
        return f"not free {span}: {best.name} has nobody to carry it in {blocked}"
    person, hours = max(asked.items(), key=lambda item: item[1] - ledger.of(item[0], blocked))
    free = max(ledger.of(person, blocked), ZERO)
    return (
        f"not free {span}: in {blocked}, {best.name} would ask {hours_text(hours)} h of "
        f"{names.get(person, person)}, who has {hours_text(free)} h free"
    )
