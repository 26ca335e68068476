"""Platform & Infrastructure: the cloud platform, resilience, security and cost of IT."""

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

CLOUD_NATIVE = "Cloud-native delivery"
RESILIENCE = "Operational resilience"
FINOPS = "Cost transparency (FinOps)"
SECURE = "Secure by default"

PLATFORM_INFRASTRUCTURE = Portfolio(
    name="Platform & Infrastructure",
    description="The internal platform every product team builds on: cloud, resilience, "
    "security and the cost of running it.",
    owner="claudia.berg",
    manager="sofia.marino",
    themes=(
        Theme(CLOUD_NATIVE, "80 % of workloads on the cloud platform; change lead time < 1 day"),
        Theme(RESILIENCE, "DORA compliant; critical services available 99.95 % of the time"),
        Theme(FINOPS, "Unit cost per transaction down 20 %, every cloud euro allocated"),
        Theme(SECURE, "No critical vulnerability older than 14 days"),
    ),
    budgets={Period.CURRENT: "1500000.00", Period.NEXT: "1400000.00"},
    wip_limits={State.REVIEWING: 3, State.ANALYZING: 3, State.READY: 3, State.IMPLEMENTING: 4},
    past_review=Review(
        title="Platform & Infrastructure quarterly portfolio review {current}",
        days_from_today=-10,
        attendees=("jonas.weber", "sofia.marino", "claudia.berg", "marco.rossi"),
        summary="Kubernetes platform, DORA testing and FinOps funded; mainframe offloading "
        "funded for {next}; the data centre exit deferred.",
    ),
    next_review=Review(
        title="Platform & Infrastructure portfolio review {next} planning",
        days_from_today=25,
        attendees=("jonas.weber", "sofia.marino", "claudia.berg", "hannah.vogel"),
    ),
    initiatives=(
        Initiative(
            key="pi-event-streaming",
            title="Event streaming platform",
            owner="marco.rossi",
            hypothesis="For teams that integrate through nightly files and point-to-point calls, "
            "a managed event streaming platform delivers business events in seconds and "
            "decouples their release cycles.",
            themes=(CLOUD_NATIVE,),
            reaches=State.DONE,
            scores=(Wsjf(8, 8, 13, 8, "Enabler for real-time channels and fraud"),),
            case=BusinessCase(
                "150000.00",
                "390000.00",
                "Integration effort per new consumer down 50 %; nightly file transfers retired",
                ("domains producing events", "point-to-point interfaces retired"),
            ),
            approval=Approval(Period.CURRENT, "Enabler of three portfolios"),
            risks=(
                Risk(
                    "Skills gap in the operations team",
                    3,
                    3,
                    "Nobody in operations has run Kafka in production",
                    Roam("MITIGATED", "marco.rossi", "Two engineers trained; vendor support"),
                ),
            ),
            objectives=(
                Objective("Platform in production with three producing domains", 8, 9),
                Objective("Self-service topic provisioning", 5, 4),
            ),
        ),
        Initiative(
            key="pi-kubernetes",
            title="Kubernetes internal developer platform",
            owner="marco.rossi",
            hypothesis="For product teams who wait two weeks for an environment, a self-service "
            "Kubernetes platform with paved roads gets a new service to production in a day.",
            themes=(CLOUD_NATIVE, SECURE),
            reaches=State.IMPLEMENTING,
            scores=(
                Wsjf(13, 8, 13, 20, "Platform, mesh and migration in one epic"),
                Wsjf(13, 8, 13, 13, "Split: the service mesh became its own initiative"),
            ),
            case=BusinessCase(
                "280000.00",
                "720000.00",
                "Lead time for changes from 12 days to 1; 30 % less infrastructure toil",
                ("services on the platform", "lead time for changes"),
            ),
            approval=Approval(Period.CURRENT, "Foundation of the cloud-native theme"),
            risks=(
                Risk(
                    "Cluster upgrades overwhelm product teams",
                    3,
                    3,
                    "Kubernetes releases every four months",
                    Roam(
                        "OWNED", "sofia.marino", "Platform team owns upgrades; two releases' notice"
                    ),
                ),
                Risk(
                    "Shortage of platform engineers",
                    4,
                    3,
                    "Two open positions for six months",
                ),
            ),
            objectives=(
                Objective("Twenty services running on the platform", 8),
                Objective("New service to production within a day", 7),
            ),
        ),
        Initiative(
            key="pi-dora-testing",
            title="DORA resilience testing programme",
            owner="hannah.vogel",
            hypothesis="For the critical payment services the regulator watches, a programme of "
            "scenario and threat-led tests proves we recover within our tolerances.",
            themes=(RESILIENCE,),
            reaches=State.IMPLEMENTING,
            scores=(Wsjf(8, 20, 13, 8, "Regulatory obligation"),),
            case=BusinessCase(
                "80000.00",
                "210000.00",
                "Compliance with DORA; fewer and shorter major incidents",
                ("critical services tested", "recovery time in tests vs tolerance"),
            ),
            approval=Approval(Period.CURRENT, "Regulatory obligation"),
            risks=(
                Risk(
                    "Third-party providers refuse to take part in tests",
                    3,
                    4,
                    "Two critical providers have not signed the testing clause",
                ),
            ),
            objectives=(Objective("Threat-led test of the critical payment services", 8),),
        ),
        Initiative(
            key="pi-finops",
            title="Cloud cost allocation and FinOps dashboards",
            owner="felix.hartmann",
            hypothesis="For product owners who never see their cloud bill, cost per team and per "
            "transaction in a dashboard leads to 15 % savings within a year.",
            themes=(FINOPS,),
            reaches=State.READY,
            scores=(Wsjf(5, 3, 5, 3),),
            case=BusinessCase(
                "25000.00",
                "70000.00",
                "15 % lower cloud spend (about 400 k EUR a year)",
                ("cloud spend allocated to a team", "cost per transaction"),
            ),
            approval=Approval(Period.CURRENT, "Pays for itself within the quarter"),
            objectives=(Objective("Every cloud euro allocated to a team", 6),),
            depends_on=(Dependency("da-self-service-bi", "Dashboards on the BI platform"),),
        ),
        Initiative(
            key="pi-mainframe-offload",
            title="Mainframe batch offloading to the cloud",
            owner="marco.rossi",
            hypothesis="For the nightly batch that costs 3 M EUR a year in mainframe MIPS, moving "
            "the heaviest jobs to the cloud platform cuts the bill by a third.",
            themes=(CLOUD_NATIVE, FINOPS),
            reaches=State.READY,
            scores=(Wsjf(13, 3, 8, 20),),
            case=BusinessCase(
                "350000.00",
                "1100000.00",
                "1 M EUR a year less mainframe cost from 2028",
                ("MIPS consumed by the nightly batch", "jobs running on the platform"),
            ),
            approval=Approval(Period.NEXT, "Funded next quarter, once the platform is in place"),
            risks=(
                Risk(
                    "Hidden dependencies in 30-year-old batch jobs",
                    5,
                    4,
                    "Job documentation is incomplete; the original authors have retired",
                ),
            ),
            depends_on=(Dependency("pi-kubernetes", "Runs on the internal developer platform"),),
        ),
        Initiative(
            key="pi-zero-trust",
            title="Zero-trust network access",
            owner="hannah.vogel",
            hypothesis="For staff and suppliers who reach internal systems through a flat VPN, "
            "identity-aware access per application shrinks the attack surface.",
            themes=(SECURE,),
            reaches=State.ANALYZING,
            scores=(Wsjf(8, 8, 13, 13),),
            case=BusinessCase(
                "180000.00",
                "520000.00",
                "VPN licences retired; lateral movement blocked",
                ("applications behind identity-aware access", "VPN users"),
            ),
        ),
        Initiative(
            key="pi-secrets",
            title="Secrets management rollout",
            owner="felix.hartmann",
            hypothesis="For teams who keep passwords in configuration files, a central vault "
            "with rotation removes the most common audit finding.",
            themes=(SECURE,),
            reaches=State.ANALYZING,
            scores=(Wsjf(5, 8, 8, 3, "Small job, frequent audit finding"),),
        ),
        Initiative(
            key="pi-service-mesh",
            title="Service mesh",
            owner="marco.rossi",
            hypothesis="For services that each implement retries, TLS and tracing, a mesh on the "
            "platform provides them uniformly.",
            themes=(CLOUD_NATIVE, SECURE),
            reaches=State.REVIEWING,
            scores=(Wsjf(3, 2, 8, 8),),
            depends_on=(Dependency("pi-kubernetes", "A mesh of the platform's clusters"),),
        ),
        Initiative(
            key="pi-dr-consolidation",
            title="Disaster recovery site consolidation",
            owner="hannah.vogel",
            hypothesis="For the three recovery sites we pay for, consolidating into one tested "
            "site lowers cost and makes recovery predictable.",
            themes=(RESILIENCE, FINOPS),
            reaches=State.REVIEWING,
        ),
        Initiative(
            key="pi-observability",
            title="Observability platform on OpenTelemetry",
            owner="felix.hartmann",
            hypothesis="For on-call engineers who correlate five monitoring tools by hand, one "
            "OpenTelemetry-based platform halves the time to find a failing component.",
            themes=(RESILIENCE, CLOUD_NATIVE),
            reaches=State.FUNNEL,
        ),
        Initiative(
            key="pi-dc-exit",
            title="Data centre exit Frankfurt-2",
            owner="marco.rossi",
            hypothesis="For the second data centre whose lease ends in 2028, moving its "
            "workloads to the cloud avoids a 10-year lease renewal.",
            themes=(CLOUD_NATIVE, FINOPS),
            reaches=State.REVIEWING,
            outcomes=(
                Outcome(
                    Exit.DEFER,
                    "The landlord extended the lease by a year; decide once the mainframe "
                    "offloading frees platform capacity",
                ),
            ),
            depends_on=(
                Dependency("pi-mainframe-offload", "Its workloads move to the freed capacity"),
            ),
        ),
        Initiative(
            key="pi-vdi-refresh",
            title="Virtual desktop infrastructure refresh",
            owner="felix.hartmann",
            hypothesis="For branch staff on ageing thin clients, a refreshed VDI keeps desktops "
            "fast and centrally patched.",
            themes=(SECURE,),
            reaches=State.FUNNEL,
            outcomes=(
                Outcome(Exit.HOLD, "The VDI vendor announced the end of its on-premises product"),
                Outcome(
                    Exit.ABANDON,
                    "Standard laptops with the managed client replace VDI in every branch",
                ),
            ),
        ),
    ),
)
