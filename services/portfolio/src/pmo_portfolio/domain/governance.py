"""Guardrails: what the portfolio enforces on its initiatives, and how an override is recorded.

A guarded command gets a `Governance` snapshot (built by the handler from the Portfolio aggregate
and read-model counts, see `Portfolio.governance_for_move` / `governance_for_approval`), collects
the `Violation`s of the guardrails in force, and then:

- nothing violated: it records its events (an override reason, if given, changes nothing);
- something violated and no override reason: `GuardrailViolation` naming every broken rule;
- something violated, a reason given and the actor may override (`pmo` or `admin`): one
  `GuardrailOverridden` per violated rule, recorded BEFORE the guarded events, then those events.

An override reason from an actor without `pmo` or `admin` is refused (`Forbidden`) up front, even
when nothing would be violated: the client asked for a power it does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from pmo_events.errors import Forbidden, GuardrailViolation

from pmo_portfolio.domain.events import Guardrail, GuardrailOverridden
from pmo_portfolio.domain.validation import TEXT_MAX, optional_text

OVERRIDE_ROLES = frozenset({"pmo", "admin"})
ALL_GUARDRAILS = frozenset(Guardrail)
_OVERRIDE_HINT = "(or a pmo or admin may override it with a written reason)"


def may_override(roles: Iterable[str]) -> bool:
    """Whether an actor holding `roles` may override a guardrail."""
    return not OVERRIDE_ROLES.isdisjoint(roles)


@dataclass(frozen=True)
class Governance:
    """What the guardrails need to know about the portfolio for one command.

    - `guardrails`: the guardrails in force in the initiative's portfolio;
    - `wip_limit`, `in_state`: for a move, the target state's WIP limit (None: unlimited) and how
      many initiatives are in that state now (not counting the one moving);
    - `remaining_budget`, `budget_currency`: for an approval, the period's budget minus what other
      initiatives' approvals in force already commit (None: no budget set for the period).
    """

    guardrails: frozenset[Guardrail] = ALL_GUARDRAILS
    wip_limit: int | None = None
    in_state: int = 0
    remaining_budget: Decimal | None = None
    budget_currency: str | None = None

    def enforces(self, guardrail: Guardrail) -> bool:
        return guardrail in self.guardrails


@dataclass(frozen=True)
class Violation:
    guardrail: Guardrail
    message: str

    @classmethod
    def of(cls, guardrail: Guardrail, rule: str, remedy: str) -> Violation:
        return cls(guardrail, f"guardrail {guardrail.value}: {rule}; {remedy} {_OVERRIDE_HINT}")


def override_reason_of(reason: str | None, *, may_override: bool) -> str | None:
    """The cleaned override reason (None when absent); Forbidden without pmo or admin."""
    cleaned = optional_text("override_reason", reason, max_length=TEXT_MAX)
    if cleaned is not None and not may_override:
        raise Forbidden(
            "only a pmo or admin may override a guardrail; send the command without "
            "override_reason, or ask a pmo or admin to send it"
        )
    return cleaned


def resolve(
    violations: Iterable[Violation],
    *,
    override_reason: str | None,
    stream_id: str,
    portfolio_id: str | None,
    actor: str,
    now: datetime,
) -> list[GuardrailOverridden]:
    """Refuse the violations, or turn them into overrides when a reason was given.

    `override_reason` must come from `override_reason_of` (already checked for the role).
    """
    found = list(violations)
    if not found:
        return []
    if override_reason is None:
        raise GuardrailViolation("; ".join(violation.message for violation in found))
    return [
        GuardrailOverridden(
            stream_id=stream_id,
            portfolio_id=portfolio_id,
            guardrail=violation.guardrail,
            violation=violation.message,
            reason=override_reason,
            overridden_by=actor,
            overridden_at=now,
        )
        for violation in found
    ]
