"""Input checks shared by the resources aggregates.

Each check raises `InvalidInput` naming the field, the rule and the value given (or, for long
text, its length), so a client can fix its request without guessing. Checks return the cleaned
value (text stripped), which is what the events record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from pmo_events.errors import InvalidInput

from pmo_resources.domain.events import CURRENCY, PERIOD

NAME_MAX = 200  # names, titles, ids, vendors
TEXT_MAX = 4000  # notes, reasons, descriptions
# Money: at most 2 decimal places and below a trillion, so it fits numeric(15, 2) everywhere.
MONEY_MAX = Decimal("999999999999.99")
SKILL_MAX = 100  # a skill's name
WEEKLY_HOURS_MAX = Decimal(80)  # the events' bound on weekly capacity and hours per week
PLANNED_HOURS_MAX = Decimal(10_000_000)  # a team's planned hours for an iteration or period

_PERIOD = re.compile(PERIOD)
_CURRENCY = re.compile(CURRENCY)
_CENTS = Decimal("0.01")
# Deliberately loose: one @, no spaces, a dot in the domain; deliverability is the mail server's.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

E = TypeVar("E", bound=StrEnum)


def text(field: str, value: str, *, max_length: int = NAME_MAX, required: bool = True) -> str:
    """Strip `value`; refuse it when empty (if required) or longer than `max_length`."""
    cleaned = value.strip()
    if required and not cleaned:
        raise InvalidInput(f"{field} must not be empty")
    if len(cleaned) > max_length:
        raise InvalidInput(
            f"{field} is {len(cleaned)} characters long; the limit is {max_length}, shorten it"
        )
    return cleaned


def optional_text(field: str, value: str | None, *, max_length: int = TEXT_MAX) -> str | None:
    """None or blank stays None; otherwise the stripped text, within `max_length`."""
    if value is None or not value.strip():
        return None
    return text(field, value, max_length=max_length)


def integer(field: str, value: int, *, low: int, high: int) -> int:
    # bool is an int subclass; True as a seat count is a client bug, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{field} must be a whole number between {low} and {high}; got {value!r}"
        )
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}; got {value}")
    return value


def _finite(field: str, value: Decimal) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{field} must be a finite decimal number; got {value!r}")
    return value


def _two_places(field: str, value: Decimal) -> Decimal:
    if value != value.quantize(_CENTS):
        raise InvalidInput(f"{field} has more than 2 decimal places; got {value}")
    return value


def money(field: str, value: Decimal) -> Decimal:
    """A non-negative amount with at most two decimal places, below `MONEY_MAX`."""
    _finite(field, value)
    if value < 0:
        raise InvalidInput(f"{field} must be at least 0; got {value}")
    if value > MONEY_MAX:
        raise InvalidInput(f"{field} must be at most {MONEY_MAX}; got {value}")
    return _two_places(field, value)


def hours(field: str, value: Decimal, *, high: Decimal = WEEKLY_HOURS_MAX) -> Decimal:
    """Hours from 0 to `high` (a weekly capacity by default), at most two decimal places."""
    _finite(field, value)
    if not 0 <= value <= high:
        raise InvalidInput(f"{field} must be between 0 and {high} hours; got {value}")
    return _two_places(field, value)


def weekly_hours(field: str, value: Decimal) -> Decimal:
    """Hours each week an allocation asks for: more than 0, at most 80, two decimal places."""
    _finite(field, value)
    if not 0 < value <= WEEKLY_HOURS_MAX:
        raise InvalidInput(
            f"{field} must be more than 0 and at most {WEEKLY_HOURS_MAX}; got {value}"
        )
    return _two_places(field, value)


def skill(field: str, value: str) -> str:
    """A skill's name, stripped and with inner runs of spaces made one ("Data  science")."""
    return " ".join(text(field, value, max_length=SKILL_MAX).split())


def currency(field: str, value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise InvalidInput(
            f"{field} must be an ISO 4217 code of three capital letters (e.g. EUR); got {value!r}"
        )
    return value


def email(field: str, value: str) -> str:
    """A stripped, lower-cased e-mail address (so uniqueness ignores case)."""
    cleaned = text(field, value, max_length=320).lower()
    if not _EMAIL.fullmatch(cleaned):
        raise InvalidInput(
            f"{field} must be an e-mail address such as ada@example.org; got {value!r}"
        )
    return cleaned


def period(field: str, value: str) -> str:
    if not _PERIOD.fullmatch(value):
        raise InvalidInput(
            f"{field} must be a year, half, quarter or month such as 2026, 2026-H2, 2026-Q4 or "
            f"2026-11; got {value!r}"
        )
    return value


def date_range(
    start_field: str,
    starts_on: date,
    end_field: str,
    ends_on: date,
    *,
    max_span: timedelta | None = None,
) -> None:
    """Both are calendar dates, the start not after the end, at most `max_span` apart."""
    for field, value in ((start_field, starts_on), (end_field, ends_on)):
        if not isinstance(value, date):
            raise InvalidInput(f"{field} must be a calendar date (YYYY-MM-DD); got {value!r}")
    if starts_on > ends_on:
        raise InvalidInput(
            f"{start_field} ({starts_on}) is after {end_field} ({ends_on}); give the earlier "
            "date first"
        )
    if max_span is not None and ends_on - starts_on > max_span:
        raise InvalidInput(
            f"{start_field}..{end_field} ({starts_on}..{ends_on}) spans more than "
            f"{max_span.days} days; split it into shorter ranges"
        )


def choice(field: str, value: str, kind: type[E]) -> E:
    """`value` as a member of the enum `kind`; the refusal lists the allowed values."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidInput(f"{field} must be one of {allowed}; got {value!r}") from None


def unique_texts(
    field: str, values: Iterable[str], *, max_items: int, max_length: int = NAME_MAX
) -> list[str]:
    """A bounded list of non-empty, distinct (case-insensitively) texts, stripped, in order."""
    items = list(values)
    if len(items) > max_items:
        raise InvalidInput(f"{field} has {len(items)} entries; the limit is {max_items}")
    cleaned: list[str] = []
    seen: set[str] = set()
    for position, item in enumerate(items, start=1):
        entry = text(f"{field} entry {position}", item, max_length=max_length)
        key = entry.casefold()
        if key in seen:
            raise InvalidInput(f"{field} lists {entry!r} more than once; give each entry once")
        seen.add(key)
        cleaned.append(entry)
    return cleaned
