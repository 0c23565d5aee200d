"""Billing over the API: periods, preview, close, billable items, invoices, usage."""

from flask import jsonify, request

from portal.api import bp
from portal.api.common import (
    STAFF,
    BadRequest,
    hours,
    listing,
    money,
    page_params,
    paged,
    roles,
    user,
    whole_number,
)
from portal.api.serializers import invoice_json, item_json
from portal.errors import api_error
from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Client, Invoice
from portal.services.billing import close_period, parse_period, preview_period
from portal.services.billing_queries import (
    billing_periods,
    currencies_by_code,
    currencies_by_id,
)
from portal.services.invoices import cancel_invoice, mark_paid
from portal.services.usage import client_usage


def _client_filter(query, column):
    """Client tokens see their own rows only; staff may filter with ?client_id=."""
    if user().role == "client":
        return query.where(column == user().client_id)
    raw = request.args.get("client_id")
    if raw is not None:
        client_id = whole_number(raw)
        if client_id is None:
            raise BadRequest({"client_id": "Must be a whole number from 1 to 2147483647."})
        query = query.where(column == client_id)
    return query


def _period_filter(query, period_column):
    """?period=YYYY-MM."""
    raw = request.args.get("period")
    if raw is not None:
        query = query.join(BillingPeriod, BillingPeriod.id == period_column).where(
            BillingPeriod.period == parse_period(raw)
        )
    return query


@bp.get("/billing/periods")
@roles("admin")
def periods_list():
    """Months with state, counts and totals per currency."""
    codes = currencies_by_code()
    return jsonify(
        [
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
    )


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
def periods_preview(period: str):
    """What a close would create; writes nothing."""
    already, rows = preview_period(period)
    db.session.rollback()
    return jsonify(period=period, already_closed=already, items=_preview_rows(rows))


@bp.post("/billing/periods/<period>/close")
@roles("admin")
def periods_close(period: str):
    """Close a past month exactly once; 400 period_not_ended for the current or a future one."""
    result = close_period(period, user())
    db.session.commit()
    return jsonify(
        period=result.period,
        already_closed=result.already_closed,
        items=[item_json(i, result.period) for i in result.items],
        invoices=[invoice_json(inv) for inv in result.invoices],
    )


@bp.get("/billable-items")
@roles(*STAFF, "client")
def items_list():
    """Billable items, filtered by client and period."""
    page, per_page = page_params()
    query = db.select(BillableItem, BillingPeriod.period).join(
        BillingPeriod, BillingPeriod.id == BillableItem.period_id
    )
    query = _client_filter(query, BillableItem.client_id)
    if (raw := request.args.get("period")) is not None:
        query = query.where(BillingPeriod.period == parse_period(raw))
    total = db.session.scalar(db.select(db.func.count()).select_from(query.subquery()))
    rows = db.session.execute(
        query.order_by(BillableItem.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return listing([item_json(item, period) for item, period in rows], total, page, per_page)


@bp.get("/invoices")
def invoices_list():
    """Invoices, filtered by client and period."""
    query = _period_filter(
        _client_filter(db.select(Invoice), Invoice.client_id), Invoice.period_id
    ).order_by(Invoice.id)
    return paged(query, lambda invoices: [invoice_json(i) for i in invoices])


def _visible_invoice(invoice_id: int) -> Invoice | None:
    """The invoice if the token may see it."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or (user().role == "client" and invoice.client_id != user().client_id):
        return None
    return invoice


@bp.get("/invoices/<int:invoice_id>")
def invoices_get(invoice_id: int):
    """One invoice with its lines."""
    invoice = _visible_invoice(invoice_id)
    if invoice is None:
        return api_error(404, "Invoice not found.", "not_found")
    return jsonify(invoice_json(invoice))


def _transition(invoice_id: int, action):
    """Apply an invoice transition; 404 for an unknown invoice, 409 for a move not allowed."""
    invoice = _visible_invoice(invoice_id)
    if invoice is None:
        return api_error(404, "Invoice not found.", "not_found")
    action(invoice, user())
    db.session.commit()
    return jsonify(invoice_json(invoice))


@bp.post("/invoices/<int:invoice_id>/mark-paid")
@roles("admin")
def invoices_mark_paid(invoice_id: int):
    """Unpaid -> Paid; other moves are 409."""
    return _transition(invoice_id, mark_paid)


@bp.post("/invoices/<int:invoice_id>/cancel")
@roles("admin")
def invoices_cancel(invoice_id: int):
    """Unpaid -> Cancelled; other moves are 409."""
    return _transition(invoice_id, cancel_invoice)


@bp.get("/clients/<int:client_id>/usage")
@roles(*STAFF, "client")
def clients_usage(client_id: int):
    """A client's hours for a period (default: the current one)."""
    client = db.session.get(Client, client_id)
    if client is None or (user().role == "client" and client.id != user().client_id):
        return api_error(404, "Client not found.", "not_found")
    raw = request.args.get("period")
    usage = client_usage(client, parse_period(raw) if raw is not None else None)
    return jsonify(
        period=usage.period,
        plan=usage.plan,
        model=usage.model,
        currency=client.currency.code,
        included_hours=hours(usage.included_minutes),
        used_hours=hours(usage.used_minutes),
        remaining_hours=hours(usage.remaining_minutes),
        overtime_hours=hours(usage.overtime_minutes),
        overtime_amount=money(usage.overtime_amount, client.currency),
    )
