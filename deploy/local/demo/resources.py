"""The bank's people, teams, allocations, budgets and tools, loaded through the gateway into the
resources service after the demo portfolios (their initiatives are what people are allocated to).

36 people in six teams (every Team Topologies type, one to three per value stream: the three
portfolios), skills at levels, a few dated capacity and rate changes, person allocations to the
approved initiatives still open (two of them over 100 % with the PMO lead's override), three
value-stream budgets for the current quarter with commitments and expenses, labour accrued for the
quarter's complete weeks, and four tools whose licences leave one gap in a team.

Idempotent: the teams' capacity plans are the plan's last steps, so demo teams that all have one
mean a finished load (read back, nothing written); demo teams without are a load that stopped
half-way (refused, with what to do).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .gateway import Actor, Gateway
from .loader import Loader, Ref, Step, quarter
from .portfolios import PORTFOLIOS
from .readback import READER

RESOURCE_MANAGER = Actor("ines.roth", "resource_manager")
"""Onboards people, forms teams, approves allocations, runs budgets and tools."""
PMO_LEAD = Actor("jonas.weber", "pmo")
"""Overrides the 100 % rule where the portfolio's priorities need it."""


class ResourcesHalfLoaded(Exception):
    """Some demo teams exist but the load that created them did not finish."""


# --- the data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamData:
    key: str
    name: str
    topology: str
    value_stream: str
    tools: tuple[str, ...]  # keys of TOOLS the team adopts


@dataclass(frozen=True)
class PersonData:
    key: str
    name: str
    title: str
    team: str  # home team key (100 % there unless `also` says otherwise)
    hours: int  # weekly capacity
    rate: str  # EUR per hour
    skills: tuple[tuple[str, int], ...]
    also: tuple[str, int] | None = None  # (team key, percent): a second team for a share
    new_joiner: bool = False  # started two weeks ago; no licences of the team's data tool yet


@dataclass(frozen=True)
class AllocationData:
    person: str
    initiative: str  # initiative key of the portfolio demo
    percent: int
    window: str  # QUARTER (the current one), REST (next Monday to its end), NEXT (next quarter)
    override: str | None = None  # the PMO lead's reason for going over 100 %


@dataclass(frozen=True)
class ToolData:
    key: str
    name: str
    vendor: str
    seats: int
    cost_per_seat: str  # EUR per month


VALUE_STREAMS = ("Digital Channels", "Data & Analytics", "Platform & Infrastructure")

TEAMS = (
    TeamData("mobile", "Mobile & Web Banking", "STREAM_ALIGNED", VALUE_STREAMS[0],
             ("jira", "github", "figma")),
    TeamData("servicing", "Customer Servicing", "STREAM_ALIGNED", VALUE_STREAMS[0],
             ("jira", "github", "figma")),
    TeamData("data", "Data Products", "STREAM_ALIGNED", VALUE_STREAMS[1], ("jira", "databricks")),
    TeamData("risk", "Risk Models", "COMPLICATED_SUBSYSTEM", VALUE_STREAMS[1],
             ("jira", "databricks")),
    TeamData("cloud", "Cloud Platform", "PLATFORM", VALUE_STREAMS[2], ("jira", "github")),
    TeamData("enabling", "Architecture & Security Enablement", "ENABLING", VALUE_STREAMS[2],
             ("jira", "github")),
)  # fmt: skip

