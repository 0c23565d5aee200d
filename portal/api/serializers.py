"""JSON shapes of API.md: money and hours as fixed-decimal strings, dates ISO, ids integers."""

from decimal import Decimal

from portal.api.common import hours, money
from portal.models import (
    Attachment,
    BillableItem,
    Currency,
    HourPool,
    Invoice,
    Plan,
    Subscription,
    TaxRate,
    Ticket,
    TicketMessage,
    TimeEntry,
)
from portal.services.catalog.tax_rates import format_percent


def currency_json(c: Currency) -> dict:
    """A currency."""
    return {
        "id": c.id,
        "code": c.code,
        "decimals": c.decimals,
        "prefix": c.prefix,
        "suffix": c.suffix,
        "is_default": c.is_default,
    }


def tax_rate_json(r: TaxRate) -> dict:
    """A tax rate, its percent with three decimals."""
    return {
        "id": r.id,
        "name": r.name,
        "percent": format_percent(r.percent),
        "country": r.country,
        "is_default": r.is_default,
    }


def selling_terms_json(row: Plan | Subscription) -> dict:
    """A plan's (or a subscription's snapshot of its) rollover and block terms; the terms a
    model does not have are null (rollover_months 0)."""
    block = row.model == "block"
    cap = row.rollover_cap_minutes
    return {
        "rollover_months": row.rollover_months,
        "rollover_cap_hours": hours(cap) if cap is not None else None,
        "block_hours": hours(row.block_minutes) if block else None,
        "validity_months": row.validity_months if block else None,
        "when_used_up": row.when_used_up if block else None,
    }


def plan_json(p: Plan) -> dict:
    """A plan with its prices per currency and its rollover or block terms."""
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "model": p.model,
        "included_hours": hours(p.included_minutes),
        "prorate": p.prorate,
        "active": p.active,
        "prices": [
            {
                "currency": pr.currency.code,
                "fee": money(pr.fee, pr.currency),
                "rate": money(pr.rate, pr.currency),
            }
            for pr in p.prices
        ],
        **selling_terms_json(p),
    }


def subscription_json(s: Subscription | None) -> dict | None:
    """A subscription with its snapshot of the plan (prices, hours, rollover, blocks)."""
    if s is None:
        return None
    return {
        "id": s.id,
        "client_id": s.client_id,
        "plan_id": s.plan_id,
        "plan": s.plan.name,
        "model": s.model,
        "start_date": s.start_date.isoformat(),
        "end_date": s.end_date.isoformat() if s.end_date else None,
        "fee": money(s.fee, s.currency),
        "rate": money(s.rate, s.currency),
        "included_hours": hours(s.included_minutes),
        "prorate": s.prorate,
        "currency": s.currency.code,
        **selling_terms_json(s),
    }


def purchase_json(pool: HourPool) -> dict:
    """A prepaid block bought: its hours and the days it may be used."""
    return {
        "id": pool.id,
        "hours": hours(pool.minutes),
        "valid_from": pool.valid_from.isoformat(),
        "valid_until": pool.valid_until.isoformat(),
    }


def ticket_json(t: Ticket, total_minutes: int) -> dict:
    """A ticket with its hours."""
    return {
        "id": t.id,
        "number": t.number,
        "client_id": t.client_id,
        "subject": t.subject,
        "department": t.department,
        "priority": t.priority,
        "status": t.status,
        "time_tracking": t.time_tracking,
        "assignee_id": t.assignee_id,
        "assignee": t.assignee.name if t.assignee is not None else None,
        "total_hours": hours(total_minutes),
        "created_at": t.created_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
    }


def attachment_json(a: Attachment) -> dict:
    """A file's description (never its bytes)."""
    return {"id": a.id, "filename": a.filename, "size": a.size, "content_type": a.content_type}


def message_json(m: TicketMessage) -> dict:
    """A ticket message."""
    return {
        "id": m.id,
        "ticket_id": m.ticket_id,
        "author_id": m.author_id,
        "from_staff": m.from_staff,
        "internal": m.internal,
        "message": m.body,
        "created_at": m.created_at.isoformat(),
        "attachments": [attachment_json(a) for a in m.attachments],
    }


