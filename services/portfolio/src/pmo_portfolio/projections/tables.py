"""The portfolio's read-model tables, as SQLAlchemy Core sees them.

Unqualified names: the service's engine sets search_path to its own schema. The migrations
(0001, 0002) create exactly these tables; money is NUMERIC (exact, no precision imposed, so a
read model always equals its events), times are timestamptz taken from the events themselves.
Read models have no foreign keys between them: each is a projection that may be rebuilt alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR

metadata = sa.MetaData()

TEXT_ARRAY = ARRAY(sa.Text)
TIMESTAMP = sa.DateTime(timezone=True)

# The text search document of an initiative (GIN-indexed). 'simple': no stemming, no stop words,
# so a search for a product name or an acronym finds it whatever the language.
SEARCH_DOCUMENT = "to_tsvector('simple', title || ' ' || hypothesis)"

portfolios = sa.Table(
    "portfolios",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("guardrails", TEXT_ARRAY, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False),
    sa.Column("created_at", TIMESTAMP, nullable=False),
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
)

portfolio_themes = sa.Table(
    "portfolio_themes",
    metadata,
    sa.Column("portfolio_id", sa.Text, primary_key=True),
    sa.Column("theme_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("objective", sa.Text, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("added_by", sa.Text, nullable=False),
    sa.Column("added_at", TIMESTAMP, nullable=False),
    sa.Column("retired_by", sa.Text),
    sa.Column("retired_at", TIMESTAMP),
    sa.Column("retired_reason", sa.Text),
)

portfolio_budgets = sa.Table(
    "portfolio_budgets",
    metadata,
    sa.Column("portfolio_id", sa.Text, primary_key=True),
    sa.Column("period", sa.Text, primary_key=True),
    sa.Column("amount", sa.Numeric, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("set_by", sa.Text, nullable=False),
    sa.Column("set_at", TIMESTAMP, nullable=False),
)

# A state without a row has no limit (WipLimitSet with limit null deletes the row).
portfolio_wip_limits = sa.Table(
    "portfolio_wip_limits",
    metadata,
    sa.Column("portfolio_id", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, primary_key=True),
    sa.Column("limit", sa.Integer, nullable=False),
    sa.Column("set_by", sa.Text, nullable=False),
    sa.Column("set_at", TIMESTAMP, nullable=False),
)

initiatives = sa.Table(
    "initiatives",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("hypothesis", sa.Text, nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("proposed_by", sa.Text, nullable=False),
    sa.Column("proposed_at", TIMESTAMP, nullable=False),
    # The time of the last event of its stream: "last change".
    sa.Column("updated_at", TIMESTAMP, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    # --- 0002 ---
    sa.Column("strategic_theme_ids", TEXT_ARRAY, nullable=False, server_default="{}"),
    sa.Column("state_entered_at", TIMESTAMP, nullable=False),
    # The state it came from (where an ON_HOLD initiative resumes) and the reason of the move.
    sa.Column("previous_state", sa.Text),
    sa.Column("state_reason", sa.Text),
    # Latest WSJF score (the history is in initiative_wsjf_history).
    sa.Column("business_value", sa.Integer),
    sa.Column("time_criticality", sa.Integer),
    sa.Column("risk_reduction", sa.Integer),
    sa.Column("job_size", sa.Integer),
    sa.Column("cost_of_delay", sa.Integer),
    sa.Column("wsjf", sa.Numeric),
    sa.Column("wsjf_scored_at", TIMESTAMP),
    # Lean business case (the latest one recorded).
    sa.Column("mvp_cost", sa.Numeric),
    sa.Column("estimated_total_cost", sa.Numeric),
    sa.Column("currency", sa.Text),
    sa.Column("expected_benefits", sa.Text),
    sa.Column("leading_indicators", TEXT_ARRAY),
    sa.Column("business_case_recorded_by", sa.Text),
    sa.Column("business_case_recorded_at", TIMESTAMP),
    # Latest governance decision and what the standing approval commits (see governance.py).
    sa.Column("last_decision", sa.Text),
    sa.Column("last_decision_at", TIMESTAMP),
    sa.Column("approved_period", sa.Text),
    sa.Column("committed_amount", sa.Numeric),
    sa.Column("committed_currency", sa.Text),
    # Σ probability * impact of its open risks (status OPEN or OWNED; see risks below).
    sa.Column("risk_exposure", sa.Integer, nullable=False, server_default="0"),
    sa.Column("search", TSVECTOR, sa.Computed(SEARCH_DOCUMENT, persisted=True)),
)

initiative_wsjf_history = sa.Table(
    "initiative_wsjf_history",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),  # of the initiative's stream
    sa.Column("business_value", sa.Integer, nullable=False),
    sa.Column("time_criticality", sa.Integer, nullable=False),
    sa.Column("risk_reduction", sa.Integer, nullable=False),
    sa.Column("job_size", sa.Integer, nullable=False),
    sa.Column("cost_of_delay", sa.Integer, nullable=False),
    sa.Column("wsjf", sa.Numeric, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("scored_by", sa.Text, nullable=False),
    sa.Column("scored_at", TIMESTAMP, nullable=False),
)

# status: OPEN until ROAMed, then RESOLVED, OWNED, ACCEPTED or MITIGATED. A risk is "open" (counts
# in exposure and the heat map) while OPEN or OWNED: owned means someone is working on it, but it
# has not been dealt with; resolved, accepted (a decision to live with it) and mitigated ones have.
risks = sa.Table(
    "risks",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("risk_id", sa.Text, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("probability", sa.Integer, nullable=False),
    sa.Column("impact", sa.Integer, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("owner", sa.Text),
    sa.Column("notes", sa.Text),
    sa.Column("raised_by", sa.Text, nullable=False),
    sa.Column("raised_at", TIMESTAMP, nullable=False),
    sa.Column("roamed_by", sa.Text),
    sa.Column("roamed_at", TIMESTAMP),
)
# Exposure still live: not ROAMed yet, owned, or accepted as it is (the domain's Risk.is_open).
# RESOLVED risks are gone and MITIGATED ones have a mitigation in place.
OPEN_RISK_STATUSES = ("OPEN", "OWNED", "ACCEPTED")

objectives = sa.Table(
    "objectives",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("objective_id", sa.Text, primary_key=True),
    sa.Column("description", sa.Text, nullable=False),
    sa.Column("planned_business_value", sa.Integer, nullable=False),
    sa.Column("actual_business_value", sa.Integer),
    sa.Column("planned_by", sa.Text, nullable=False),
    sa.Column("planned_at", TIMESTAMP, nullable=False),
    sa.Column("delivered_by", sa.Text),
    sa.Column("delivered_at", TIMESTAMP),
)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("decision_id", sa.Text, primary_key=True),
    sa.Column("initiative_id", sa.Text, nullable=False),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("rationale", sa.Text, nullable=False),
    sa.Column("decided_by", sa.Text, nullable=False),
    sa.Column("decided_at", TIMESTAMP, nullable=False),
    sa.Column("review_id", sa.Text),
    sa.Column("period", sa.Text),
    sa.Column("committed_amount", sa.Numeric),
    sa.Column("currency", sa.Text),
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("review_id", sa.Text, primary_key=True),
    sa.Column("portfolio_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("scheduled_for", sa.Date, nullable=False),
    sa.Column("attendees", TEXT_ARRAY, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # SCHEDULED or CONCLUDED
    sa.Column("summary", sa.Text),
    sa.Column("scheduled_by", sa.Text, nullable=False),
    sa.Column("scheduled_at", TIMESTAMP, nullable=False),
    sa.Column("concluded_by", sa.Text),
    sa.Column("concluded_at", TIMESTAMP),
    sa.Column("version", sa.Integer, nullable=False),
)

dependencies = sa.Table(
    "dependencies",
    metadata,
    sa.Column("initiative_id", sa.Text, primary_key=True),
    sa.Column("depends_on_id", sa.Text, primary_key=True),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("declared_by", sa.Text, nullable=False),
    sa.Column("declared_at", TIMESTAMP, nullable=False),
)

# Keyed by the event's place in its stream: an override has no id of its own.
guardrail_overrides = sa.Table(
    "guardrail_overrides",
    metadata,
    sa.Column("stream_id", sa.Text, primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("portfolio_id", sa.Text),
    sa.Column("guardrail", sa.Text, nullable=False),
    sa.Column("violation", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("overridden_by", sa.Text, nullable=False),
    sa.Column("overridden_at", TIMESTAMP, nullable=False),
)

# Every read model, in the order rebuild empties them.
READ_MODELS = (
    portfolios,
    portfolio_themes,
    portfolio_budgets,
    portfolio_wip_limits,
    initiatives,
    initiative_wsjf_history,
    risks,
    objectives,
    decisions,
    reviews,
    dependencies,
    guardrail_overrides,
)