# fmt: off
PEOPLE = (
    PersonData("anna", "Anna Lehmann", "Product Owner", "mobile", 40, "95",
               (("product management", 5), ("ux research", 3))),
    PersonData("ben", "Ben Okafor", "Senior iOS Engineer", "mobile", 40, "92",
               (("swift", 5), ("kotlin", 3), ("accessibility", 4))),
    PersonData("clara", "Clara Novak", "Android Engineer", "mobile", 40, "85",
               (("kotlin", 4), ("swift", 2))),
    PersonData("david", "David Fischer", "Frontend Engineer", "mobile", 32, "80",
               (("typescript", 4), ("react", 4), ("accessibility", 3))),
    PersonData("elif", "Elif Yilmaz", "UX Designer", "mobile", 40, "82",
               (("ux research", 4), ("figma", 5), ("accessibility", 5))),
    PersonData("felix", "Felix Wagner", "QA Engineer", "mobile", 40, "72",
               (("test automation", 4), ("swift", 2))),
    PersonData("greta", "Greta Hansen", "Product Owner", "servicing", 40, "93",
               (("product management", 4), ("process design", 4))),
    PersonData("hassan", "Hassan Karimi", "Backend Engineer", "servicing", 40, "88",
               (("java", 5), ("kafka", 3))),
    PersonData("iris", "Iris Bauer", "Conversational Designer", "servicing", 40, "78",
               (("nlp", 3), ("ux research", 3))),
    PersonData("jan", "Jan Kowalski", "Machine Learning Engineer", "servicing", 40, "98",
               (("python", 5), ("nlp", 4))),
    PersonData("katrin", "Katrin Vogel", "Frontend Engineer", "servicing", 40, "80",
               (("typescript", 4), ("react", 3))),
    PersonData("luca", "Luca Romano", "Backend Engineer", "servicing", 40, "84",
               (("java", 4), ("postgresql", 3))),
    PersonData("mira", "Mira Schulz", "Data Product Owner", "data", 40, "96",
               (("product management", 4), ("data modelling", 4))),
    PersonData("nico", "Nico Berger", "Data Engineer", "data", 40, "90",
               (("python", 4), ("spark", 5), ("sql", 5))),
    PersonData("olivia", "Olivia Brown", "Analytics Engineer", "data", 40, "86",
               (("sql", 5), ("dbt", 4), ("data modelling", 3))),
    PersonData("pavel", "Pavel Horak", "Data Engineer", "data", 40, "88",
               (("spark", 4), ("kafka", 4), ("python", 3))),
    PersonData("quinn", "Quinn Murphy", "Data Governance Lead", "data", 40, "94",
               (("data governance", 5), ("sql", 3))),
    PersonData("rosa", "Rosa Jimenez", "Data Engineer", "data", 40, "82",
               (("python", 3), ("sql", 4)), new_joiner=True),
    PersonData("stefan", "Stefan Meier", "Lead Quant", "risk", 40, "115",
               (("credit risk modelling", 5), ("python", 4))),
    PersonData("tara", "Tara Singh", "Data Scientist", "risk", 40, "100",
               (("machine learning", 5), ("python", 5))),
    PersonData("ugo", "Ugo Bianchi", "Data Scientist", "risk", 32, "98",
               (("machine learning", 4), ("credit risk modelling", 3))),
    PersonData("vera", "Vera Petrova", "Model Validation Analyst", "risk", 40, "92",
               (("model validation", 5), ("credit risk modelling", 4))),
    PersonData("walter", "Walter Krause", "ML Engineer", "risk", 40, "96",
               (("python", 4), ("kubernetes", 3))),
    PersonData("xenia", "Xenia Wolf", "Risk Analyst", "risk", 40, "80",
               (("sql", 4), ("credit risk modelling", 3))),
    PersonData("yusuf", "Yusuf Demir", "Platform Lead", "cloud", 40, "110",
               (("kubernetes", 5), ("terraform", 4))),
    PersonData("zoe", "Zoe Martin", "Site Reliability Engineer", "cloud", 40, "98",
               (("kubernetes", 4), ("observability", 5))),
    PersonData("adrian", "Adrian Popescu", "Cloud Engineer", "cloud", 40, "90",
               (("terraform", 5), ("aws", 4))),
    PersonData("bianca", "Bianca Costa", "FinOps Analyst", "cloud", 40, "84",
               (("finops", 4), ("aws", 3), ("sql", 3))),
    PersonData("carl", "Carl Jensen", "Mainframe Engineer", "cloud", 40, "105",
               (("cobol", 5), ("java", 3))),
    PersonData("dana", "Dana Levi", "Site Reliability Engineer", "cloud", 40, "95",
               (("kubernetes", 4), ("chaos engineering", 4))),
    PersonData("emil", "Emil Larsen", "Enterprise Architect", "enabling", 40, "120",
               (("architecture", 5), ("kafka", 4))),
    PersonData("fatima", "Fatima Rahman", "Security Engineer", "enabling", 40, "105",
               (("security", 5), ("kubernetes", 3)), also=("cloud", 50)),
    PersonData("gabriel", "Gabriel Silva", "Agile Coach", "enabling", 40, "90",
               (("coaching", 5), ("process design", 3))),
    PersonData("hanna", "Hanna Nieminen", "Developer Experience Engineer", "enabling", 40, "92",
               (("typescript", 4), ("kubernetes", 3)), also=("cloud", 50)),
    PersonData("ivan", "Ivan Petrov", "Resilience Engineer", "enabling", 40, "100",
               (("chaos engineering", 5), ("security", 3))),
    PersonData("julia", "Julia Schneider", "Accessibility Specialist", "enabling", 40, "88",
               (("accessibility", 5), ("ux research", 3))),
)

