"""The monthly close: bill every subscription of a past month, exactly once, all or nothing."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, speaking
from portal.models import (
    BillableItem,
    BillingPeriod,
    HourPool,
    Invoice,
    ItemKind,
    PoolUse,
    Subscription,
    UsageRecord,
)
from portal.services import audit
from portal.services.billing.invoices import (
    buyer_terms,
    client_languages,
    item_row,
    plan_invoices,
)
from portal.services.billing.ledger import (
    SubscriptionMonth,
    bill_months,
    carry_validity,
    earlier_open_period,
)
from portal.services.billing.periods import (
    lock_period,
    month_name,
    parse_period,
    period_bounds,
    period_of,
)
from portal.services.bulk import bulk_insert, collector_paused, reserve_ids
from portal.services.errors import DomainError, ValidationFailed
from portal.services.settings import business_today, get_settings


class EarlierPeriodOpen(DomainError):
    """Carry-over and prepaid hours are used month by month: the earlier month closes first."""

    code = "earlier_period_open"

    def __init__(self, period: str, earlier: str):
        super().__init__(
            _(
                "Close %(earlier)s first: carried-over and prepaid hours are used month by "
                "month, so %(period)s is billed from what %(earlier)s leaves.",
                earlier=earlier,
                period=period,
            ),
            field="period",
        )


class PeriodNotEnded(DomainError):
    """The current or a future month cannot be closed."""

    code = "period_not_ended"

    def __init__(self, period: str):
        super().__init__(
            _("%(period)s has not ended yet: only past months can be closed.", period=period),
            field="period",
        )


@dataclass
class CloseResult:
    """What a close did, or found already done.

    The counts come free; `items` and `invoices` are loaded on first use, so the scheduled
    close, which only logs the counts, never builds an object per row.
    """

    period: str
    period_id: int
    already_closed: bool
    item_count: int
    invoice_count: int

    @cached_property
    def items(self) -> list[BillableItem]:
        """The period's billable items, by client."""
        return period_items(self.period_id)

    @cached_property
    def invoices(self) -> list[Invoice]:
        """The period's invoices, by number."""
        return self.invoices_with()

    def invoices_with(self, *options) -> list[Invoice]:
        """The period's invoices, by number, with loader options (their lines, taxes...)."""
        query = db.select(Invoice).filter_by(period_id=self.period_id).order_by(Invoice.number)
        return list(db.session.scalars(query.options(*options)))


def bills_for(period: str, client_id: int | None = None) -> list[SubscriptionMonth]:
    """Every subscription active on at least one day of the period, billed (nothing written)."""
    return bill_months([period], client_id)[period]


def describe(month: SubscriptionMonth, kind: str) -> str:
    """The text of an item, as it appears on the invoice, in the language being spoken (the
    close speaks the client's): a prorated package says which part of the month it covers
    in words (its quantity stays 1)."""
    bill, plan, name = month.bill, month.plan_name, month_name(month.bill.period)
    if kind == "package_fee" and bill.fraction < 1:
        return _(
            "%(plan)s support package, %(month)s, %(active_days)s/%(days)s of the month",
            plan=plan,
            month=name,
            active_days=bill.active_days,
            days=bill.days,
        )
    if kind == "package_fee":
        return _("%(plan)s support package, %(month)s", plan=plan, month=name)
    if kind == "overtime" and month.terms.model == "block":
        return _("%(plan)s hours beyond the prepaid blocks, %(month)s", plan=plan, month=name)
    if kind == "overtime":
        return _("%(plan)s overtime, %(month)s", plan=plan, month=name)
    return _("%(plan)s hourly support, %(month)s", plan=plan, month=name)


def describe_all(months: list[SubscriptionMonth], languages: dict[int, str]) -> list[list[str]]:
    """The texts of each month's lines (in the order of its bill's lines), each client's in
    its language (`languages`: client id -> code; English when missing).

    The language switches once per language, not per item, and items that read the same
    (same plan, kind and part of the month) are worded once: a close names 10,000 items.
    """
    by_language: dict[str, list[int]] = defaultdict(list)
    for index, month in enumerate(months):
        by_language[languages.get(month.client_id, DEFAULT_LANGUAGE)].append(index)
    texts: list[list[str]] = [[] for _month in months]
    for language, indexes in by_language.items():
        worded: dict[tuple, str] = {}
        with speaking(language):
            for index in indexes:
                month = months[index]
                bill = month.bill
                for line in bill.lines:
                    key = (
                        month.plan_name,
                        line.kind,
                        month.terms.model == "block",
                        bill.period,
                        (bill.active_days, bill.days) if bill.fraction < 1 else None,
                    )
                    if key not in worded:
                        worded[key] = describe(month, line.kind)
                    texts[index].append(worded[key])
    return texts


