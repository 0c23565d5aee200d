"""The arithmetic of SPEC.md "Closing a month", as pure functions of a subscription and a month.

No database access here: the close, the preview, the client dashboard and the usage API
all call `bill_subscription`, so there is one copy of every rule.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from portal.money import round_minutes_to_quarter, round_money
from portal.services.billing.periods import period_bounds


@dataclass(frozen=True)
class Terms:
    """What a subscription's snapshot says about billing (fee, rate, included, dates)."""

    model: str
    fee: Decimal
    rate: Decimal
    included_minutes: int
    prorate: bool
    start_date: date
    end_date: date | None


@dataclass(frozen=True)
class Line:
    """One billable line: kind, minutes it concerns, unit rate and amount."""

    kind: str
    minutes: int
    unit_rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Bill:
    """A subscription's month: included, used and overtime minutes, and its lines."""

    period: str
    fraction: Decimal
    active_days: int
    days: int
    included_minutes: int
    used_minutes: int
    overtime_minutes: int
    lines: tuple[Line, ...] = field(default=())

    @property
    def remaining_minutes(self) -> int:
        """Included minutes not yet used (never negative)."""
        return max(0, self.included_minutes - self.used_minutes)

    @property
    def total(self) -> Decimal:
        """Sum of the lines."""
        return sum((line.amount for line in self.lines), Decimal(0))

    def amount_of(self, kind: str) -> Decimal:
        """The amount of one kind of line (0 when there is none)."""
        return sum((line.amount for line in self.lines if line.kind == kind), Decimal(0))


def _hours(minutes: int) -> Decimal:
    """Exact hours of a minute count (60 -> 1)."""
    return Decimal(minutes) / 60


def bill_subscription(terms: Terms, period: str, used_minutes: int, places: int) -> Bill:
    """Bill one subscription for one period, given its billable minutes in that period.

    Package: fee x fraction (half-up to the currency's places, omitted when 0); included
    minutes x fraction (half-up to a multiple of 15); overtime = used - included, at the
    rate. Hourly: every used hour at the rate. The fraction is active days / days in the
    month when the plan prorates and the subscription started after the month's first
    day; otherwise 1 — a subscription that ends inside the month is billed in full.
    """
    first, last = period_bounds(period)
    days = last.day
    active_days = days
    fraction = Decimal(1)
    if terms.model == "package" and terms.prorate and first < terms.start_date <= last:
        active_days = (last - terms.start_date).days + 1
        fraction = Decimal(active_days) / Decimal(days)
    if terms.model == "hourly":
        amount = round_money(_hours(used_minutes) * terms.rate, places)
        lines = (Line("hourly", used_minutes, terms.rate, amount),) if amount > 0 else ()
        return Bill(period, fraction, active_days, days, 0, used_minutes, used_minutes, lines)

    # Multiply before dividing, so 200.00 x 20/30 is computed as 4000/30, not 200 x 0.666…
    fee = round_money(terms.fee * active_days / days, places)
    included = round_minutes_to_quarter(Decimal(terms.included_minutes) * active_days / days)
    overtime = max(0, used_minutes - included)
    overtime_amount = round_money(_hours(overtime) * terms.rate, places)
    lines = []
    if fee > 0:
        lines.append(Line("package_fee", included, terms.fee, fee))
    if overtime_amount > 0:
        lines.append(Line("overtime", overtime, terms.rate, overtime_amount))
    return Bill(period, fraction, active_days, days, included, used_minutes, overtime, tuple(lines))
