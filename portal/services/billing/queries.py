"""Read models for the billing pages: periods with counts and totals, invoice lists."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Client, Currency, Invoice, Subscription
from portal.services.billing.close import due_periods
from portal.services.billing.periods import period_bounds, period_of
from portal.services.clients.search import clients_named
from portal.services.settings import business_today


@dataclass
class PeriodSummary:
    """A month as the billing page lists it."""

    period: str
    status: str  # "open", "closed" or "current"
    closed_at: datetime | None = None
    items: int = 0
    invoices: int = 0
    uninvoiced: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency code -> total
    period_id: int | None = None


def billing_periods() -> list[PeriodSummary]:
    """Every closed month, every past month still open, and the current one; newest first."""
    summaries = {
        p.period: PeriodSummary(p.period, "closed", p.closed_at, period_id=p.id)
        for p in db.session.scalars(db.select(BillingPeriod))
    }
    for period in due_periods():
        summaries.setdefault(period, PeriodSummary(period, "open"))
    current = period_of(business_today())
    summaries.setdefault(current, PeriodSummary(current, "current"))
    by_id = {s.period_id: s for s in summaries.values() if s.period_id}
    rows = db.session.execute(
        db.select(
            BillableItem.period_id,
            Currency.code,
            func.count(BillableItem.id),
            func.sum(BillableItem.amount),
            func.count(BillableItem.id) - func.count(BillableItem.invoice_id),
        )
        .join(Currency, Currency.id == BillableItem.currency_id)
        # Items of no closed month (a block bought, a one-off invoiced at once or waiting
        # for its month's close) belong to no row here.
        .where(BillableItem.period_id.in_(list(by_id)))
        .group_by(BillableItem.period_id, Currency.code)
    )
    for period_id, code, count, total, uninvoiced in rows:
        summary = by_id[period_id]
        summary.items += count
        summary.uninvoiced += uninvoiced
        summary.totals[code] = total
    for period_id, count in db.session.execute(
        db.select(Invoice.period_id, func.count(Invoice.id))
        .where(Invoice.period_id.is_not(None))
        .group_by(Invoice.period_id)
    ):
        if period_id in by_id:
            by_id[period_id].invoices = count
    return sorted(summaries.values(), key=lambda s: s.period, reverse=True)


def close_scope(period: str) -> tuple[int, int]:
    """(subscriptions, clients) a close of the month would bill: those active on one of its
    days, counted without billing them."""
    first, last = period_bounds(period)
    return db.session.execute(
        db.select(
            func.count(Subscription.id), func.count(func.distinct(Subscription.client_id))
        ).where(
            Subscription.start_date <= last,
            or_(Subscription.end_date.is_(None), Subscription.end_date >= first),
        )
    ).one()


def currencies_by_code() -> dict[str, Currency]:
    """Currencies keyed by ISO code, for formatting totals."""
    return {c.code: c for c in db.session.scalars(db.select(Currency))}


def currencies_by_id() -> dict[int, Currency]:
    """Currencies keyed by id, for formatting preview rows."""
    return {c.id: c for c in db.session.scalars(db.select(Currency))}


def client_names(ids) -> dict[int, str]:
    """Client names for a set of ids."""
    ids = set(ids)
    if not ids:
        return {}
    return dict(
        db.session.execute(db.select(Client.id, Client.name).where(Client.id.in_(ids))).all()
    )


def invoice_list(
    client_id=None, period=None, status=None, page=1, per_page=25, client_name=None, kind=None
):
    """A page of invoices, newest first, filtered by client, period, status and kind
    (invoices or credit notes).

    Client, period and currency come in the same statement: the list shows all three.
    """
    query = (
        db.select(Invoice)
        .options(
            joinedload(Invoice.client), joinedload(Invoice.period), joinedload(Invoice.currency)
        )
        .order_by(Invoice.id.desc())
    )
    if client_id:
        query = query.where(Invoice.client_id == client_id)
    if client_name:
        query = query.where(Invoice.client_id.in_(clients_named(client_name)))
    if period:
        query = query.join(BillingPeriod, BillingPeriod.id == Invoice.period_id).where(
            BillingPeriod.period == period
        )
    if status:
        query = query.where(Invoice.status == status)
    if kind:
        query = query.where(Invoice.kind == kind)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