ALLOCATIONS = (
    # Digital Channels
    AllocationData("anna", "dc-app-redesign", 60, "QUARTER"),
    AllocationData("ben", "dc-app-redesign", 60, "QUARTER"),
    AllocationData("ben", "dc-accessibility", 50, "QUARTER",
                   override="The European Accessibility Act deadline cannot move and Ben is the "
                   "only senior iOS engineer; a contractor takes over app redesign work in Q1"),
    AllocationData("clara", "dc-app-redesign", 80, "QUARTER"),
    AllocationData("david", "dc-accessibility", 50, "QUARTER"),
    AllocationData("elif", "dc-accessibility", 40, "QUARTER"),
    AllocationData("elif", "dc-app-redesign", 40, "QUARTER"),
    AllocationData("felix", "dc-app-redesign", 50, "QUARTER"),
    AllocationData("felix", "dc-card-controls", 40, "REST"),
    AllocationData("anna", "dc-card-controls", 30, "REST"),
    AllocationData("greta", "dc-service-assistant", 70, "QUARTER"),
    AllocationData("hassan", "dc-payment-notifications", 60, "QUARTER"),
    AllocationData("hassan", "dc-service-assistant", 30, "QUARTER"),
    AllocationData("iris", "dc-service-assistant", 80, "QUARTER"),
    AllocationData("jan", "dc-service-assistant", 90, "QUARTER"),
    AllocationData("katrin", "dc-payment-notifications", 50, "QUARTER"),
    AllocationData("luca", "dc-digital-mortgage", 80, "NEXT"),
    # Data & Analytics
    AllocationData("mira", "da-customer-360", 70, "QUARTER"),
    AllocationData("nico", "da-customer-360", 80, "QUARTER"),
    AllocationData("olivia", "da-customer-360", 50, "QUARTER"),
    AllocationData("olivia", "da-bcbs239-lineage", 40, "QUARTER"),
    AllocationData("pavel", "da-bcbs239-lineage", 70, "QUARTER"),
    AllocationData("quinn", "da-bcbs239-lineage", 80, "QUARTER"),
    AllocationData("quinn", "da-data-catalogue", 60, "NEXT"),
    AllocationData("tara", "da-churn-prediction", 60, "NEXT"),
    AllocationData("ugo", "da-churn-prediction", 50, "NEXT"),
    AllocationData("vera", "da-bcbs239-lineage", 30, "QUARTER"),
    AllocationData("xenia", "da-bcbs239-lineage", 50, "QUARTER"),
    # Platform & Infrastructure
    AllocationData("yusuf", "pi-kubernetes", 70, "QUARTER"),
    AllocationData("yusuf", "pi-dora-testing", 50, "QUARTER",
                   override="DORA resilience tests are due to the supervisor before year end; "
                   "Yusuf leads both and the platform backlog is reprioritised"),
    AllocationData("zoe", "pi-kubernetes", 60, "QUARTER"),
    AllocationData("zoe", "pi-dora-testing", 30, "QUARTER"),
    AllocationData("adrian", "pi-kubernetes", 80, "QUARTER"),
    AllocationData("bianca", "pi-finops", 70, "REST"),
    AllocationData("carl", "pi-mainframe-offload", 80, "NEXT"),
    AllocationData("dana", "pi-dora-testing", 70, "QUARTER"),
    AllocationData("emil", "pi-kubernetes", 20, "QUARTER"),
    AllocationData("fatima", "pi-dora-testing", 40, "QUARTER"),
    AllocationData("hanna", "pi-kubernetes", 50, "QUARTER"),
    AllocationData("ivan", "pi-dora-testing", 60, "QUARTER"),
    AllocationData("julia", "dc-accessibility", 50, "QUARTER"),
)
# fmt: on