def ensure_past(period: str) -> None:
    """Refuse the current and future months."""
    if period_bounds(period)[1] >= business_today():
        raise PeriodNotEnded(period)


def preview_period(period: str) -> tuple[bool, list[dict]]:
    """The items a close would create (or, once closed, did create); writes nothing."""
    period = parse_period(period)
    closed = db.session.scalar(db.select(BillingPeriod).filter_by(period=period))
    if closed is not None:
        return True, [item_row(item) for item in period_items(closed.id)]
    if period_bounds(period)[0] > business_today():
        raise ValidationFailed({"period": _("%(period)s has not started yet.", period=period)})
    months = bills_for(period)
    languages = client_languages({month.client_id for month in months})
    rows = items_of(months, None, languages)
    return False, rows + [
        {key: row[key] for key in row if key != "id"}
        for row in pending_one_offs(*period_bounds(period))
    ]


def items_of(
    months: list[SubscriptionMonth], period_id: int | None, languages: dict[int, str]
) -> list[dict]:
    """The billable-item rows of the months, in order, worded in each client's language."""
    texts = describe_all(months, languages)
    return [
        row
        for month, text in zip(months, texts, strict=True)
        for row in item_rows(month, period_id, text)
    ]


def item_rows(
    month: SubscriptionMonth, period_id: int | None, texts: list[str] | None = None
) -> list[dict]:
    """The billable-item rows of one subscription's month; `texts`: its lines' descriptions
    (else worded in the language being spoken)."""
    if texts is None:
        texts = [describe(month, line.kind) for line in month.bill.lines]
    return [
        {
            "client_id": month.client_id,
            "subscription_id": month.subscription_id,
            "period_id": period_id,
            "kind": line.kind,
            "description": text,
            "minutes": line.minutes,
            "quantity": quantity_of(line.kind, line.minutes),
            "unit_rate": line.unit_rate,
            "amount": line.amount,
            "currency_id": month.currency_id,
        }
        for line, text in zip(month.bill.lines, texts, strict=True)
    ]


def quantity_of(kind: str, minutes: int) -> Decimal:
    """An item's quantity: 1 for a package fee, the hours (exact: quarter hours) otherwise."""
    return Decimal(1) if kind == "package_fee" else Decimal(minutes) / 60


def pending_one_offs(first: date, last: date) -> list[dict]:
    """One-off items dated in the month that no period holds yet, as item rows with ids."""
    query = (
        db.select(BillableItem)
        .where(
            BillableItem.kind == ItemKind.ONE_OFF.value,
            BillableItem.period_id.is_(None),
            BillableItem.invoice_id.is_(None),
            BillableItem.work_date.between(first, last),
        )
        .order_by(BillableItem.client_id, BillableItem.id)
    )
    return [{"id": item.id, **item_row(item)} for item in db.session.scalars(query)]


def period_items(period_id: int) -> list[BillableItem]:
    """A closed period's items, by client."""
    return list(
        db.session.scalars(
            db.select(BillableItem)
            .filter_by(period_id=period_id)
            .order_by(BillableItem.client_id, BillableItem.id)
        )
    )