def thread_message_json(m: TicketMessage, client_name: str) -> dict:
    """A message of a ticket's thread, as GET /tickets/{id} lists it."""
    author = (m.author.name if m.author else "Support") if m.from_staff else client_name
    return {
        "id": m.id,
        "author": author,
        "internal": m.internal,
        "body": m.body,
        "created_at": m.created_at.isoformat(),
        "attachments": [attachment_json(a) for a in m.attachments],
    }


def entry_json(e: TimeEntry) -> dict:
    """A time entry."""
    return {
        "id": e.id,
        "ticket_id": e.ticket_id,
        "subscription_id": e.subscription_id,
        "minutes": e.minutes,
        "hours": hours(e.minutes),
        "work_date": e.work_date.isoformat(),
        "billable": e.billable,
        "note": e.note,
        "operator_id": e.operator_id,
    }


def quantity(value: Decimal) -> str:
    """A quantity with two decimals, "2.75" (negative on a credit note)."""
    return f"{value.quantize(Decimal('0.01')):f}"


def item_json(i: BillableItem, period: str | None) -> dict:
    """A billable item; a one-off item has no subscription, and no period until its close."""
    return {
        "id": i.id,
        "client_id": i.client_id,
        "subscription_id": i.subscription_id,
        "period": period,
        "kind": i.kind,
        "description": i.description,
        "hours": hours(i.minutes),
        "quantity": quantity(i.quantity),
        "unit_rate": money(i.unit_rate, i.currency),
        "unit_price": money(i.unit_rate, i.currency),
        "amount": money(i.amount, i.currency),
        "currency": i.currency.code,
        "date": i.work_date.isoformat() if i.work_date else None,
        "invoice_id": i.invoice_id,
    }


def invoice_json(inv: Invoice) -> dict:
    """An invoice (or credit note) as issued: parties, lines, taxes, payments and balance."""
    cur = inv.currency
    return {
        "id": inv.id,
        "number": inv.number,
        "kind": inv.kind,
        "client_id": inv.client_id,
        "period": inv.period.period if inv.period else None,
        "currency": cur.code,
        "status": inv.status,
        "issue_date": inv.issue_date.isoformat(),
        "due_date": inv.due_date.isoformat(),
        "paid_date": inv.paid_date.isoformat() if inv.paid_date else None,
        "seller": dict(inv.seller or {}),
        "buyer": dict(inv.buyer or {}),
        "tax_treatment": inv.tax_treatment,
        "net_total": money(inv.net_total, cur),
        "tax_total": money(inv.tax_total, cur),
        "total": money(inv.total, cur),
        "paid_total": money(inv.paid_total, cur),
        "balance": money(inv.balance, cur),
        "taxes": [
            {
                "name": t.name,
                "percent": format_percent(t.percent),
                "category": t.category,
                "exemption_reason": t.exemption_reason,
                "net": money(t.net, cur),
                "tax": money(t.tax, cur),
            }
            for t in inv.taxes
        ],
        "notes": list(inv.notes or []),
        "payments": [
            {
                "id": p.id,
                "date": p.date.isoformat(),
                "amount": money(p.amount, cur),
                "method": p.method,
                "reference": p.reference,
            }
            for p in inv.payments
        ],
        "credit_note_id": inv.credit_note.id if inv.credit_note else None,
        "credited_invoice_id": inv.credited_invoice_id,
        "lines": [
            {
                "position": ln.position,
                "kind": ln.kind,
                "description": ln.description,
                "hours": hours(ln.minutes),
                "quantity": quantity(ln.quantity),
                "unit_rate": money(ln.unit_rate, cur),
                "amount": money(ln.amount, cur),
                "tax_name": ln.tax_name,
                "tax_percent": format_percent(ln.tax_percent),
                "tax_category": ln.tax_category,
                "billable_item_id": ln.billable_item_id,
            }
            for ln in inv.lines
        ],
    }