# (value stream, amount, {initiative key: committed amount}); all EUR, the current quarter.
BUDGETS = (
    (VALUE_STREAMS[0], "1500000", {
        "dc-app-redesign": "300000", "dc-payment-notifications": "90000",
        "dc-service-assistant": "260000", "dc-accessibility": "170000",
        "dc-card-controls": "80000",
    }),
    (VALUE_STREAMS[1], "900000", {"da-customer-360": "350000", "da-bcbs239-lineage": "280000"}),
    (VALUE_STREAMS[2], "1100000", {
        "pi-kubernetes": "420000", "pi-dora-testing": "150000", "pi-finops": "50000",
    }),
)  # fmt: skip

# (value stream, EUR, what, days after the quarter's start, initiative key or None)
EXPENSES = (
    (VALUE_STREAMS[0], "18500.00", "Accessibility audit by an external agency", 10,
     "dc-accessibility"),
    (VALUE_STREAMS[0], "7200.00", "Speech-to-text API usage, October", 31, "dc-service-assistant"),
    (VALUE_STREAMS[1], "24000.00", "Lineage tool implementation partner, first milestone", 20,
     "da-bcbs239-lineage"),
    (VALUE_STREAMS[2], "31000.00", "Cloud spend for the developer platform, October", 31,
     "pi-kubernetes"),
    (VALUE_STREAMS[2], "12500.00", "Chaos engineering training for SREs", 14, None),
)  # fmt: skip

TOOLS = (
    ToolData("jira", "Jira Software", "Atlassian", 40, "8.15"),
    ToolData("github", "GitHub Enterprise", "GitHub", 30, "19.25"),
    ToolData("databricks", "Databricks", "Databricks", 12, "95.00"),
    ToolData("figma", "Figma Professional", "Figma", 12, "45.00"),
)

# Dated changes, days after the quarter's start: (person, days, new capacity hours).
CAPACITY_CHANGES = (("ugo", 28, 24), ("david", 0, 36), ("walter", 42, 32))
# (person, days, new rate EUR): raises from the quarter's start.
RATE_CHANGES = (("nico", 0, "94"), ("zoe", 0, "102"), ("tara", 0, "104"))


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@northbank.example"


# --- the operations --------------------------------------------------------------------------

FORM_TEAM = """mutation FormTeam($input: FormTeamInput!) { formTeam(input: $input) { id } }"""
ONBOARD = """mutation OnboardPerson($input: OnboardPersonInput!) {
  onboardPerson(input: $input) { id } }"""
ADD_MEMBER = """mutation AddTeamMember($input: AddTeamMemberInput!) {
  addTeamMember(input: $input) { id } }"""
ASSESS = """mutation AssessSkill($input: AssessSkillInput!) { assessSkill(input: $input) { id } }"""
CHANGE_CAPACITY = """mutation ChangeCapacity($input: ChangeCapacityInput!) {
  changeCapacity(input: $input) { id } }"""
CHANGE_RATE = """mutation ChangeCostRate($input: ChangeCostRateInput!) {
  changeCostRate(input: $input) { id } }"""
REGISTER_TOOL = """mutation RegisterTool($input: RegisterToolInput!) {
  registerTool(input: $input) { id } }"""
