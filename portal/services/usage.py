"""A client's hours per month: live for open months, as billed for closed ones."""

from dataclasses import dataclass
from decimal import Decimal

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
from portal.services.billing import bills_for
from portal.services.periods import period_of
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


def _open_month(client, period: str) -> MonthUsage:
    """Usage of a month not yet closed, computed from the time entries as they stand."""
    months = bills_for(period, client_id=client.id)
    if not months:
        return MonthUsage(period, False, None, None, client.currency)
    month = months[-1]  # subscriptions never overlap; the latest one speaks for the month
    bill = month.bill
    model = db.session.scalar(db.select(Subscription.model).filter_by(id=month.subscription_id))
    charged = bill.amount_of("overtime") + bill.amount_of("hourly")
    return MonthUsage(
        period,
        False,
        month.plan_name,
        model,
        client.currency,
        bill.included_minutes,
        sum(m.bill.used_minutes for m in months),
        bill.overtime_minutes,
        charged,
        bill.total,
    )


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
    history = []
    for period in periods:
        if period not in closed:
            history.append(_open_month(client, period))
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
