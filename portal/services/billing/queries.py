"""Read models for the billing pages: periods with counts and totals, invoice lists."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Client, Currency, Invoice, Subscription
from portal.pagination import paginate_objects
from portal.services.billing.close import due_periods
from portal.services.billing.invoice_queries import LIST_DEFERRED
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
        # Items invoiced at once (one-off, prepaid blocks) belong to no month's close.
        .where(BillableItem.period_id.is_not(None))
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

    Client, period and currency come in the same statement: the list shows all three. The
    total counts the filtered invoices alone (no joins, no columns).
    """
    conditions = []
    if client_id:
        conditions.append(Invoice.client_id == client_id)
    if client_name:
        conditions.append(Invoice.client_id.in_(clients_named(client_name)))
    if period:
        conditions.append(
            Invoice.period_id.in_(db.select(BillingPeriod.id).where(BillingPeriod.period == period))
        )
    if status:
        conditions.append(Invoice.status == status)
    if kind:
        conditions.append(Invoice.kind == kind)
    query = (
        db.select(Invoice)
        .options(
            joinedload(Invoice.client).load_only(Client.name),
            joinedload(Invoice.period),
            joinedload(Invoice.currency),
            *LIST_DEFERRED,
        )
        .where(*conditions)
        .order_by(Invoice.id.desc())
    )
    count = db.select(func.count()).select_from(Invoice).where(*conditions)
    return paginate_objects(query, page, per_page, count)