ADOPT_TOOL = """mutation AdoptTool($input: AdoptToolInput!) { adoptTool(input: $input) { id } }"""
ASSIGN_LICENCE = """mutation AssignLicence($input: AssignLicenceInput!) {
  assignLicence(input: $input) { id } }"""
OPEN_BUDGET = (
    """mutation OpenBudget($input: OpenBudgetInput!) { openBudget(input: $input) { id } }"""
)
COMMIT_FUNDS = """mutation CommitFunds($input: CommitFundsInput!) {
  commitFunds(input: $input) { id } }"""
RECORD_EXPENSE = """mutation RecordExpense($input: RecordExpenseInput!) {
  recordExpense(input: $input) { id } }"""
REQUEST_ALLOCATION = """mutation RequestAllocation($input: RequestAllocationInput!) {
  requestAllocation(input: $input) { id } }"""
APPROVE_ALLOCATION = """mutation ApproveAllocation($input: ApproveAllocationInput!) {
  approveAllocation(input: $input) { id status } }"""
ACCRUE_LABOUR = """mutation AccrueLabour($input: AccrueLabourInput!) {
  accrueLabour(input: $input) { recorded amount } }"""
PLAN_CAPACITY = """mutation PlanTeamCapacity($input: PlanTeamCapacityInput!) {
  planTeamCapacity(input: $input) { id } }"""

TEAMS_QUERY = """query DemoTeams($after: String) {
  teams(first: 100, after: $after) {
    edges { node { id name plannedCapacity { label } } }
    pageInfo { hasNextPage endCursor } } }"""
INITIATIVES_QUERY = """query DemoInitiatives($portfolioId: ID!, $after: String) {
  initiatives(first: 100, after: $after, filter: {portfolioId: $portfolioId}) {
    edges { node { id title } }
    pageInfo { hasNextPage endCursor } } }"""
TEAM_SUMMARY = """query DemoTeamSummary($id: ID!) {
  team(id: $id) {
    members { person { id allocations(status: APPROVED) { id overrides { reason } } } }
  }
  licenceGaps(teamId: $id) { personId }
}"""
BUDGETS_QUERY = """query DemoBudgets($period: String!) {
  budgets(period: $period, kind: VALUE_STREAM, first: 100) {
    edges { node { name ownerRef currency committed spent } } } }"""
TOOLS_QUERY = """query DemoTools {
  tools(first: 100) { edges { node { name seats assigned } } } }"""


# --- the plan --------------------------------------------------------------------------------


