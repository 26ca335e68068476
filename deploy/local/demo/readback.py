"""Reading the demo portfolios back through the gateway: are they there, and what they hold."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import operations as op
from .gateway import Actor, Gateway
from .model import State

if TYPE_CHECKING:
    from .resources import ResourcesSummary

READER = Actor("jonas.weber", "pmo")


@dataclass(frozen=True)
class Summary:
    """What the demo portfolios hold, as read back through the gateway."""

    loaded: bool  # False: they were already there and nothing was written
    portfolios: int
    initiatives: dict[str, int]  # per kanban state, in kanban order
    risks: int
    roamed_risks: int
    dependencies: int
    blocked: int
    decisions: dict[str, int]  # per kind
    reviews: dict[str, int]  # per status
    overrides: int
    resources: ResourcesSummary | None = None  # the resources demo data, once loaded after these

    def line(self) -> str:
        states = ", ".join(f"{state} {count}" for state, count in self.initiatives.items())
        kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.decisions.items()))
        reviews = ", ".join(f"{n} {status.lower()}" for status, n in sorted(self.reviews.items()))
        return (
            f"{'loaded' if self.loaded else 'already there'}: {self.portfolios} portfolios; "
            f"{sum(self.initiatives.values())} initiatives ({states}); "
            f"{self.risks} risks ({self.roamed_risks} ROAMed); "
            f"{self.dependencies} dependencies ({self.blocked} initiatives blocked); "
            f"{sum(self.decisions.values())} decisions ({kinds}); reviews: {reviews}; "
            f"{self.overrides} guardrail overrides"
        )


async def existing(gateway: Gateway) -> dict[str, dict[str, Any]]:
    """Every portfolio by name (all pages: names are not unique across the platform)."""
    found: dict[str, dict[str, Any]] = {}
    after: str | None = None
    while True:
        data = await gateway.call("listing the portfolios", op.PORTFOLIOS, {"after": after}, READER)
        page = data["portfolios"]
        for edge in page["edges"]:
            found.setdefault(edge["node"]["name"], edge["node"])
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def summary(gateway: Gateway, portfolio_ids: list[str], *, loaded: bool) -> Summary:
    """Read the demo portfolios back through the gateway."""
    states: Counter[str] = Counter()
    risks: list[str] = []
    edges: set[tuple[str, str]] = set()
    blocked: set[str] = set()
    kinds: Counter[str] = Counter()
    reviews: Counter[str] = Counter()
    overrides = 0
    for portfolio_id in portfolio_ids:
        data = await gateway.call(
            "reading the demo portfolio", op.PORTFOLIO_SUMMARY, {"id": portfolio_id}, READER
        )
        found = data["portfolio"]
        states.update({column["state"]: column["count"] for column in found["kanban"]})
        risks += [risk["status"] for risk in found["riskRegister"]]
        graph = found["dependencyGraph"]
        edges |= {(edge["initiativeId"], edge["dependsOnId"]) for edge in graph["edges"]}
        blocked |= {node["initiative"]["id"] for node in graph["nodes"] if node["blocked"]}
        reviews.update(review["status"] for review in found["reviews"])
        overrides += len(found["guardrailOverrides"])
        kinds.update(await _decision_kinds(gateway, portfolio_id))
    return Summary(
        loaded=loaded,
        portfolios=len(portfolio_ids),
        initiatives={state.value: states[state.value] for state in State},
        risks=len(risks),
        roamed_risks=sum(status != "OPEN" for status in risks),
        dependencies=len(edges),
        blocked=len(blocked),
        decisions=dict(kinds),
        reviews=dict(reviews),
        overrides=overrides,
    )


async def _decision_kinds(gateway: Gateway, portfolio_id: str) -> list[str]:
    kinds: list[str] = []
    after: str | None = None
    while True:
        data = await gateway.call(
            "reading the decision log",
            op.DECISIONS,
            {"id": portfolio_id, "after": after},
            READER,
        )
        page = data["portfolio"]["decisions"]
        kinds += [edge["node"]["kind"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return kinds
        after = page["pageInfo"]["endCursor"]
