"""Flow calculations, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pmo_metrics.domain.flow import InitiativeFlow

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def flow() -> InitiativeFlow:
    return InitiativeFlow("i-1", "REVIEWING", T0, T0 + timedelta(days=2), 1)


def test_age_and_time_in_state_are_measured_in_days() -> None:
    now = T0 + timedelta(days=3, hours=12)
    assert flow().age_days(now) == 3.5
    assert flow().days_in_state(now) == 1.5


def test_clock_skew_never_gives_negative_durations() -> None:
    assert flow().age_days(T0 - timedelta(hours=1)) == 0.0
    assert flow().days_in_state(T0) == 0.0
