"""Demo data for a local platform: a retail bank's three portfolios, loaded through the gateway.

`load(gateway_url)` is what `deploy/local/demo_data.py` (run by `make up`) and the end-to-end
test call. The data lives in `demo.portfolios`, its vocabulary in `demo.model`; the commands
that produce it are planned and run by `demo.loader`, and `demo.readback` reads the result.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.settings import BaseAppSettings
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .gateway import HINT, DemoDataError, Gateway
from .loader import LOADING, HalfLoaded, Loader
from .portfolios import PORTFOLIOS
from .readback import Summary, existing, summary

__all__ = ["HINT", "DemoDataError", "HalfLoaded", "Summary", "load"]


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

    Raises DemoDataError (a call failed: `report()` says which, with what, and why) or
    HalfLoaded (an earlier load stopped half-way).
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
            return await summary(loader.gateway, ids, loaded=False)

        steps = loader.plan()
        with Progress(
            TextColumn("{task.description:<44.44}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=not progress,
        ) as bar:
            task = bar.add_task("demo data", total=len(steps))
            for step in steps:
                bar.update(task, description=step.label)
                await step.run()
                bar.advance(task)
            bar.update(task, description="demo data")
        return await summary(loader.gateway, [loader.ids[name] for name in names], loaded=True)


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
