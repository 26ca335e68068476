"""The Portfolio aggregate: the scope in which initiatives are ranked, funded and governed.

It holds the strategic themes (each with a measurable objective), a budget per period, the WIP
limit of each limited kanban state and the guardrails in force. A new portfolio starts with every
guardrail enabled: `create` records `PortfolioCreated` followed by `GuardrailsChanged` with the
full set, so the stream itself says which rules apply (the fold never assumes a default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from pmo_events.aggregate import Aggregate
from pmo_events.errors import Conflict, InvalidInput, NotFound

from pmo_portfolio.domain import validation as check
from pmo_portfolio.domain.events import (
    Guardrail,
    GuardrailsChanged,
    KanbanState,
    PortfolioBudgetSet,
    PortfolioCreated,
    PortfolioDetailsChanged,
    PortfolioEvent,
    StrategicThemeAdded,
    StrategicThemeRetired,
    WipLimitSet,
)
from pmo_portfolio.domain.governance import ALL_GUARDRAILS, Governance
from pmo_portfolio.domain.kanban import WIP_LIMITED

THEMES_MAX = 50  # active themes per portfolio: more is not a strategy
WIP_LIMIT_MAX = 1000


@dataclass(frozen=True)
class StrategicTheme:
    id: str
    name: str
    objective: str
    active: bool = True
    retired_reason: str | None = None


@dataclass(frozen=True)
class Budget:
    period: str
    amount: Decimal
    currency: str


@dataclass(kw_only=True)
class Portfolio(Aggregate):
    STREAM_TYPE: ClassVar[str] = "Portfolio"

    name: str = ""
    description: str = ""
    owner: str = ""
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    themes: dict[str, StrategicTheme] = field(default_factory=dict)
    budgets: dict[str, Budget] = field(default_factory=dict)
    wip_limits: dict[KanbanState, int] = field(default_factory=dict)
    guardrails: frozenset[Guardrail] = frozenset()

    # --- commands ------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        portfolio_id: str,
        *,
        name: str,
        description: str,
        owner: str,
        actor: str,
        now: datetime,
    ) -> Portfolio:
        portfolio_id = check.text("portfolio_id", portfolio_id)
        portfolio = cls(id=portfolio_id)
        portfolio._record(
            PortfolioCreated(
                portfolio_id=portfolio_id,
                name=check.text("name", name),
                description=check.text(
                    "description", description, max_length=check.TEXT_MAX, required=False
                ),
                owner=check.text("owner", owner),
                created_by=actor,
                created_at=now,
            )
        )
        portfolio._record(
            GuardrailsChanged(
                portfolio_id=portfolio_id,
                enabled=sorted(ALL_GUARDRAILS),
                changed_by=actor,
                changed_at=now,
            )
        )
        return portfolio

    def change_details(
        self, *, name: str, description: str, owner: str, actor: str, now: datetime
    ) -> None:
        """Replace name, description and owner; records nothing when none of them changes."""
        name = check.text("name", name)
        description = check.text(
            "description", description, max_length=check.TEXT_MAX, required=False
        )
        owner = check.text("owner", owner)
        if (name, description, owner) == (self.name, self.description, self.owner):
            return
        self._record(
            PortfolioDetailsChanged(
                portfolio_id=self.id,
                name=name,
                description=description,
                owner=owner,
                changed_by=actor,
                changed_at=now,
            )
        )

    def add_theme(
        self, theme_id: str, *, name: str, objective: str, actor: str, now: datetime
    ) -> None:
        theme_id = check.text("theme_id", theme_id)
        name = check.text("name", name)
        objective = check.text("objective", objective, max_length=check.TEXT_MAX)
        if theme_id in self.themes:
            raise Conflict(f"portfolio {self.id!r} already has a theme with the id {theme_id!r}")
        clash = next((t for t in self.active_themes if t.name.casefold() == name.casefold()), None)
        if clash is not None:
            raise Conflict(
                f"portfolio {self.id!r} already has an active theme named {clash.name!r} "
                f"(id {clash.id!r}); choose another name or retire that theme first"
            )
        if len(self.active_themes) >= THEMES_MAX:
            raise InvalidInput(
                f"portfolio {self.id!r} already has {THEMES_MAX} active themes, the limit; "
                "retire one first"
            )
        self._record(
            StrategicThemeAdded(
                portfolio_id=self.id,
                theme_id=theme_id,
                name=name,
                objective=objective,
                added_by=actor,
                added_at=now,
            )
        )

    def retire_theme(self, theme_id: str, *, reason: str, actor: str, now: datetime) -> None:
        reason = check.text("reason", reason, max_length=check.TEXT_MAX)
        theme = self.themes.get(theme_id)
        if theme is None:
            raise NotFound(
                f"portfolio {self.id!r} has no theme with the id {theme_id!r}; "
                "list its themes for the right id"
            )
        if not theme.active:
            raise Conflict(f"theme {theme_id!r} ({theme.name}) is already retired")
        self._record(
            StrategicThemeRetired(
                portfolio_id=self.id,
                theme_id=theme_id,
                reason=reason,
                retired_by=actor,
                retired_at=now,
            )
        )

    def set_budget(
        self, period: str, *, amount: Decimal, currency: str, actor: str, now: datetime
    ) -> None:
        """Set (or replace) the budget of one period."""
        self._record(
            PortfolioBudgetSet(
                portfolio_id=self.id,
                period=check.period("period", period),
                amount=check.money("amount", amount),
                currency=check.currency("currency", currency),
                set_by=actor,
                set_at=now,
            )
        )

    def set_wip_limit(
        self, state: KanbanState, limit: int | None, *, actor: str, now: datetime
    ) -> None:
        """Set a state's WIP limit (0 freezes the state); None removes it.

        Records nothing when the limit does not change (removing an absent limit included).
        """
        if state not in WIP_LIMITED:
            allowed = ", ".join(s.value for s in KanbanState if s in WIP_LIMITED)
            raise InvalidInput(
                f"a WIP limit can only be set on {allowed}; {state.value} is not limited "
                "(intake, hold and the end states take any number of initiatives)"
            )
        if limit is not None:
            limit = check.integer("limit", limit, low=0, high=WIP_LIMIT_MAX)
        if self.wip_limits.get(state) == limit:
            return
        self._record(
            WipLimitSet(portfolio_id=self.id, state=state, limit=limit, set_by=actor, set_at=now)
        )

    def remove_wip_limit(self, state: KanbanState, *, actor: str, now: datetime) -> None:
        self.set_wip_limit(state, None, actor=actor, now=now)

    def set_guardrails(self, enabled: Iterable[Guardrail], *, actor: str, now: datetime) -> None:
        """Set the full set of guardrails in force; records nothing when it does not change."""
        wanted: set[Guardrail] = set()
        for guardrail in enabled:
            try:
                wanted.add(Guardrail(guardrail))
            except ValueError:
                allowed = ", ".join(g.value for g in Guardrail)
                raise InvalidInput(
                    f"{guardrail!r} is not a guardrail; the guardrails are {allowed}"
                ) from None
        if wanted == self.guardrails:
            return
        self._record(
            GuardrailsChanged(
                portfolio_id=self.id, enabled=sorted(wanted), changed_by=actor, changed_at=now
            )
        )

    # --- queries -------------------------------------------------------------------------------

    @property
    def active_themes(self) -> list[StrategicTheme]:
        return [theme for theme in self.themes.values() if theme.active]

    @property
    def active_theme_ids(self) -> frozenset[str]:
        return frozenset(theme.id for theme in self.themes.values() if theme.active)

    def budget(self, period: str) -> Budget | None:
        return self.budgets.get(period)

    def wip_limit(self, state: KanbanState) -> int | None:
        return self.wip_limits.get(state)

    def governance_for_move(self, to_state: KanbanState, *, in_state: int) -> Governance:
        """Governance of a move to `to_state`, which holds `in_state` initiatives now."""
        return Governance(
            guardrails=self.guardrails, wip_limit=self.wip_limit(to_state), in_state=in_state
        )

    def governance_for_approval(self, period: str, *, committed_by_others: Decimal) -> Governance:
        """Governance of an approval in `period`.

        `committed_by_others`: what the approvals in force of the portfolio's OTHER initiatives
        already commit in that period (the approving initiative's own earlier approval is
        replaced by the new one, so it is not counted).
        """
        budget = self.budget(period)
        return Governance(
            guardrails=self.guardrails,
            remaining_budget=None if budget is None else budget.amount - committed_by_others,
            budget_currency=None if budget is None else budget.currency,
        )

    # --- fold ----------------------------------------------------------------------------------

    def _when(self, event: PortfolioEvent) -> None:
        match event:
            case PortfolioCreated():
                self.name = event.name
                self.description = event.description
                self.owner = event.owner
                self.created_by = event.created_by
                self.created_at = event.created_at
                self.updated_at = event.created_at
            case PortfolioDetailsChanged():
                self.name = event.name
                self.description = event.description
                self.owner = event.owner
                self.updated_at = event.changed_at
            case StrategicThemeAdded():
                self.themes[event.theme_id] = StrategicTheme(
                    event.theme_id, event.name, event.objective
                )
                self.updated_at = event.added_at
            case StrategicThemeRetired():
                theme = self.themes[event.theme_id]
                self.themes[event.theme_id] = replace(
                    theme, active=False, retired_reason=event.reason
                )
                self.updated_at = event.retired_at
            case PortfolioBudgetSet():
                self.budgets[event.period] = Budget(event.period, event.amount, event.currency)
                self.updated_at = event.set_at
            case WipLimitSet():
                if event.limit is None:
                    self.wip_limits.pop(event.state, None)
                else:
                    self.wip_limits[event.state] = event.limit
                self.updated_at = event.set_at
            case GuardrailsChanged():
                self.guardrails = frozenset(event.enabled)
                self.updated_at = event.changed_at
            case _:
                self._unexpected(event)
