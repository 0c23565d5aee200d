"""Billing over the API: periods, preview, close, billable items, invoices, usage."""

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
    ItemOut,
    ListQuery,
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
from portal.services.billing.payments import mark_paid
from portal.services.billing.periods import parse_period
from portal.services.billing.queries import (
    billing_periods,
    currencies_by_code,
    currencies_by_id,
)
from portal.services.clients.usage import client_usage
from portal.services.lookups import client_for, invoice_for
from portal.transaction import discard


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
        "invoices": [invoice_json(inv) for inv in result.invoices],
    }


@bp.get("/billable-items")
@roles(*STAFF, "client")
@bp.arguments(ListQuery, location="query")
@bp.response(200, page_of(ItemOut))
def items_list(args: dict):
    """Billable items, filtered by client and period."""
    page, per_page = args["page"], args["per_page"]
    query = db.select(BillableItem, BillingPeriod.period).join(
        BillingPeriod, BillingPeriod.id == BillableItem.period_id
    )
    query = client_rows(query, BillableItem.client_id, args)
    if (period := _period(args)) is not None:
        query = query.where(BillingPeriod.period == period)
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(BillableItem.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return listing([item_json(item, period) for item, period in rows], total, page, per_page)


@bp.get("/invoices")
@bp.arguments(ListQuery, location="query")
@bp.response(200, page_of(InvoiceOut))
def invoices_list(args: dict):
    """Invoices, filtered by client and period."""
    query = client_rows(db.select(Invoice), Invoice.client_id, args)
    if (period := _period(args)) is not None:
        query = query.join(BillingPeriod, BillingPeriod.id == Invoice.period_id).where(
            BillingPeriod.period == period
        )
    return paged(query.order_by(Invoice.id), lambda rows: [invoice_json(i) for i in rows], args)


@bp.get("/invoices/<int:invoice_id>")
@bp.response(200, InvoiceOut)
def invoices_get(invoice_id: int):
    """One invoice with its lines."""
    return invoice_json(invoice_for(user(), invoice_id))


def _transition(invoice_id: int, action) -> dict:
    """Apply an invoice transition; 404 for an unknown invoice, 409 for a move not allowed."""
    invoice = invoice_for(user(), invoice_id)
    action(invoice, user())
    return invoice_json(invoice)


@bp.post("/invoices/<int:invoice_id>/mark-paid")
@roles("admin")
@bp.response(200, InvoiceOut)
def invoices_mark_paid(invoice_id: int):
    """Unpaid -> Paid; other moves are 409."""
    return _transition(invoice_id, mark_paid)


@bp.post("/invoices/<int:invoice_id>/cancel")
@roles("admin")
@bp.response(200, InvoiceOut)
def invoices_cancel(invoice_id: int):
    """Unpaid -> Cancelled; other moves are 409."""
    return _transition(invoice_id, cancel_invoice)


@bp.get("/clients/<int:client_id>/usage")
@roles(*STAFF, "client")
@found(client_for)
@bp.arguments(UsageQuery, location="query")
@bp.response(200, UsageOut)
def clients_usage(args: dict, client_id: int):
    """A client's hours for a period (default: the current one)."""
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
    }
