"""A client's hours per month: live for open months, as billed for closed ones."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import or_

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
from portal.services.billing.close import billable_minutes, terms_of
from portal.services.billing.periods import period_bounds, period_of
from portal.services.billing.rules import bill_subscription
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

    @property
    def remaining_minutes(self) -> int:
        """Included minutes left (never negative)."""
        return max(0, self.included_minutes - self.used_minutes)

    @property
    def used_share(self) -> Decimal | None:
        """Used / included, for the 80 % and 100 % notices (None without included hours)."""
        if not self.included_minutes:
            return None
        return Decimal(self.used_minutes) / Decimal(self.included_minutes)


def previous_periods(period: str, count: int) -> list[str]:
    """`count` periods ending with `period`, oldest first."""
    year, month = int(period[:4]), int(period[5:])
    periods = []
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return periods[::-1]


def _open_months(client, periods: list[str]) -> dict[str, MonthUsage]:
    """Usage of months not yet closed, live from the time entries, in two queries for all.

    Billed as the close would bill them (billing_rules.bill_subscription): per month, every
    subscription active on one of its days; the latest one speaks for the month, and the used
    minutes of all of them add up (subscriptions never overlap).
    """
    if not periods:
        return {}
    bounds = {period: period_bounds(period) for period in periods}
    first = min(start for start, _end in bounds.values())
    last = max(end for _start, end in bounds.values())
    subscriptions = db.session.execute(
        db.select(Subscription, Plan.name, Currency.decimals)
        .join(Plan, Plan.id == Subscription.plan_id)
        .join(Currency, Currency.id == Subscription.currency_id)
        .where(
            Subscription.client_id == client.id,
            Subscription.start_date <= last,
            or_(Subscription.end_date.is_(None), Subscription.end_date >= first),
        )
        .order_by(Subscription.start_date)
    ).all()
    used: dict[tuple[int, str], int] = {}
    if subscriptions:
        # Per subscription and day, summed into months here: dates group the same in every
        # database, and a year has at most 366 of them.
        ids = [sub.id for sub, _name, _places in subscriptions]
        for subscription_id, day, minutes in billable_minutes(first, last, ids, per_day=True):
            key = (subscription_id, period_of(day))
            used[key] = used.get(key, 0) + int(minutes)
    months = {}
    for period, (start, end) in bounds.items():
        active = [
            (sub, name, places)
            for sub, name, places in subscriptions
            if sub.start_date <= end and (sub.end_date is None or sub.end_date >= start)
        ]
        if not active:
            months[period] = MonthUsage(period, False, None, None, client.currency)
            continue
        bills = [
            bill_subscription(terms_of(sub), period, used.get((sub.id, period), 0), places)
            for sub, _name, places in active
        ]
        sub, name, _places = active[-1]
        bill = bills[-1]
        months[period] = MonthUsage(
            period,
            False,
            name,
            sub.model,
            client.currency,
            bill.included_minutes,
            sum(b.used_minutes for b in bills),
            bill.overtime_minutes,
            bill.amount_of("overtime") + bill.amount_of("hourly"),
            bill.total,
            subscription=sub,
        )
    return months


def usage_history(client, periods: list[str]) -> list[MonthUsage]:
    """Usage for each period: closed ones from what the close stored, open ones live."""
    closed = dict(
        db.session.execute(
            db.select(BillingPeriod.period, BillingPeriod.id).where(
                BillingPeriod.period.in_(periods)
            )
        ).all()
    )
    records = {}
    for period_id, included, used, overtime, plan, model in db.session.execute(
        db.select(
            UsageRecord.period_id,
            UsageRecord.included_minutes,
            UsageRecord.used_minutes,
            UsageRecord.overtime_minutes,
            Plan.name,
            Subscription.model,
        )
        .join(Subscription, Subscription.id == UsageRecord.subscription_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(UsageRecord.client_id == client.id, UsageRecord.period_id.in_(closed.values()))
    ):
        records[period_id] = (included, used, overtime, plan, model)
    charges: dict[int, tuple[Decimal, Decimal]] = {}
    for period_id, kind, amount in db.session.execute(
        db.select(BillableItem.period_id, BillableItem.kind, BillableItem.amount).where(
            BillableItem.client_id == client.id, BillableItem.period_id.in_(closed.values())
        )
    ):
        extra, total = charges.get(period_id, (Decimal(0), Decimal(0)))
        charges[period_id] = (extra + (amount if kind != "package_fee" else 0), total + amount)
    invoices = {
        row.period_id: row
        for row in db.session.scalars(
            db.select(Invoice).where(
                Invoice.client_id == client.id, Invoice.period_id.in_(closed.values())
            )
        )
    }
    open_months = _open_months(client, [p for p in periods if p not in closed])
    history = []
    for period in periods:
        if period not in closed:
            history.append(open_months[period])
            continue
        period_id = closed[period]
        included, used, overtime, plan, model = records.get(period_id, (0, 0, 0, None, None))
        extra, total = charges.get(period_id, (Decimal(0), Decimal(0)))
        invoice = invoices.get(period_id)
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
                invoice.number if invoice else None,
                invoice.status if invoice else None,
                invoice.id if invoice else None,
            )
        )
    return history


def client_usage(client, period: str | None = None) -> MonthUsage:
    """One month's usage (the current month by default)."""
    return usage_history(client, [period or period_of(business_today())])[0]
