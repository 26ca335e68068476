"""Demo data for a local platform: a retail bank's three portfolios, loaded through the gateway.

`load(gateway_url)` is what `deploy/local/demo_data.py` (run by `make up`) and the end-to-end
test call. The data lives in `demo.portfolios`, its vocabulary in `demo.model`; the commands
that produce it are planned and run by `demo.loader`, and `demo.readback` reads the result.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import httpx
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.settings import BaseAppSettings
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .gateway import HINT, DemoDataError, Gateway
from .loader import LOADING, HalfLoaded, Loader, Step, quarter
from .portfolios import PORTFOLIOS
from .readback import Summary, existing, summary
from .resources import (
    ResourcesHalfLoaded,
    ResourcesLoader,
    ResourcesSummary,
    check_complete,
    existing_teams,
    initiative_ids,
    resources_summary,
)

__all__ = [
    "HINT",
    "DemoDataError",
    "HalfLoaded",
    "ResourcesHalfLoaded",
    "ResourcesSummary",
    "Summary",
    "load",
    "load_resources",
]


async def load(
    gateway_url: str,
    *,
    token_settings: BaseAppSettings | None = None,
    today: date | None = None,
    progress: bool = False,
) -> Summary:
    """Load the demo portfolios through the GraphQL endpoint `gateway_url`, unless they are there.

    - `token_settings`: whose development key signs the JWTs (default: PortfolioSettings());
    - `today`: the day the budget periods and review dates are relative to (default: today, UTC);
    - `progress`: show a progress bar (steps done / total) on the terminal.

    Then the resources demo data (`load_resources`), unless it is there; its summary is
    `Summary.resources`.

    Raises DemoDataError (a call failed: `report()` says which, with what, and why) or
    HalfLoaded / ResourcesHalfLoaded (an earlier load stopped half-way).
    """
    settings = token_settings if token_settings is not None else PortfolioSettings()
    async with httpx.AsyncClient(timeout=30) as client:
        loader = Loader(Gateway(client, gateway_url, settings), today or datetime.now(UTC).date())
        there = await existing(loader.gateway)
        names = [portfolio.name for portfolio in PORTFOLIOS]
        found = [there[name] for name in names if name in there]
        if found:
            _check_complete(names, found)
            ids = [portfolio["id"] for portfolio in found]
            portfolios = await summary(loader.gateway, ids, loaded=False)
        else:
            await _run(loader.plan(), "demo data", progress)
            ids = [loader.ids[name] for name in names]
            portfolios = await summary(loader.gateway, ids, loaded=True)
        resources = await load_resources(loader.gateway, ids, loader.today, progress=progress)
        return dataclasses.replace(portfolios, resources=resources)


async def load_resources(
    gateway: Gateway, portfolio_ids: list[str], today: date, *, progress: bool = False
) -> ResourcesSummary:
    """Load the resources demo data (people, teams, allocations to the demo initiatives of the
    portfolios `portfolio_ids`, budgets, tools), unless the demo teams are there."""
    there = await existing_teams(gateway)
    if not there:
        loader = ResourcesLoader(gateway, today, await initiative_ids(gateway, portfolio_ids))
        await _run(loader.plan(), "resources demo data", progress)
        there = await existing_teams(gateway)
        loaded = True
    else:
        loaded = False
    check_complete(there)
    team_ids = [team["id"] for team in there.values()]
    return await resources_summary(gateway, team_ids, quarter(today), loaded=loaded)


async def _run(steps: list[Step], title: str, progress: bool) -> None:
    with Progress(
        TextColumn("{task.description:<44.44}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not progress,
    ) as bar:
        task = bar.add_task(title, total=len(steps))
        for step in steps:
            bar.update(task, description=step.label)
            await step.run()
            bar.advance(task)
        bar.update(task, description=title)


def _check_complete(names: list[str], found: list[dict[str, str]]) -> None:
    unfinished = [p["name"] for p in found if p["description"] == LOADING]
    missing = [name for name in names if name not in {p["name"] for p in found}]
    if not unfinished and not missing:
        return
    raise HalfLoaded(
        "an earlier load of the demo data stopped half-way "
        f"(unfinished: {', '.join(unfinished) or 'none'}; missing: {', '.join(missing) or 'none'})."
        " Nothing is deleted on this platform, so either rename those portfolios "
        "(changePortfolioDetails) and run it again, or start from empty data: `make down`, "
        "remove .local/kafka, `make infra-up`, `su postgres -c 'dropdb pmo'`, then `make up`"
    )
