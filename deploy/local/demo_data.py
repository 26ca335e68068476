"""Load demo initiatives through the gateway, as a portfolio manager would (idempotent).

Run by `make up`; safe to run again: the demo portfolio and initiatives that already exist (same
name or title) are skipped.
"""

from __future__ import annotations

import os
import sys

import httpx
from pmo_portfolio.settings import PortfolioSettings
from pmo_service.devkeys import issue_dev_token
from rich.progress import Progress

GATEWAY = os.environ.get("PMO_GATEWAY_URL", "http://127.0.0.1:4000/graphql")
DEMO = [
    (
        "Self-service customer onboarding",
        "alice",
        "For new business customers who wait three days "
        "for an account, a self-service sign-up will cut time-to-first-value to under an hour.",
    ),
    (
        "Data mesh pilot for finance",
        "bob",
        "For finance analysts who wait weeks for data, "
        "domain-owned data products will halve report lead time.",
    ),
    (
        "Mobile field-service app",
        "carol",
        "For field engineers who carry paper job sheets, "
        "a mobile app will raise first-time-fix rate by 15 %.",
    ),
    (
        "Platform team for CI/CD",
        "dave",
        "For stream-aligned teams blocked on pipelines, "
        "a paved road will cut lead time for changes from days to hours.",
    ),
    (
        "Quarterly PI planning cadence",
        "erin",
        "For teams planning in isolation, a shared "
        "planning cadence will raise flow predictability above 80 %.",
    ),
]
PORTFOLIO = "Digital channels"
PORTFOLIOS = "{ portfolios(first: 100) { edges { node { id name } } } }"
CREATE_PORTFOLIO = "mutation($i: CreatePortfolioInput!) { createPortfolio(input: $i) { id } }"
PROPOSE = "mutation($i: ProposeInitiativeInput!) { proposeInitiative(input: $i) { id } }"
EXISTING = """query($t: String!) {
  initiatives(first: 1, filter: {titleContains: $t}) { edges { node { title } } }
}"""


def demo_portfolio(client: httpx.Client) -> str | None:
    """The id of the demo portfolio, created if it is not there yet (None: the gateway refused)."""
    found = client.post(GATEWAY, json={"query": PORTFOLIOS}).json()
    if found.get("errors"):
        print(f"demo data: the gateway refused the query: {found['errors']}", file=sys.stderr)
        return None
    for edge in found["data"]["portfolios"]["edges"]:
        if edge["node"]["name"] == PORTFOLIO:
            existing: str = edge["node"]["id"]
            return existing
    variables = {"i": {"name": PORTFOLIO, "owner": "paula", "description": "Demo portfolio"}}
    body = client.post(GATEWAY, json={"query": CREATE_PORTFOLIO, "variables": variables}).json()
    if body.get("errors"):
        print(f"demo data: creating the portfolio failed: {body['errors']}", file=sys.stderr)
        return None
    created: str = body["data"]["createPortfolio"]["id"]
    return created


def main() -> int:
    token = issue_dev_token(PortfolioSettings(), "demo-loader", ["portfolio_manager"])
    headers = {"Authorization": f"Bearer {token}"}
    created = skipped = 0
    with httpx.Client(headers=headers, timeout=10) as client, Progress() as progress:
        portfolio_id = demo_portfolio(client)
        if portfolio_id is None:
            return 1
        task = progress.add_task("demo initiatives", total=len(DEMO))
        for title, owner, hypothesis in DEMO:
            found = client.post(GATEWAY, json={"query": EXISTING, "variables": {"t": title}}).json()
            if found.get("errors"):
                print(
                    f"demo data: the gateway refused the query: {found['errors']}", file=sys.stderr
                )
                return 1
            if found["data"]["initiatives"]["edges"]:
                skipped += 1
            else:
                proposal = {"title": title, "owner": owner, "hypothesis": hypothesis}
                variables = {"i": {**proposal, "portfolioId": portfolio_id}}
                body = client.post(GATEWAY, json={"query": PROPOSE, "variables": variables}).json()
                if body.get("errors"):
                    print(
                        f"demo data: proposing {title!r} failed: {body['errors']}", file=sys.stderr
                    )
                    return 1
                created += 1
            progress.advance(task)
    print(f"demo data: {created} initiatives proposed, {skipped} already there")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
