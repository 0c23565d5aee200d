"""Billing over the API: periods, preview, close, billable items, invoices, payments,
credit notes, one-off items, usage."""

from sqlalchemy.orm import joinedload, selectinload

from portal.api import bp
from portal.api.common import (
    STAFF,
    client_rows,
    found,
    hours,
    listing,
    money,
    paged,
    roles,
    user,
)
from portal.api.schemas import (
    CloseOut,
    InvoiceOut,
    InvoiceQuery,
    ItemOut,
    ListQuery,
    OneOffItemIn,
    PaymentIn,
    PeriodOut,
    PreviewOut,
    UsageOut,
    UsageQuery,
    page_of,
)
from portal.api.serializers import invoice_json, item_json
from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Invoice
from portal.services.billing.close import close_period, preview_period
from portal.services.billing.invoices import cancel_invoice
from portal.services.billing.one_off import add_one_off_item
from portal.services.billing.payments import mark_paid, record_payment
from portal.services.billing.periods import parse_period, period_bounds
from portal.services.billing.queries import (
    billing_periods,
    currencies_by_code,
    currencies_by_id,
)
from portal.services.clients.usage import client_usage
from portal.services.lookups import client_for, invoice_for
from portal.services.settings import business_today
from portal.transaction import discard

# What invoice_json reads besides the invoice row, loaded for a whole page at once.
INVOICE_LOADS = (
    selectinload(Invoice.lines),
    selectinload(Invoice.taxes),
    selectinload(Invoice.payments),
    selectinload(Invoice.credit_note),
    joinedload(Invoice.currency),
    joinedload(Invoice.period),
)


def _period(args: dict) -> str | None:
    """?period=YYYY-MM, checked, or None."""
    return parse_period(args["period"]) if "period" in args else None


@bp.get("/billing/periods")
@roles("admin")
@bp.response(200, PeriodOut(many=True))
def periods_list():
    """Months with state, counts and totals per currency."""
    codes = currencies_by_code()
    return [
        {
            "period": p.period,
            "status": "closed" if p.status == "closed" else "open",
            "closed_at": p.closed_at.isoformat() if p.closed_at else None,
            "items": p.items,
            "invoices": p.invoices,
            "total_by_currency": {k: money(v, codes[k]) for k, v in p.totals.items()},
        }
        for p in billing_periods()
    ]


def _preview_rows(rows):
    """Preview rows with money as strings."""
    currencies = currencies_by_id()
    return [
        {
            "client_id": r["client_id"],
            "subscription_id": r["subscription_id"],
            "kind": r["kind"],
            "description": r["description"],
            "hours": hours(r["minutes"]),
            "unit_rate": money(r["unit_rate"], currencies[r["currency_id"]]),
            "amount": money(r["amount"], currencies[r["currency_id"]]),
            "currency": currencies[r["currency_id"]].code,
        }
        for r in rows
    ]


@bp.post("/billing/periods/<period>/preview")
@roles("admin")
@bp.response(200, PreviewOut)
def periods_preview(period: str):
    """What a close would create; writes nothing."""
    discard()  # a preview never writes
    already, rows = preview_period(period)
    return {"period": period, "already_closed": already, "items": _preview_rows(rows)}


@bp.post("/billing/periods/<period>/close")
@roles("admin")
@bp.response(200, CloseOut)
def periods_close(period: str):
    """Close a past month exactly once; 400 period_not_ended for the current or a future one."""
    result = close_period(period, user())
    return {
        "period": result.period,
        "already_closed": result.already_closed,
        "items": [item_json(i, result.period) for i in result.items],
        "invoices": [invoice_json(inv) for inv in result.invoices_with(*INVOICE_LOADS)],
    }


