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
    rollover_months: int = 0
    rollover_cap_minutes: int | None = None


@dataclass(frozen=True)
class Pool:
    """Hours a subscription holds beyond a month's own, as they stand going into the month:
    a carry-over or a prepaid block, with what is left of it and its last valid day."""

    id: int
    kind: str  # "carry" | "block"
    left_minutes: int
    valid_until: date
    minutes: int = 0  # bought, or carried over
    valid_from: date | None = None


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
    carried_in_minutes: int = 0  # carry-over available going into the month
    carry_used_minutes: int = 0
    carried_out_minutes: int = 0  # carry-over this month leaves for the months after
    block_in_minutes: int = 0  # left in the blocks valid in the month, going in
    block_used_minutes: int = 0
    uses: tuple[tuple[int, int], ...] = ()  # (pool id, minutes) this month takes

    @property
    def available_minutes(self) -> int:
        """Everything the month may use before overtime: carry-over, included, blocks."""
        return self.carried_in_minutes + self.included_minutes + self.block_in_minutes

    @property
    def remaining_minutes(self) -> int:
        """Minutes still available before overtime (never negative)."""
        return max(0, self.available_minutes - self.used_minutes)

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


def draw(pools: list[Pool], minutes: int) -> tuple[tuple[tuple[int, int], ...], int]:
    """Take up to `minutes` from the pools, the one that expires first first; (uses, rest)."""
    uses = []
    for pool in sorted(pools, key=lambda p: (p.valid_until, p.id)):
        take = min(pool.left_minutes, minutes)
        if take:
            uses.append((pool.id, take))
            minutes -= take
    return tuple(uses), minutes


def _carry_out(terms: Terms, pools: list[Pool], uses, unused: int, last: date) -> int:
    """Included minutes left unused that carry into the months after `last`, cut by the cap
    so the unexpired carry-over going into the next month stays within it. None when the
    plan does not roll over or the subscription ends with the month."""
    if not terms.rollover_months or (terms.end_date is not None and terms.end_date <= last):
        return 0
    if terms.rollover_cap_minutes is None:
        return unused
    taken = dict(uses)
    staying = sum(p.left_minutes - taken.get(p.id, 0) for p in pools if p.valid_until > last)
    return max(0, min(unused, terms.rollover_cap_minutes - staying))


def bill_subscription(
    terms: Terms, period: str, used_minutes: int, places: int, pools: tuple[Pool, ...] = ()
) -> Bill:
    """Bill one subscription for one period, given its billable minutes in that period and
    the pools of hours (carry-over, blocks) valid in it as they stand going in.

    Package: fee x fraction (half-up to the currency's places, omitted when 0); included
    minutes x fraction (half-up to a multiple of 15); overtime = used - included, at the
    rate. Hourly: every used hour at the rate. The fraction is active days / days in the
    month when the plan prorates and the subscription started after the month's first
    day; otherwise 1 — a subscription that ends inside the month is billed in full.

    Rollover: the carry-over is used first, then the included minutes; what the included
    minutes leave carries over (see _carry_out). Block: the blocks valid in the month are
    used, the one that expires first first; the rest is overtime at the rate. Block fees
    are invoiced when bought, never here.
    """
    first, last = period_bounds(period)
    days = last.day
    active_days = days
    fraction = Decimal(1)
    if terms.model == "package" and terms.prorate and first < terms.start_date <= last:
        active_days = (last - terms.start_date).days + 1
        fraction = Decimal(active_days) / Decimal(days)
    if terms.model == "block":
        blocks = [p for p in pools if p.kind == "block"]
        uses, overtime = draw(blocks, used_minutes)
        amount = round_money(_hours(overtime) * terms.rate, places)
        lines = (Line("overtime", overtime, terms.rate, amount),) if amount > 0 else ()
        return Bill(
            period,
            fraction,
            active_days,
            days,
            0,
            used_minutes,
            overtime,
            lines,
            block_in_minutes=sum(p.left_minutes for p in blocks),
            block_used_minutes=used_minutes - overtime,
            uses=uses,
        )
    if terms.model == "hourly":
        amount = round_money(_hours(used_minutes) * terms.rate, places)
        lines = (Line("hourly", used_minutes, terms.rate, amount),) if amount > 0 else ()
        return Bill(period, fraction, active_days, days, 0, used_minutes, used_minutes, lines)

    # Multiply before dividing, so 200.00 x 20/30 is computed as 4000/30, not 200 x 0.666…
    fee = round_money(terms.fee * active_days / days, places)
    included = round_minutes_to_quarter(Decimal(terms.included_minutes) * active_days / days)
    carries = [p for p in pools if p.kind == "carry"]
    uses, rest = draw(carries, used_minutes)
    overtime = max(0, rest - included)
    overtime_amount = round_money(_hours(overtime) * terms.rate, places)
    lines = []
    if fee > 0:
        lines.append(Line("package_fee", included, terms.fee, fee))
    if overtime_amount > 0:
        lines.append(Line("overtime", overtime, terms.rate, overtime_amount))
    return Bill(
        period,
        fraction,
        active_days,
        days,
        included,
        used_minutes,
        overtime,
        tuple(lines),
        carried_in_minutes=sum(p.left_minutes for p in carries),
        carry_used_minutes=used_minutes - rest,
        carried_out_minutes=_carry_out(terms, carries, uses, max(0, included - rest), last),
        uses=uses,
    )