def quarter_bounds(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    following = (
        date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    )
    return start, following - timedelta(days=1)


class ResourcesLoader(Loader):
    """Plans the resources commands (the portfolio loader's step machinery, other data).

    `initiatives`: the demo initiatives' ids by key, read from the portfolio service.
    """

    def __init__(self, gateway: Gateway, today: date, initiatives: dict[str, str]) -> None:
        super().__init__(gateway, today)
        self.ids.update(initiatives)
        self.quarter_start, self.quarter_end = quarter_bounds(today)
        self.next_start, self.next_end = quarter_bounds(self.quarter_end + timedelta(days=1))

    def plan(self) -> list[Step]:
        return [
            *self._teams_and_people(),
            *self._tools(),
            *self._budgets(),
            *self._allocations(),
            self._step(
                "labour accrued", ACCRUE_LABOUR, RESOURCE_MANAGER, {"asOf": self.today.isoformat()}
            ),
            # Last: a team with a capacity plan is a completely loaded one.
            *self._capacity_plans(),
        ]

    def _keep(self, key: str) -> Any:
        def kept(answer: dict[str, Any]) -> None:
            self.ids[key] = answer["id"]

        return kept

    def _starts_on(self, index: int, person: PersonData) -> date:
        if person.new_joiner:
            return self.today - timedelta(days=14)
        return self.quarter_start - timedelta(days=120 + 30 * index)  # up to three years back

    def _teams_and_people(self) -> Iterator[Step]:
        rm = RESOURCE_MANAGER
        for team in TEAMS:
            yield self._step(
                f"team {team.name}: formed",
                FORM_TEAM,
                rm,
                {"name": team.name, "topology": team.topology, "valueStream": team.value_stream},
                then=self._keep(f"team/{team.key}"),
            )
        for index, person in enumerate(PEOPLE):
            starts = self._starts_on(index, person).isoformat()
            yield self._step(
                f"{person.name}: onboarded",
                ONBOARD,
                rm,
                {
                    "name": person.name,
                    "email": _email(person.name),
                    "title": person.title,
                    "weeklyCapacityHours": str(person.hours),
                    "costRate": person.rate,
                    "currency": "EUR",
                    "homeTeamId": Ref(f"team/{person.team}"),
                    "startsOn": starts,
                },
                then=self._keep(f"person/{person.key}"),
            )
            shares = [(person.team, 100 - (person.also[1] if person.also else 0))]
            shares += [person.also] if person.also else []
            for team_key, percent in shares:
                yield self._step(
                    f"{person.name}: joins {team_key}",
                    ADD_MEMBER,
                    rm,
                    {
                        "teamId": Ref(f"team/{team_key}"),
                        "personId": Ref(f"person/{person.key}"),
                        "percent": percent,
                        "joinedOn": starts,
                    },
                )
            for skill, level in person.skills:
                yield self._step(
                    f"{person.name}: {skill}",
                    ASSESS,
                    rm,
                    {"personId": Ref(f"person/{person.key}"), "skill": skill, "level": level},
                )
        for key, days, hours in CAPACITY_CHANGES:
            yield self._step(
                f"{key}: capacity {hours} h",
                CHANGE_CAPACITY,
                rm,
                {
                    "personId": Ref(f"person/{key}"),
                    "weeklyCapacityHours": str(hours),
                    "effectiveFrom": (self.quarter_start + timedelta(days=days)).isoformat(),
                },
            )
        for key, days, rate in RATE_CHANGES:
            yield self._step(
                f"{key}: cost rate {rate} EUR",
                CHANGE_RATE,
                rm,
                {
                    "personId": Ref(f"person/{key}"),
                    "costRate": rate,
                    "currency": "EUR",
                    "effectiveFrom": (self.quarter_start + timedelta(days=days)).isoformat(),
                },
            )

    def _tools(self) -> Iterator[Step]:
        rm = RESOURCE_MANAGER
        for tool in TOOLS:
            yield self._step(
                f"tool {tool.name}: registered",
                REGISTER_TOOL,
                rm,
                {
                    "name": tool.name,
                    "vendor": tool.vendor,
                    "seats": tool.seats,
                    "costPerSeat": tool.cost_per_seat,
                    "currency": "EUR",
                },
                then=self._keep(f"tool/{tool.key}"),
            )
        for team in TEAMS:
            for tool_key in team.tools:
                yield self._step(
                    f"team {team.name}: adopts {tool_key}",
                    ADOPT_TOOL,
                    rm,
                    {"teamId": Ref(f"team/{team.key}"), "toolId": Ref(f"tool/{tool_key}")},
                )
        # Everyone gets the tools of their teams, except the new joiner's data tool (the gap).
        for person in PEOPLE:
            teams = [person.team] + ([person.also[0]] if person.also else [])
            wanted = dict.fromkeys(t for team in TEAMS if team.key in teams for t in team.tools)
            for tool_key in wanted:
                if person.new_joiner and tool_key == "databricks":
                    continue
                yield self._step(
                    f"{person.name}: {tool_key} licence",
                    ASSIGN_LICENCE,
                    rm,
                    {"toolId": Ref(f"tool/{tool_key}"), "personId": Ref(f"person/{person.key}")},
                )

    def _budgets(self) -> Iterator[Step]:
        rm = RESOURCE_MANAGER
        period = quarter(self.today)
        for stream, amount, commitments in BUDGETS:
            yield self._step(
                f"budget {stream} {period}: opened",
                OPEN_BUDGET,
                rm,
                {
                    "name": f"{stream} {period}",
                    "kind": "VALUE_STREAM",
                    "ownerRef": stream,
                    "period": period,
                    "amount": amount,
                    "currency": "EUR",
                },
                then=self._keep(f"budget/{stream}"),
            )
            for initiative, committed in commitments.items():
                yield self._step(
                    f"budget {stream}: funds for {initiative}",
                    COMMIT_FUNDS,
                    rm,
                    {
                        "budgetId": Ref(f"budget/{stream}"),
                        "initiativeId": Ref(initiative),
                        "amount": committed,
                    },
                )
        for stream, amount, what, days, initiative in EXPENSES:
            spent_on = min(self.quarter_start + timedelta(days=days), self.today)
            yield self._step(
                f"budget {stream}: expense",
                RECORD_EXPENSE,
                rm,
                {
                    "budgetId": Ref(f"budget/{stream}"),
                    "amount": amount,
                    "currency": "EUR",
                    "description": what,
                    "spentOn": spent_on.isoformat(),
                    "initiativeId": Ref(initiative) if initiative else None,
                },
            )

    def _window(self, window: str) -> tuple[date, date]:
        if window == "QUARTER":
            return self.quarter_start, self.quarter_end
        if window == "REST":
            next_monday = self.today + timedelta(days=7 - self.today.weekday())
            return min(next_monday, self.quarter_end), self.quarter_end
        return self.next_start, self.next_end

    def _allocations(self) -> Iterator[Step]:
        for number, allocation in enumerate(ALLOCATIONS):
            key = f"allocation/{number}"
            starts, ends = self._window(allocation.window)
            label = f"{allocation.person} on {allocation.initiative}"
            yield self._step(
                f"{label}: requested",
                REQUEST_ALLOCATION,
                RESOURCE_MANAGER,
                {
                    "initiativeId": Ref(allocation.initiative),
                    "personId": Ref(f"person/{allocation.person}"),
                    "startsOn": starts.isoformat(),
                    "endsOn": ends.isoformat(),
                    "percent": allocation.percent,
                    "note": f"{allocation.percent} % for {allocation.window.lower()}",
                },
                then=self._keep(key),
            )
            # Over 100 % only the PMO lead may approve, with the reason on record.
            yield self._step(
                f"{label}: approved",
                APPROVE_ALLOCATION,
                PMO_LEAD if allocation.override else RESOURCE_MANAGER,
                {"allocationId": Ref(key), "overrideReason": allocation.override},
            )

    def _capacity_plans(self) -> Iterator[Step]:
        by_team: dict[str, Decimal] = {}
        for person in PEOPLE:
            home = 100 - (person.also[1] if person.also else 0)
            for team, percent in [(person.team, home), *([person.also] if person.also else [])]:
                weeks = Decimal(13)
                by_team[team] = by_team.get(team, Decimal(0)) + person.hours * weeks * percent / 100
        for team in TEAMS:
            yield self._step(
                f"team {team.name}: capacity planned",
                PLAN_CAPACITY,
                RESOURCE_MANAGER,
                {
                    "teamId": Ref(f"team/{team.key}"),
                    "label": quarter(self.today),
                    "startsOn": self.quarter_start.isoformat(),
                    "endsOn": self.quarter_end.isoformat(),
                    # 80 % of the nominal hours: holidays, support and meetings take the rest.
                    "capacityHours": str((by_team[team.key] * Decimal("0.8")).quantize(1)),
                },
            )


# --- reading back ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourcesSummary:
    """What the demo teams, budgets and tools hold, as read back through the gateway."""

    loaded: bool
    teams: int
    people: int
    allocations: int  # approved, of the demo teams' people
    overrides: int  # allocations approved over 100 % by a PMO override
    budgets: int
    committed: Decimal  # EUR, over the demo budgets
    spent: Decimal
    tools: int
    licences: int
    licence_gaps: int

    def line(self) -> str:
        return (
            f"resources {'loaded' if self.loaded else 'already there'}: {self.people} people in "
            f"{self.teams} teams; {self.allocations} approved allocations "
            f"({self.overrides} over 100 % by override); {self.budgets} budgets "
            f"(EUR {self.committed} committed, {self.spent} spent); {self.tools} tools, "
            f"{self.licences} licences, {self.licence_gaps} licence gaps"
        )


async def _pages(
    gateway: Gateway, what: str, operation: str, field: str, **variables: Any
) -> AsyncIterator[dict[str, Any]]:
    after: str | None = None
    while True:
        data = await gateway.call(what, operation, {**variables, "after": after}, READER)
        page = data[field]
        for edge in page["edges"]:
            yield edge["node"]
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]