@bp.get("/billable-items")
@roles(*STAFF, "client")
@bp.arguments(ListQuery, location="query")
@bp.response(200, page_of(ItemOut))
def items_list(args: dict):
    """Billable items, filtered by client and period; a one-off item waiting for its
    month's close counts in the month of its date."""
    page, per_page = args["page"], args["per_page"]
    query = db.select(BillableItem, BillingPeriod.period).outerjoin(
        BillingPeriod, BillingPeriod.id == BillableItem.period_id
    )
    query = client_rows(query, BillableItem.client_id, args)
    if (period := _period(args)) is not None:
        first, last = period_bounds(period)
        waiting = db.and_(
            BillableItem.period_id.is_(None),
            BillableItem.invoice_id.is_(None),
            BillableItem.work_date.between(first, last),
        )
        query = query.where(db.or_(BillingPeriod.period == period, waiting))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.options(joinedload(BillableItem.currency))
        .order_by(BillableItem.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return listing([item_json(item, period) for item, period in rows], total, page, per_page)


@bp.get("/invoices")
@bp.arguments(InvoiceQuery, location="query")
@bp.response(200, page_of(InvoiceOut))
def invoices_list(args: dict):
    """Invoices and credit notes, filtered by client, period and kind."""
    query = client_rows(db.select(Invoice), Invoice.client_id, args)
    if (period := _period(args)) is not None:
        query = query.join(BillingPeriod, BillingPeriod.id == Invoice.period_id).where(
            BillingPeriod.period == period
        )
    if "kind" in args:
        query = query.where(Invoice.kind == args["kind"])
    query = query.options(*INVOICE_LOADS).order_by(Invoice.id)
    return paged(query, lambda rows: [invoice_json(i) for i in rows], args)


@bp.get("/invoices/<int:invoice_id>")
@bp.response(200, InvoiceOut)
def invoices_get(invoice_id: int):
    """One invoice with its lines."""
    return invoice_json(invoice_for(user(), invoice_id))


def _answer(invoice: Invoice) -> dict:
    """The invoice as it now stands (its payments and credit note read again)."""
    db.session.expire(invoice, ["payments", "credit_note"])
    return invoice_json(invoice)


def _transition(invoice_id: int, action) -> dict:
    """Apply an invoice transition; 404 for an unknown invoice, 409 for a move not allowed."""
    invoice = invoice_for(user(), invoice_id)
    action(invoice, user())
    return _answer(invoice)


@bp.post("/invoices/<int:invoice_id>/mark-paid")
@roles("admin")
@bp.response(200, InvoiceOut)
def invoices_mark_paid(invoice_id: int):
    """Unpaid -> Paid by a payment of the whole balance dated today; other moves are 409."""
    return _transition(invoice_id, mark_paid)


@bp.post("/invoices/<int:invoice_id>/cancel")
@roles("admin")
@bp.response(200, InvoiceOut)
def invoices_cancel(invoice_id: int):
    """Unpaid with nothing paid -> Cancelled, issuing its credit note; other moves are 409."""
    return _transition(invoice_id, cancel_invoice)


@bp.post("/invoices/<int:invoice_id>/payments")
@roles("admin")
@found(invoice_for)
@bp.arguments(PaymentIn)
@bp.response(201, InvoiceOut)
def invoices_pay(data: dict, invoice_id: int):
    """Record a payment (at most the balance); the invoice is Paid when payments cover it.
    409 on a credit note, a cancelled or a paid invoice."""
    invoice = invoice_for(user(), invoice_id)
    record_payment(invoice, user(), data)
    return _answer(invoice)


@bp.post("/clients/<int:client_id>/items")
@roles("admin")
@found(client_for)
@bp.arguments(OneOffItemIn)
@bp.response(201, ItemOut)
def clients_add_item(data: dict, client_id: int):
    """Add a one-off item: billed at its month's close, or invoiced now (`invoice_now`)."""
    client = client_for(user(), client_id)
    values = {
        "description": data["description"],
        "quantity": data["quantity"],
        "unit_price": data["unit_price"],
        "date": data.get("date") or business_today(),
    }
    item = add_one_off_item(client, values, user(), invoice_now=data["invoice_now"])
    return item_json(item, None)


@bp.get("/clients/<int:client_id>/usage")
@roles(*STAFF, "client")
@found(client_for)
@bp.arguments(UsageQuery, location="query")
@bp.response(200, UsageOut)
def clients_usage(args: dict, client_id: int):
    """A client's hours for a period (default: the current one): included, carried over
    and prepaid blocks, what the month used of each, and overtime."""
    client = client_for(user(), client_id)
    usage = client_usage(client, _period(args))
    return {
        "period": usage.period,
        "plan": usage.plan,
        "model": usage.model,
        "currency": client.currency.code,
        "included_hours": hours(usage.included_minutes),
        "used_hours": hours(usage.used_minutes),
        "remaining_hours": hours(usage.remaining_minutes),
        "overtime_hours": hours(usage.overtime_minutes),
        "overtime_amount": money(usage.overtime_amount, client.currency),
        "carried_in_hours": hours(usage.carried_in_minutes),
        "carry_used_hours": hours(usage.carry_used_minutes),
        "carried_out_hours": hours(usage.carried_out_minutes),
        "carry_overs": [
            {
                "from_period": carry["from_period"],
                "hours": hours(carry["minutes"]),
                "left_hours": hours(carry["left_minutes"]),
                "valid_until": carry["valid_until"].isoformat(),
            }
            for carry in usage.carry_overs
        ],
        "blocks": [
            {
                "id": block["id"],
                "hours": hours(block["minutes"]),
                "used_hours": hours(block["used_minutes"]),
                "left_hours": hours(block["left_minutes"]),
                "valid_from": block["valid_from"].isoformat(),
                "valid_until": block["valid_until"].isoformat(),
            }
            for block in usage.blocks
        ],
        "block_left_hours": hours(usage.block_left_minutes),
    }
