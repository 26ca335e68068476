"""Digital Channels: the bank's customer-facing web, mobile and service channels."""

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

SELF_SERVICE = "Self-service first"
MOBILE = "Mobile-first experience"
ONBOARDING = "Frictionless onboarding"

DIGITAL_CHANNELS = Portfolio(
    name="Digital Channels",
    description="Customer-facing web, mobile and service channels of the retail bank.",
    owner="katrin.lange",
    manager="maria.keller",
    themes=(
        Theme(SELF_SERVICE, "70 % of service requests completed in self-service by 2027-Q4"),
        Theme(MOBILE, "App store rating of 4.5 or more and 60 % of active customers on mobile"),
        Theme(ONBOARDING, "90 % of new customers open an account in under 10 minutes"),
    ),
    budgets={Period.CURRENT: "1800000.00", Period.NEXT: "1600000.00"},
    wip_limits={State.REVIEWING: 4, State.ANALYZING: 3, State.READY: 4, State.IMPLEMENTING: 3},
    past_review=Review(
        title="Digital Channels quarterly portfolio review {current}",
        days_from_today=-14,
        attendees=("jonas.weber", "maria.keller", "katrin.lange", "anna.schmidt", "tom.becker"),
        summary="Six initiatives approved within the quarter's budget, the mortgage application "
        "funded for {next}; crypto trading rejected, the loyalty marketplace deferred and the "
        "desktop client cancelled.",
    ),
    next_review=Review(
        title="Digital Channels portfolio review {next} planning",
        days_from_today=21,
        attendees=("jonas.weber", "maria.keller", "katrin.lange", "lea.fischer", "omar.haddad"),
    ),
    initiatives=(
        Initiative(
            key="dc-account-opening",
            title="Self-service account opening",
            owner="anna.schmidt",
            hypothesis="For prospective customers who abandon our branch-based account opening, "
            "a fully digital sign-up with video identification lets them open an account in "
            "under 10 minutes; we will know it works when online completion passes 70 %.",
            themes=(ONBOARDING, SELF_SERVICE),
            reaches=State.DONE,
            scores=(Wsjf(13, 8, 5, 8, "Top reason for lost applicants in the 2026 survey"),),
            case=BusinessCase(
                "120000.00",
                "340000.00",
                "Branch onboarding cost down by 1.4 M EUR a year; 25 % more accounts opened",
                ("online account-opening completion rate", "median minutes to an account"),
            ),
            approval=Approval(Period.CURRENT, "Highest WSJF of the funnel; fits the budget"),
            risks=(
                Risk(
                    "Video identification vendor misses its SLA",
                    3,
                    3,
                    "Peak-hour waiting times above 5 minutes in the pilot",
                    Roam("MITIGATED", "anna.schmidt", "Second vendor contracted as a fallback"),
                ),
            ),
            objectives=(
                Objective("Digital sign-up live for private customers", 8, 8),
                Objective("Video identification integrated in the app", 5, 4),
            ),
        ),
        Initiative(
            key="dc-app-redesign",
            title="Mobile app redesign with biometric login",
            owner="tom.becker",
            hypothesis="For customers who find the app slow and dated, a redesign with "
            "biometric login makes everyday banking a two-tap task; success is an app rating "
            "back above 4.5 and 20 % more monthly active users.",
            themes=(MOBILE,),
            reaches=State.IMPLEMENTING,
            scores=(
                Wsjf(8, 5, 3, 13, "First estimate at intake"),
                Wsjf(13, 8, 3, 13, "Rescored after a competitor launch; our rating fell to 3.9"),
            ),
            case=BusinessCase(
                "250000.00",
                "480000.00",
                "Retain 2 % more customers a year (about 900 k EUR margin)",
                ("app store rating", "monthly active app users", "biometric login share"),
            ),
            approval=Approval(Period.CURRENT, "Churn risk from the app rating; fits the budget"),
            risks=(
                Risk(
                    "Accessibility audit findings late in the cycle",
                    3,
                    4,
                    "The external audit is booked only two weeks before release",
                    Roam("OWNED", "tom.becker", "Audit moved forward; fixes planned per sprint"),
                ),
                Risk(
                    "App store review rejects the biometric flow",
                    2,
                    3,
                    "Both stores changed their guidelines for authentication this year",
                ),
            ),
            objectives=(
                Objective("Biometric login used by 80 % of active users", 8),
                Objective("App store rating back above 4.5", 7),
            ),
        ),
        Initiative(
            key="dc-payment-notifications",
            title="Real-time payment notifications",
            owner="lea.fischer",
            hypothesis="For customers who only learn of card payments from the statement, push "
            "notifications within seconds cut fraud losses and calls to the service centre by "
            "15 %.",
            themes=(MOBILE, SELF_SERVICE),
            reaches=State.IMPLEMENTING,
            scores=(Wsjf(8, 8, 5, 5, "Fraud losses and a frequent customer request"),),
            case=BusinessCase(
                "60000.00",
                "150000.00",
                "Fraud losses down 300 k EUR a year; 15 % fewer 'where did this payment come "
                "from' calls",
                ("notification opt-in rate", "card fraud reported within 1 hour"),
            ),
            approval=Approval(Period.CURRENT, "Small, quick, and reduces fraud losses"),
            risks=(
                Risk(
                    "Push provider throughput at month-end peaks",
                    2,
                    4,
                    "Salary day produces ten times the usual volume",
                    Roam("ACCEPTED", "lea.fischer", "Batched fallback keeps delays under 2 min"),
                ),
            ),
            objectives=(Objective("Notifications for card and instant payments", 6),),
            depends_on=(Dependency("pi-event-streaming", "Payment events come from Kafka"),),
        ),
        Initiative(
            key="dc-service-assistant",
            title="Conversational assistant for service requests",
            owner="omar.haddad",
            hypothesis="For customers who call us to change an address or order a card, a "
            "conversational assistant in app and web completes the request at any hour; we "
            "expect 30 % of those requests to move off the phone.",
            themes=(SELF_SERVICE,),
            reaches=State.IMPLEMENTING,
            scores=(Wsjf(13, 5, 8, 8, "Service centre capacity is the bottleneck"),),
            case=BusinessCase(
                "150000.00",
                "420000.00",
                "Service centre cost down 1.1 M EUR a year from year two",
                ("requests completed by the assistant", "hand-over rate to an agent"),
            ),
            approval=Approval(
                Period.CURRENT,
                "Out-of-cycle approval: the service centre contract renewal needs the decision "
                "before the next review",
                in_review=False,
            ),
            risks=(
                Risk(
                    "Assistant answers wrongly on regulated products",
                    3,
                    5,
                    "Investment and credit questions need advice by licensed staff",
                    Roam(
                        "MITIGATED",
                        "omar.haddad",
                        "Hand-over to an agent on regulated topics; answers reviewed by compliance",
                    ),
                ),
                Risk("Customers ignore the assistant", 2, 2, "Adoption of the old FAQ bot was 4 %"),
            ),
            objectives=(Objective("30 % of card and address requests via the assistant", 8),),
            depends_on=(
                Dependency("da-customer-360", "Needs the customer's products and contact history"),
            ),
        ),
        Initiative(
            key="dc-accessibility",
            title="European Accessibility Act compliance",
            owner="ines.costa",
            hypothesis="For customers with disabilities who cannot use parts of our web and app, "
            "meeting WCAG 2.1 AA everywhere removes a legal exposure and opens the channels to "
            "every customer.",
            themes=(SELF_SERVICE, MOBILE),
            reaches=State.IMPLEMENTING,
            scores=(Wsjf(5, 20, 8, 8, "Legal obligation with a fixed date"),),
            case=BusinessCase(
                "90000.00",
                "260000.00",
                "Avoid fines and complaints; accessible journeys for about 8 % of customers",
                ("WCAG violations per release", "accessibility complaints"),
            ),
            approval=Approval(Period.CURRENT, "Legal obligation"),
            objectives=(Objective("WCAG 2.1 AA across web and app", 7),),
            wip_override="Regulatory deadline: the supervisor expects the accessibility "
            "remediation under way this quarter; the board accepts a fourth initiative in "
            "IMPLEMENTING until the app redesign ships.",
        ),
        Initiative(
            key="dc-card-controls",
            title="Card controls in the app",
            owner="tom.becker",
            hypothesis="For customers who misplace a card or travel, freezing it, setting limits "
            "and blocking regions in the app replaces a call to the hotline and stops fraud "
            "sooner.",
            themes=(SELF_SERVICE, MOBILE),
            reaches=State.READY,
            scores=(Wsjf(8, 5, 5, 3, "Small job, frequent request"),),
            case=BusinessCase(
                "40000.00",
                "110000.00",
                "20 % fewer hotline calls about lost cards; lower fraud write-offs",
                ("card freezes in app per month", "hotline calls about lost cards"),
            ),
            approval=Approval(Period.CURRENT, "High WSJF, small budget"),
            objectives=(Objective("Freeze, limits and geo-blocking in the app", 5),),
        ),
        Initiative(
            key="dc-digital-mortgage",
            title="Digital mortgage application",
            owner="anna.schmidt",
            hypothesis="For home buyers who need a mortgage offer within days, a digital "
            "application with document upload and an automated first decision gives an offer "
            "in 48 hours and wins 10 % more mortgages.",
            themes=(ONBOARDING,),
            reaches=State.READY,
            scores=(Wsjf(20, 5, 3, 20, "Big value, big job"),),
            case=BusinessCase(
                "300000.00",
                "900000.00",
                "10 % more mortgage volume (about 2.5 M EUR margin a year)",
                ("applications completed online", "days from application to offer"),
            ),
            approval=Approval(Period.NEXT, "Funded next quarter, after the credit engine"),
            risks=(
                Risk(
                    "Credit decision engine integration is more complex than planned",
                    4,
                    4,
                    "The automated decisioning initiative is still in analysis",
                ),
            ),
            objectives=(Objective("Mortgage offer within 48 hours for 60 % of applicants", 9),),
            depends_on=(
                Dependency("da-credit-decisioning", "Automated first decision on the application"),
            ),
        ),
        Initiative(
            key="dc-appointment-booking",
            title="Branch appointment booking",
            owner="lea.fischer",
            hypothesis="For customers who want advice in person, booking an appointment online "
            "with the right adviser cuts no-shows and waiting in branches.",
            themes=(SELF_SERVICE,),
            reaches=State.ANALYZING,
            scores=(Wsjf(5, 3, 2, 3),),
            case=BusinessCase(
                "30000.00",
                "75000.00",
                "Adviser utilisation up 10 %; fewer walk-in queues",
                ("online bookings per week", "no-show rate"),
            ),
        ),
        Initiative(
            key="dc-teen-accounts",
            title="Family banking accounts for teenagers",
            owner="omar.haddad",
            hypothesis="For parents who want to teach their children about money, a teen account "
            "managed from the parent's app wins young customers before they choose a neobank.",
            themes=(ONBOARDING,),
            reaches=State.ANALYZING,
            scores=(Wsjf(8, 3, 5, 8, "Strategic for customer acquisition"),),
        ),
        Initiative(
            key="dc-finance-insights",
            title="Personal finance insights",
            owner="nina.petrova",
            hypothesis="For customers who lose track of their spending, categorised insights and "
            "budgets in the app bring them back weekly and make the app their money hub.",
            themes=(MOBILE,),
            reaches=State.REVIEWING,
            scores=(Wsjf(8, 3, 3, 5),),
        ),
        Initiative(
            key="dc-co-browsing",
            title="Web chat co-browsing for advisers",
            owner="lea.fischer",
            hypothesis="For customers stuck in an online form, an adviser who can see and guide "
            "their screen finishes the journey instead of losing the customer.",
            themes=(SELF_SERVICE,),
            reaches=State.REVIEWING,
        ),
        Initiative(
            key="dc-crypto-trading",
            title="Cryptocurrency trading in the app",
            owner="tom.becker",
            hypothesis="For younger customers who buy crypto elsewhere, trading in our app keeps "
            "their money and their attention with us.",
            themes=(MOBILE,),
            reaches=State.REVIEWING,
            scores=(Wsjf(5, 2, 1, 13, "Uncertain demand, large regulatory effort"),),
            outcomes=(
                Outcome(
                    Exit.REJECT,
                    "Outside our risk appetite and no crypto-asset licence yet; revisit when the "
                    "group decides on MiCA",
                ),
            ),
        ),
        Initiative(
            key="dc-voice-banking",
            title="Voice banking on smart speakers",
            owner="nina.petrova",
            hypothesis="For customers who ask their speaker for everything, balance and recent "
            "payments by voice keep us part of their day.",
            themes=(MOBILE,),
            reaches=State.FUNNEL,
        ),
        Initiative(
            key="dc-loyalty-marketplace",
            title="Loyalty points marketplace",
            owner="omar.haddad",
            hypothesis="For card holders who ignore our points, a marketplace with partner "
            "rewards doubles redemption and card usage.",
            themes=(MOBILE,),
            reaches=State.ANALYZING,
            scores=(Wsjf(5, 3, 2, 13),),
            case=BusinessCase(
                "200000.00",
                "650000.00",
                "Card spend up 5 %; partner fees",
                ("points redeemed per month", "card spend per active card"),
            ),
            outcomes=(
                Outcome(
                    Exit.DEFER,
                    "The partner contract is being renegotiated; decide again next quarter",
                ),
            ),
        ),
        Initiative(
            key="dc-desktop-client",
            title="Desktop banking client refresh",
            owner="tom.becker",
            hypothesis="For business customers on the installed desktop client, a refreshed "
            "client keeps their multi-bank payments with us.",
            themes=(SELF_SERVICE,),
            reaches=State.REVIEWING,
            outcomes=(
                Outcome(
                    Exit.CANCEL,
                    "Usage of the desktop client fell below 3 %; the web and app redesign covers "
                    "its users",
                ),
            ),
        ),
    ),
)
