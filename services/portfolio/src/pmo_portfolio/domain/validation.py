"""Input checks shared by the aggregates.

Each check raises `InvalidInput` naming the field, the rule and the value given (or, for long
text, its length), so a client can fix its request without guessing. Checks return the cleaned
value (text stripped), which is what the events record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from pmo_events.errors import InvalidInput

from pmo_portfolio.domain.events import CURRENCY, PERIOD

NAME_MAX = 200  # titles, names, owners, ids, list items
TEXT_MAX = 4000  # hypotheses, descriptions, rationales, notes, reasons
# Money: at most 2 decimal places and below a trillion, so it fits numeric(15, 2) everywhere.
MONEY_MAX = Decimal("999999999999.99")

_PERIOD = re.compile(PERIOD)
_CURRENCY = re.compile(CURRENCY)


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
    # bool is an int subclass; True as a probability is a client bug, not a 1.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{field} must be a whole number between {low} and {high}; got {value!r}"
        )
    if not low <= value <= high:
        raise InvalidInput(f"{field} must be between {low} and {high}; got {value}")
    return value


def money(field: str, value: Decimal) -> Decimal:
    """A non-negative amount with at most two decimal places, below `MONEY_MAX`."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidInput(f"{field} must be a finite decimal amount; got {value!r}")
    if value < 0:
        raise InvalidInput(f"{field} must be at least 0; got {value}")
    if value > MONEY_MAX:
        raise InvalidInput(f"{field} must be at most {MONEY_MAX}; got {value}")
    if value != value.quantize(Decimal("0.01")):
        raise InvalidInput(f"{field} has more than 2 decimal places; got {value}")
    return value


def currency(field: str, value: str) -> str:
    if not _CURRENCY.fullmatch(value):
        raise InvalidInput(
            f"{field} must be an ISO 4217 code of three capital letters (e.g. EUR); got {value!r}"
        )
    return value


def period(field: str, value: str) -> str:
    if not _PERIOD.fullmatch(value):
        raise InvalidInput(
            f"{field} must be a year, half, quarter or month such as 2026, 2026-H2, 2026-Q4 or "
            f"2026-11; got {value!r}"
        )
    return value


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
