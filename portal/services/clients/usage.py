"""A client's hours per month: live for open months, as billed for closed ones."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, case, func

from portal.extensions import db
from portal.models import (
    BillableItem,
    BillingPeriod,
    Currency,
    Invoice,
    Plan,
    Subscription,
    UsageRecord,
)
from portal.services.billing.ledger import bill_months
from portal.services.billing.periods import period_of
from portal.services.billing.pool_book import PoolBook, block_summary, carry_summary
from portal.services.settings import business_today


@dataclass
class MonthUsage:
    """One month of a client's support: hours, charges, and the invoice once billed."""

    period: str
    closed: bool
    plan: str | None
    model: str | None
    currency: Currency
    included_minutes: int = 0
    used_minutes: int = 0
    overtime_minutes: int = 0
    overtime_amount: Decimal = Decimal(0)  # overtime (package) or hours (hourly) charged
    total: Decimal = Decimal(0)
    invoice_number: str | None = None
    invoice_status: str | None = None
    invoice_id: int | None = None
    subscription: Subscription | None = None  # open months: the one that speaks for the month
    carried_in_minutes: int = 0
    carry_used_minutes: int = 0
    carried_out_minutes: int = 0
    block_in_minutes: int = 0
    block_used_minutes: int = 0
    blocks: list[dict] = field(default_factory=list)  # ledger.block_summary
    carry_overs: list[dict] = field(default_factory=list)  # ledger.carry_summary
    # Open months: every subscription active on one of its days, oldest first.
    active: list[Subscription] = field(default_factory=list)
    # Open months: what `subscription` used by itself (used_minutes adds up all of them).
    subscription_used_minutes: int = 0

    @property
    def available_minutes(self) -> int:
        """What the month has before overtime: carry-over, included hours, blocks."""
        return self.carried_in_minutes + self.included_minutes + self.block_in_minutes

    @property
    def remaining_minutes(self) -> int:
        """Minutes left before overtime (never negative)."""
        return max(0, self.available_minutes - self.used_minutes)

    @property
    def block_left_minutes(self) -> int:
        """Left in the month's blocks once the month has used them."""
        return self.block_in_minutes - self.block_used_minutes

    @property
    def used_share(self) -> Decimal | None:
        """Used / available, for the 80 % and 100 % notices (None with nothing available)."""
        if not self.available_minutes:
            return None
        return Decimal(self.used_minutes) / Decimal(self.available_minutes)


def previous_periods(period: str, count: int) -> list[str]:
    """`count` periods ending with `period`, oldest first."""
    year, month = int(period[:4]), int(period[5:])
    periods = []
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return periods[::-1]


class EveryMonth(Mapping):
    """Whether each month is closed, for any month asked (ledger.bill_months' `known_closed`):
    built from every closed month, so the walk never asks the database again."""

    def __init__(self, closed: Mapping[str, int]):
        self.closed = closed

    def __contains__(self, period) -> bool:
        """Every month is known."""
        return True

    def __getitem__(self, period: str) -> bool:
        """True when the month is closed."""
        return period in self.closed

    def __iter__(self):
        """The closed months (the others are known to be open)."""
        return iter(self.closed)

    def __len__(self) -> int:
        """How many months are closed."""
        return len(self.closed)

    def __bool__(self) -> bool:
        """Known, even before the first close."""
        return True


def _open_months(
    client, periods: list[str], known: EveryMonth, book: PoolBook
) -> dict[str, MonthUsage]:
    """Usage of months not yet closed, live from the time entries: billed by the close's
    own function (ledger.bill_months), so the estimate and the bill cannot differ.

    Per month, every subscription active on one of its days; the latest one speaks for the
    month, and the used minutes of all of them add up (subscriptions never overlap).
    """
    if not periods:
        return {}
    billed = bill_months(sorted(periods), client.id, known_closed=known, book=book)
    months = {}
    for period in periods:
        active = billed.get(period, [])
        if not active:
            months[period] = MonthUsage(period, False, None, None, client.currency)
            continue
        month = active[-1]
        bill = month.bill
        months[period] = MonthUsage(
            period,
            False,
            month.plan_name,
            month.terms.model,
            client.currency,
            bill.included_minutes,
            sum(m.bill.used_minutes for m in active),
            bill.overtime_minutes,
            bill.amount_of("overtime") + bill.amount_of("hourly"),
            bill.total,
            subscription=month.subscription,
            carried_in_minutes=bill.carried_in_minutes,
            carry_used_minutes=bill.carry_used_minutes,
            carried_out_minutes=bill.carried_out_minutes,
            block_in_minutes=bill.block_in_minutes,
            block_used_minutes=bill.block_used_minutes,
            blocks=block_summary(month.pools, bill.uses),
            carry_overs=carry_summary(month.pools, bill.uses),
            active=[m.subscription for m in active],
            subscription_used_minutes=bill.used_minutes,
        )
    return months