def close_period(period: str, actor=None) -> CloseResult:
    """Close a past month: usage, billable items and (setting) invoices, exactly once.

    The period's row is claimed first; its UNIQUE constraint, the unique items and, on
    PostgreSQL, an exclusive advisory lock make a second closer find the month closed
    instead of billing it again. The caller commits; any error leaves nothing behind.
    """
    period = parse_period(period)
    ensure_past(period)
    lock_period(period, exclusive=True)
    existing = db.session.scalar(db.select(BillingPeriod).filter_by(period=period))
    if existing is not None:
        return _already_closed(existing)
    row = BillingPeriod(period=period, closed_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return _already_closed(db.session.scalar(db.select(BillingPeriod).filter_by(period=period)))

    if earlier := earlier_open_period(period):
        raise EarlierPeriodOpen(period, earlier)
    with collector_paused():
        return _bill_period(row, period, actor)


def _bill_period(row: BillingPeriod, period: str, actor) -> CloseResult:
    """The close's writes, once its period's row is claimed: usage, pools, items, invoices."""
    months = bills_for(period)
    # Every row is computed here, ids included, and each table gets one bulk insert:
    # no ORM object per row, no read-back, no UPDATE afterwards.
    bulk_insert(
        UsageRecord,
        [
            {
                "client_id": m.client_id,
                "subscription_id": m.subscription_id,
                "period_id": row.id,
                "included_minutes": m.bill.included_minutes,
                "used_minutes": m.bill.used_minutes,
                "overtime_minutes": m.bill.overtime_minutes,
                "carried_in_minutes": m.bill.carried_in_minutes,
                "carry_used_minutes": m.bill.carry_used_minutes,
                "carried_out_minutes": m.bill.carried_out_minutes,
                "block_in_minutes": m.bill.block_in_minutes,
                "block_used_minutes": m.bill.block_used_minutes,
            }
            for m in months
        ],
    )
    _write_pools(months, row.id, period)
    # One-off items dated in the month join its bill (and its invoices).
    one_offs = pending_one_offs(*period_bounds(period))
    # The items are worded in each client's language: the buyers the invoices need anyway
    # say it (one read of the clients), else their languages alone.
    invoicing = get_settings()["invoice_on_close"]
    clients = {m.client_id for m in months}
    if invoicing:
        terms = buyer_terms(clients | {item["client_id"] for item in one_offs})
        languages = {client_id: t.language for client_id, t in terms.items()}
    else:
        languages = client_languages(clients)
    items = items_of(months, row.id, languages)
    for item, item_id in zip(items, reserve_ids(BillableItem, len(items)), strict=True):
        item["id"] = item_id
    if one_offs:
        db.session.execute(
            update(BillableItem)
            .where(BillableItem.id.in_([item["id"] for item in one_offs]))
            .values(period_id=row.id)
        )
    if invoicing:
        batch = plan_invoices(items + one_offs, row.id, actor, terms)
        for item in items:
            item["invoice_id"] = batch.invoice_of[item["id"]]
        batch.insert(items)
        invoice_count = len(batch.invoices)
    else:
        bulk_insert(BillableItem, items)
        invoice_count = 0
    items += one_offs
    audit.record(
        actor,
        "period.close",
        "billing_period",
        row.id,
        after={"period": period, "items": len(items), "invoices": invoice_count},
    )
    return CloseResult(period, row.id, False, len(items), invoice_count)


def _write_pools(months: list[SubscriptionMonth], period_id: int, period: str) -> None:
    """What the month used of each pool, and the carry-over it leaves: two bulk inserts."""
    bulk_insert(
        PoolUse,
        [
            {"pool_id": pool_id, "period_id": period_id, "minutes": minutes}
            for m in months
            for pool_id, minutes in m.bill.uses
        ],
    )
    carries = []
    for m in months:
        if m.bill.carried_out_minutes:
            valid_from, valid_until = carry_validity(m.terms, period)
            carries.append(
                {
                    "client_id": m.client_id,
                    "subscription_id": m.subscription_id,
                    "kind": "carry",
                    "minutes": m.bill.carried_out_minutes,
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                    "period_id": period_id,
                }
            )
    bulk_insert(HourPool, carries)


def _already_closed(row: BillingPeriod) -> CloseResult:
    """The result of closing a month that was closed before."""
    items = db.session.scalar(
        db.select(func.count()).select_from(BillableItem).filter_by(period_id=row.id)
    )
    invoices = db.session.scalar(
        db.select(func.count()).select_from(Invoice).filter_by(period_id=row.id)
    )
    return CloseResult(row.period, row.id, True, items, invoices)


def due_periods() -> list[str]:
    """Past months not yet closed, oldest first, from the first subscription's month on (or
    the first waiting one-off item's, for a shop that bills only those)."""
    starts = [
        db.session.scalar(db.select(func.min(Subscription.start_date))),
        db.session.scalar(
            db.select(func.min(BillableItem.work_date)).where(BillableItem.period_id.is_(None))
        ),
    ]
    starts = [start for start in starts if start is not None]
    if not starts:
        return []
    first_start = min(starts)
    closed = set(db.session.scalars(db.select(BillingPeriod.period)))
    this_month = period_of(business_today())
    periods, year, month = [], first_start.year, first_start.month
    while (period := f"{year:04d}-{month:02d}") < this_month:
        if period not in closed:
            periods.append(period)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return periods
