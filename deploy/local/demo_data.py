"""Load the demo organisation through the gateway (run by `make up`; safe to run again).

    uv run python deploy/local/demo_data.py        # PMO_GATEWAY_URL overrides the gateway URL

A retail bank's three portfolios with their themes, budgets and WIP limits, 39 initiatives across
every kanban state, WSJF scores, business cases, risks, objectives, dependencies, two portfolio
reviews each and the decisions taken in them (see deploy/local/demo/). If the demo portfolios
already exist it only prints what they hold. Exit status 1 on any refusal, with what was sent.
"""

from __future__ import annotations

import asyncio
import os
import sys

from demo import DemoDataError, HalfLoaded, ResourcesHalfLoaded, load

GATEWAY = os.environ.get("PMO_GATEWAY_URL", "http://127.0.0.1:4000/graphql")


def main() -> int:
    try:
        summary = asyncio.run(load(GATEWAY, progress=True))
    except DemoDataError as error:
        print(error.report(), file=sys.stderr)
        return 1
    except (HalfLoaded, ResourcesHalfLoaded) as error:
        print(f"demo data: {error}", file=sys.stderr)
        return 1
    print(f"demo data {summary.line()}")
    if summary.resources is not None:
        print(f"demo data {summary.resources.line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
