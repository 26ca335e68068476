"""The GraphQL operations the demo loader sends to the gateway."""

from __future__ import annotations

CREATE_PORTFOLIO = """mutation CreatePortfolio($input: CreatePortfolioInput!) {
  createPortfolio(input: $input) { id themes { id name } }
}"""
SET_BUDGET = """mutation SetPortfolioBudget($input: SetPortfolioBudgetInput!) {
  setPortfolioBudget(input: $input) { id }
}"""
SET_WIP_LIMIT = """mutation SetWipLimit($input: SetWipLimitInput!) {
  setWipLimit(input: $input) { id }
}"""
CHANGE_PORTFOLIO = """mutation ChangePortfolioDetails($input: ChangePortfolioDetailsInput!) {
  changePortfolioDetails(input: $input) { id description }
}"""
SCHEDULE_REVIEW = """mutation SchedulePortfolioReview($input: SchedulePortfolioReviewInput!) {
  schedulePortfolioReview(input: $input) { id status }
}"""
CONCLUDE_REVIEW = """mutation ConcludePortfolioReview($input: ConcludePortfolioReviewInput!) {
  concludePortfolioReview(input: $input) { id status }
}"""
PROPOSE = """mutation ProposeInitiative($input: ProposeInitiativeInput!) {
  proposeInitiative(input: $input) { id state }
}"""
MOVE = """mutation MoveInitiative($input: MoveInitiativeInput!) {
  moveInitiative(input: $input) { id state }
}"""
SCORE = """mutation ScoreInitiative($input: ScoreInitiativeInput!) {
  scoreInitiative(input: $input) { id state }
}"""
BUSINESS_CASE = """mutation RecordBusinessCase($input: RecordBusinessCaseInput!) {
  recordBusinessCase(input: $input) { id state }
}"""
DECIDE = """mutation RecordDecision($input: RecordDecisionInput!) {
  recordDecision(input: $input) { id state }
}"""
RAISE_RISK = """mutation RaiseRisk($input: RaiseRiskInput!) {
  raiseRisk(input: $input) { id state risks { id title } }
}"""
ROAM_RISK = """mutation RoamRisk($input: RoamRiskInput!) {
  roamRisk(input: $input) { id state }
}"""
PLAN_OBJECTIVE = """mutation PlanObjective($input: PlanObjectiveInput!) {
  planObjective(input: $input) { id state objectives { id description } }
}"""
DELIVER_VALUE = """mutation RecordDeliveredValue($input: RecordDeliveredValueInput!) {
  recordDeliveredValue(input: $input) { id state }
}"""
DECLARE_DEPENDENCY = """mutation DeclareDependency($input: DeclareDependencyInput!) {
  declareDependency(input: $input) { id state }
}"""

PORTFOLIOS = """query Portfolios($after: String) {
  portfolios(first: 100, after: $after) {
    edges { node { id name description } }
    pageInfo { hasNextPage endCursor }
  }
}"""
PORTFOLIO_SUMMARY = """query DemoPortfolioSummary($id: ID!) {
  portfolio(id: $id) {
    kanban(first: 1) { state count }
    riskRegister { status }
    dependencyGraph {
      nodes { blocked initiative { id } }
      edges { initiativeId dependsOnId }
    }
    reviews { status }
    guardrailOverrides { guardrail }
  }
}"""
DECISIONS = """query DemoPortfolioDecisions($id: ID!, $after: String) {
  portfolio(id: $id) {
    decisions(first: 100, after: $after) {
      edges { node { kind } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