async def initiative_ids(gateway: Gateway, portfolio_ids: list[str]) -> dict[str, str]:
    """The demo initiatives' ids by key (titles are unique in the demo data)."""
    keys = {i.title: i.key for p in PORTFOLIOS for i in p.initiatives}
    found: dict[str, str] = {}
    for portfolio_id in portfolio_ids:
        async for node in _pages(
            gateway,
            "listing the demo initiatives",
            INITIATIVES_QUERY,
            "initiatives",
            portfolioId=portfolio_id,
        ):
            if node["title"] in keys:
                found[keys[node["title"]]] = node["id"]
    return found


async def existing_teams(gateway: Gateway) -> dict[str, dict[str, Any]]:
    names = {team.name for team in TEAMS}
    found: dict[str, dict[str, Any]] = {}
    async for node in _pages(gateway, "listing the teams", TEAMS_QUERY, "teams"):
        if node["name"] in names:
            found.setdefault(node["name"], node)
    return found


def check_complete(found: dict[str, dict[str, Any]]) -> None:
    unfinished = [name for name, team in found.items() if not team["plannedCapacity"]]
    missing = [team.name for team in TEAMS if team.name not in found]
    if not unfinished and not missing:
        return
    raise ResourcesHalfLoaded(
        "an earlier load of the resources demo data stopped half-way (teams without a capacity "
        f"plan: {', '.join(unfinished) or 'none'}; missing: {', '.join(missing) or 'none'}). "
        "Nothing is deleted on this platform, so start from empty data: `make down`, remove "
        ".local/kafka, `make infra-up`, `su postgres -c 'dropdb pmo'`, then `make up`"
    )


