"""The portfolio kanban: which moves are legal.

    FUNNEL → REVIEWING → ANALYZING → READY → IMPLEMENTING → DONE

- Forward one step at a time.
- Back one step before implementation starts, when the work needs more of the previous stage:
  REVIEWING → FUNNEL (back to intake), ANALYZING → REVIEWING (rescope, rescore),
  READY → ANALYZING (the business case needs rework). Once IMPLEMENTING, an initiative finishes,
  is put on hold or is cancelled (a pivot is a cancellation and a new initiative).
- Any state before DONE → ON_HOLD (a reason is required); ON_HOLD → the state it was put on hold
  from (resume), and nowhere else but CANCELLED.
- Any state before DONE, ON_HOLD included → CANCELLED (a reason is required).
- DONE and CANCELLED are terminal.

Decisions move an initiative too (see `initiative`): REJECT sends it back to FUNNEL from
REVIEWING, ANALYZING or READY; DEFER puts it ON_HOLD; CANCEL ends it.
"""

from __future__ import annotations

from itertools import pairwise

from pmo_portfolio.domain.events import KanbanState

FLOW: tuple[KanbanState, ...] = (
    KanbanState.FUNNEL,
    KanbanState.REVIEWING,
    KanbanState.ANALYZING,
    KanbanState.READY,
    KanbanState.IMPLEMENTING,
    KanbanState.DONE,
)
FORWARD: dict[KanbanState, KanbanState] = dict(pairwise(FLOW))
BACKWARD: dict[KanbanState, KanbanState] = {
    KanbanState.REVIEWING: KanbanState.FUNNEL,
    KanbanState.ANALYZING: KanbanState.REVIEWING,
    KanbanState.READY: KanbanState.ANALYZING,
}
TERMINAL = frozenset({KanbanState.DONE, KanbanState.CANCELLED})
ACTIVE = frozenset(FLOW) - TERMINAL  # on the flow and not finished: FUNNEL .. IMPLEMENTING
REASON_REQUIRED = frozenset({KanbanState.ON_HOLD, KanbanState.CANCELLED})
WIP_LIMITED = frozenset(
    {KanbanState.REVIEWING, KanbanState.ANALYZING, KanbanState.READY, KanbanState.IMPLEMENTING}
)
"""The states a WIP limit can be set on (intake, hold and the end states are not limited)."""


def allowed_targets(state: KanbanState, resume_to: KanbanState | None) -> list[KanbanState]:
    """Where an initiative in `state` may move (`resume_to`: where ON_HOLD came from)."""
    if state in TERMINAL:
        return []
    if state is KanbanState.ON_HOLD:
        return [*([resume_to] if resume_to is not None else []), KanbanState.CANCELLED]
    targets = [FORWARD[state]]
    if state in BACKWARD:
        targets.append(BACKWARD[state])
    return [*targets, KanbanState.ON_HOLD, KanbanState.CANCELLED]
