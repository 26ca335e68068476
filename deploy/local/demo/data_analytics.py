"""Data & Analytics: the bank's data foundation, analytics and AI."""

from __future__ import annotations

from .model import (
    Approval,
    BusinessCase,
    Dependency,
    Exit,
    Initiative,
    Objective,
    Outcome,
    Period,
    Portfolio,
    Review,
    Risk,
    Roam,
    State,
    Theme,
    Wsjf,
)

TRUSTED_DATA = "Trusted data foundation"
AI_DECISIONS = "AI-assisted decisions"
SELF_SERVICE_INSIGHT = "Insight self-service"

DATA_ANALYTICS = Portfolio(
    name="Data & Analytics",
    description="Data products, analytics and AI that the business and the regulator rely on.",
    owner="stefan.roth",
    manager="lukas.brandt",
    themes=(
        Theme(TRUSTED_DATA, "95 % of regulatory reports built from certified data products"),
        Theme(AI_DECISIONS, "50 % of consumer loan decisions automated, defaults not above 1.2 %"),
        Theme(SELF_SERVICE_INSIGHT, "A business question answered by a dashboard within 2 days"),
    ),
    budgets={Period.CURRENT: "1200000.00", Period.NEXT: "950000.00"},
    wip_limits={State.REVIEWING: 3, State.ANALYZING: 3, State.READY: 3, State.IMPLEMENTING: 3},
    past_review=Review(
        title="Data & Analytics quarterly portfolio review {current}",
        days_from_today=-12,
        attendees=("jonas.weber", "lukas.brandt", "stefan.roth", "eva.novak", "david.chen"),
        summary="Customer 360 and the BCBS 239 lineage funded (the latter over budget, from the "
        "regulatory reserve); churn prediction and the data catalogue funded for {next}.",
    ),
    next_review=Review(
        title="Data & Analytics portfolio review {next} planning",
        days_from_today=23,
        attendees=("jonas.weber", "lukas.brandt", "stefan.roth", "ravi.iyer"),
    ),
    initiatives=(
        Initiative(
            key="da-self-service-bi",
            title="Self-service BI platform rollout",
            owner="paul.meyer",
            hypothesis="For business analysts who wait weeks for IT-built reports, a governed "
            "self-service BI platform answers most questions within two days.",
            themes=(SELF_SERVICE_INSIGHT,),
            reaches=State.DONE,
            scores=(Wsjf(8, 5, 5, 5),),
            case=BusinessCase(
                "80000.00",
                "230000.00",
                "Report backlog halved; the legacy report server (180 k EUR a year) retired",
                ("dashboards built by business units", "report requests to IT"),
            ),
            approval=Approval(Period.CURRENT, "Retires the legacy report server this year"),
            risks=(
                Risk(
                    "Licence cost above plan",
                    2,
                    2,
                    "Per-user pricing grows with adoption",
                    Roam("RESOLVED", "paul.meyer", "Enterprise agreement with a flat fee signed"),
                ),
            ),
            objectives=(
                Objective("Dashboards self-served by five business units", 7, 8),
                Objective("Legacy report server decommissioned", 5, 5),
            ),
        ),
        Initiative(
            key="da-customer-360",
            title="Customer 360 data product",
            owner="david.chen",
            hypothesis="For channels and advisers who see only fragments of a customer, one "
            "certified customer data product with products, contacts and consents enables "
            "personalised service across the bank.",
            themes=(TRUSTED_DATA, AI_DECISIONS),
            reaches=State.IMPLEMENTING,
            scores=(Wsjf(13, 8, 13, 8, "Enabler for the assistant and credit decisioning"),),
            case=BusinessCase(
                "220000.00",
                "610000.00",
                "Enables three channel initiatives; 40 % less effort per customer data request",
                ("customers with a golden record", "consuming applications"),
            ),
            approval=Approval(Period.CURRENT, "Enabler of the highest-WSJF channel initiatives"),
            risks=(
                Risk(
                    "Consent data incomplete for legacy customers",
                    4,
                    4,
                    "About 20 % of customers predate the consent management system",
                    Roam("OWNED", "david.chen", "Consent backfill campaign planned with the DPO"),
                ),
                Risk(
                    "CRM replacement changes the source system mid-project",
                    2,
                    5,
                    "The CRM vendor's migration plan is not final",
                ),
            ),
            objectives=(
                Objective("Golden record for 95 % of active customers", 9),
                Objective("Consumed by two channel initiatives", 6),
            ),
        ),
        Initiative(
            key="da-bcbs239-lineage",
            title="Regulatory reporting data lineage (BCBS 239)",
            owner="eva.novak",
            hypothesis="For the risk and finance functions who answer the supervisor's data "
            "questions by hand, end-to-end lineage of regulatory figures closes the audit "
            "finding and cuts each inquiry from weeks to days.",
            themes=(TRUSTED_DATA,),
            reaches=State.IMPLEMENTING,
            scores=(Wsjf(8, 20, 13, 13, "Open supervisory finding"),),
            case=BusinessCase(
                "150000.00",
                "380000.00",
                "Closes the supervisory finding; avoids a capital add-on",
                ("regulatory figures with lineage", "days to answer a supervisor inquiry"),
            ),
            approval=Approval(
                Period.CURRENT,
                "Supervisory finding with a deadline",
                override="The supervisor's remediation deadline cannot wait for next quarter; "
                "the CFO funds the 20,000 EUR overrun from the regulatory reserve.",
            ),
            risks=(
                Risk(
                    "Lineage tool cannot parse legacy COBOL jobs",
                    3,
                    3,
                    "40 batch jobs feed the liquidity report",
                    Roam("ACCEPTED", "eva.novak", "Manual lineage for the 40 COBOL jobs"),
                ),
            ),
            objectives=(Objective("Lineage for every figure of the liquidity report", 8),),
        ),
        Initiative(
            key="da-churn-prediction",
            title="Churn prediction for current accounts",
            owner="ravi.iyer",
            hypothesis="For relationship managers who learn of a leaving customer too late, a "
            "weekly churn score lets them act first and keep 10 % of those customers.",
            themes=(AI_DECISIONS,),
            reaches=State.READY,
            scores=(Wsjf(8, 5, 3, 5),),
            case=BusinessCase(
                "50000.00",
                "140000.00",
                "600 k EUR margin a year from retained customers",
                ("customers contacted after a churn alert", "retention of alerted customers"),
            ),
            approval=Approval(Period.NEXT, "Starts when Customer 360 delivers"),
            objectives=(Objective("Churn alerts for all current account holders", 6),),
            depends_on=(Dependency("da-customer-360", "Trains on the customer data product"),),
        ),
        Initiative(
            key="da-data-catalogue",
            title="Data catalogue and business glossary",
            owner="eva.novak",
            hypothesis="For analysts who cannot find or trust data, a catalogue with owners and "
            "a glossary makes certified data findable in minutes.",
            themes=(TRUSTED_DATA, SELF_SERVICE_INSIGHT),
            reaches=State.READY,
            scores=(Wsjf(5, 3, 8, 5),),
            case=BusinessCase(
                "60000.00",
                "190000.00",
                "Analysts spend 20 % less time searching for data",
                ("catalogued data products", "catalogue searches per week"),
            ),
            approval=Approval(Period.NEXT, "Funded next quarter"),
            objectives=(Objective("Every certified data product catalogued with an owner", 6),),
        ),
        Initiative(
            key="da-credit-decisioning",
            title="Automated credit decisioning",
            owner="ravi.iyer",
            hypothesis="For consumers applying for a loan under 25,000 EUR, an automated decision "
            "in minutes wins applicants we lose to faster lenders, at an unchanged default "
            "rate.",
            themes=(AI_DECISIONS,),
            reaches=State.ANALYZING,
            scores=(
                Wsjf(13, 5, 8, 20, "Whole lending book in scope"),
                Wsjf(13, 8, 8, 13, "Scope cut to consumer loans under 25,000 EUR"),
            ),
            case=BusinessCase(
                "250000.00",
                "780000.00",
                "15 % more consumer loans; processing cost per loan down 60 %",
                ("share of automated decisions", "default rate of automated loans"),
            ),
            risks=(
                Risk(
                    "Model bias challenged as a high-risk AI system",
                    3,
                    5,
                    "The EU AI Act treats credit scoring as high risk",
                ),
            ),
            depends_on=(Dependency("da-customer-360", "Uses the customer's full relationship"),),
        ),
        Initiative(
            key="da-fraud-scoring",
            title="Real-time fraud scoring",
            owner="david.chen",
            hypothesis="For card holders hit by fraud, scoring each authorisation in real time "
            "stops fraudulent payments before they happen.",
            themes=(AI_DECISIONS,),
            reaches=State.REVIEWING,
            scores=(Wsjf(13, 13, 8, 13),),
            risks=(
                Risk(
                    "50 ms latency budget of card authorisations",
                    3,
                    4,
                    "The scheme's timeout leaves little room for a model call",
                ),
            ),
            depends_on=(Dependency("pi-event-streaming", "Scores the authorisation events"),),
        ),
        Initiative(
            key="da-marketing-attribution",
            title="Marketing attribution model",
            owner="julia.wagner",
            hypothesis="For marketing, which spends 6 M EUR a year without knowing what works, an "
            "attribution model shifts budget to the channels that convert.",
            themes=(SELF_SERVICE_INSIGHT,),
            reaches=State.REVIEWING,
        ),
        Initiative(
            key="da-genai-search",
            title="Generative AI knowledge search for advisers",
            owner="julia.wagner",
            hypothesis="For advisers who search six systems for a product rule, a generative "
            "search over our policies answers in seconds with its sources.",
            themes=(AI_DECISIONS,),
            reaches=State.FUNNEL,
        ),
        Initiative(
            key="da-esg-hub",
            title="ESG data hub for sustainable finance reporting",
            owner="eva.novak",
            hypothesis="For the sustainability office that compiles ESG figures in spreadsheets, "
            "an ESG data hub makes the CSRD report repeatable and auditable.",
            themes=(TRUSTED_DATA,),
            reaches=State.FUNNEL,
        ),
        Initiative(
            key="da-open-finance",
            title="Open finance data sharing (FIDA)",
            owner="ravi.iyer",
            hypothesis="For customers who want to share their savings and insurance data with "
            "third parties, FIDA-compliant APIs turn an obligation into new partnerships.",
            themes=(TRUSTED_DATA,),
            reaches=State.REVIEWING,
            outcomes=(Outcome(Exit.HOLD, "Waiting for the final text of the FIDA regulation"),),
        ),
        Initiative(
            key="da-dwh-appliance",
            title="Data warehouse appliance upgrade",
            owner="paul.meyer",
            hypothesis="For reporting that runs overnight on an ageing appliance, an upgrade "
            "keeps batch windows within their limits.",
            themes=(TRUSTED_DATA,),
            reaches=State.ANALYZING,
            scores=(Wsjf(3, 5, 3, 8),),
            outcomes=(
                Outcome(
                    Exit.ABANDON,
                    "Replaced by the cloud lakehouse migration in Platform & Infrastructure",
                ),
            ),
        ),
    ),
)