async def resources_summary(
    gateway: Gateway, team_ids: list[str], period: str, *, loaded: bool
) -> ResourcesSummary:
    people: set[str] = set()
    allocations: set[str] = set()
    overridden: set[str] = set()
    gaps = 0
    for team_id in team_ids:
        data = await gateway.call(
            "reading a demo team", TEAM_SUMMARY, {"id": team_id}, RESOURCE_MANAGER
        )
        gaps += len(data["licenceGaps"])
        for member in data["team"]["members"]:
            people.add(member["person"]["id"])
            for allocation in member["person"]["allocations"]:
                allocations.add(allocation["id"])
                if allocation["overrides"]:
                    overridden.add(allocation["id"])
    streams = set(VALUE_STREAMS)
    data = await gateway.call("reading the budgets", BUDGETS_QUERY, {"period": period}, READER)
    budgets = [
        edge["node"]
        for edge in data["budgets"]["edges"]
        if edge["node"]["ownerRef"] in streams
        and edge["node"]["name"] == f"{edge['node']['ownerRef']} {period}"
    ]
    data = await gateway.call("reading the tools", TOOLS_QUERY, {}, READER)
    names = {tool.name for tool in TOOLS}
    tools = [edge["node"] for edge in data["tools"]["edges"] if edge["node"]["name"] in names]
    return ResourcesSummary(
        loaded=loaded,
        teams=len(team_ids),
        people=len(people),
        allocations=len(allocations),
        overrides=len(overridden),
        budgets=len(budgets),
        committed=sum((Decimal(b["committed"]) for b in budgets), Decimal(0)),
        spent=sum((Decimal(b["spent"]) for b in budgets), Decimal(0)),
        tools=len(tools),
        licences=sum(tool["assigned"] for tool in tools),
        licence_gaps=gaps,
    )