def usage_history(
    client, periods: list[str], closed_ids: Mapping[str, int] | None = None
) -> list[MonthUsage]:
    """Usage for each period: closed ones from what the close stored, open ones live.

    `closed_ids` is every closed month (periods.closed_months) when the caller has read it.
    """
    records, charges, invoices = {}, {}, {}
    if closed_ids is None or any(period in closed_ids for period in periods):
        closed_ids, records, charges, invoices = _closed_months(client, periods)
    # The current month alone (the ticket page's sidebar) reads nothing more here.
    every = EveryMonth(closed_ids)
    closed = {period: closed_ids[period] for period in periods if every[period]}
    book = PoolBook()
    open_months = _open_months(client, [p for p in periods if p not in closed], every, book)
    # Only months that had carry-over or blocks need their pools read back.
    pooled = [p for p, pid in closed.items() if any(records.get(pid, (0,) * 10)[5:])]
    pools = book.load(client.id).closed_view(pooled) if pooled else {}
    history = []
    for period in periods:
        if period not in closed:
            history.append(open_months[period])
            continue
        period_id = closed[period]
        included, used, overtime, plan, model, *carried = records.get(
            period_id, (0, 0, 0, None, None, 0, 0, 0, 0, 0)
        )
        held, taken = pools.get(period, ([], []))
        extra, total = charges.get(period_id, (Decimal(0), Decimal(0)))
        number, status, invoice_id = invoices.get(period_id, (None, None, None))
        history.append(
            MonthUsage(
                period,
                True,
                plan,
                model,
                client.currency,
                included,
                used,
                overtime,
                extra,
                total,
                number,
                status,
                invoice_id,
                None,
                *carried,
                blocks=block_summary(held, taken),
                carry_overs=carry_summary(held, taken),
            )
        )
    return history


def _closed_months(client, periods: list[str]) -> tuple[dict[str, int], dict, dict, dict]:
    """Every closed month (period -> id), and what the closes of the asked ones stored for
    the client: usage records, charges (extra, total) and invoices (number, status, id), by
    period id. One statement: each closed month joined to the client's rows of it when asked.

    Where a month holds two records or two invoices (a subscription that changed, an
    invoice and its credit note), the one with the higher id speaks, as before.
    """
    asked = BillingPeriod.period.in_(periods)
    charges = (
        db.select(
            BillableItem.period_id,
            func.sum(
                case((BillableItem.kind != "package_fee", BillableItem.amount), else_=0)
            ).label("extra"),
            func.sum(BillableItem.amount).label("total"),
        )
        .where(
            BillableItem.client_id == client.id,
            BillableItem.period_id.in_(db.select(BillingPeriod.id).where(asked)),
        )
        .group_by(BillableItem.period_id)
        .subquery()
    )
    rows = db.session.execute(
        db.select(
            BillingPeriod.period,
            BillingPeriod.id,
            UsageRecord.id,
            UsageRecord.included_minutes,
            UsageRecord.used_minutes,
            UsageRecord.overtime_minutes,
            Plan.name,
            Subscription.model,
            UsageRecord.carried_in_minutes,
            UsageRecord.carry_used_minutes,
            UsageRecord.carried_out_minutes,
            UsageRecord.block_in_minutes,
            UsageRecord.block_used_minutes,
            charges.c.extra,
            charges.c.total,
            Invoice.number,
            Invoice.status,
            Invoice.id,
        )
        .outerjoin(
            UsageRecord,
            and_(
                UsageRecord.period_id == BillingPeriod.id,
                UsageRecord.client_id == client.id,
                asked,
            ),
        )
        .outerjoin(Subscription, Subscription.id == UsageRecord.subscription_id)
        .outerjoin(Plan, Plan.id == Subscription.plan_id)
        .outerjoin(charges, charges.c.period_id == BillingPeriod.id)
        .outerjoin(
            Invoice,
            and_(Invoice.period_id == BillingPeriod.id, Invoice.client_id == client.id, asked),
        )
        .order_by(BillingPeriod.id, UsageRecord.id, Invoice.id)
    )
    every, records, charged, invoices = {}, {}, {}, {}
    for period, period_id, record_id, *values in rows:
        every[period] = period_id
        record, (extra, total), invoice = values[:10], values[10:12], values[12:]
        if record_id is not None:
            records[period_id] = record
        if total is not None:
            charged[period_id] = (extra, total)
        if invoice[2] is not None:
            invoices[period_id] = invoice
    return every, records, charged, invoices


def subscription_on(usage: MonthUsage, day: date) -> Subscription | None:
    """The subscription active on `day`, a day of `usage`'s open month, from what the month
    read (subscriptions never overlap, so at most one)."""
    return next((sub for sub in usage.active if sub.is_active_on(day)), None)


def client_usage(
    client, period: str | None = None, closed_ids: Mapping[str, int] | None = None
) -> MonthUsage:
    """One month's usage (the current month by default); `closed_ids` as usage_history's."""
    return usage_history(client, [period or period_of(business_today())], closed_ids)[0]
