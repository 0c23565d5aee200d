"""JSON shapes of API.md: money and hours as fixed-decimal strings, dates ISO, ids integers."""

from portal.api.common import hours, money
from portal.models import (
    BillableItem,
    Currency,
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


def plan_json(p: Plan) -> dict:
    """A plan with its prices per currency."""
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
    }


def subscription_json(s: Subscription | None) -> dict | None:
    """A subscription with its price snapshot."""
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
        "total_hours": hours(total_minutes),
        "created_at": t.created_at.isoformat(),
        "updated_at": t.updated_at.isoformat(),
    }


def message_json(m: TicketMessage) -> dict:
    """A ticket message."""
    return {
        "id": m.id,
        "ticket_id": m.ticket_id,
        "author_id": m.author_id,
        "from_staff": m.from_staff,
        "message": m.body,
        "created_at": m.created_at.isoformat(),
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


def item_json(i: BillableItem, period: str) -> dict:
    """A billable item."""
    return {
        "id": i.id,
        "client_id": i.client_id,
        "subscription_id": i.subscription_id,
        "period": period,
        "kind": i.kind,
        "description": i.description,
        "hours": hours(i.minutes),
        "unit_rate": money(i.unit_rate, i.currency),
        "amount": money(i.amount, i.currency),
        "currency": i.currency.code,
        "invoice_id": i.invoice_id,
    }


def invoice_json(inv: Invoice) -> dict:
    """An invoice with its lines."""
    cur = inv.currency
    return {
        "id": inv.id,
        "number": inv.number,
        "client_id": inv.client_id,
        "period": inv.period.period if inv.period else None,
        "currency": cur.code,
        "status": inv.status,
        "issue_date": inv.issue_date.isoformat(),
        "due_date": inv.due_date.isoformat(),
        "paid_date": inv.paid_date.isoformat() if inv.paid_date else None,
        "total": money(inv.total, cur),
        "lines": [
            {
                "position": ln.position,
                "description": ln.description,
                "hours": hours(ln.minutes),
                "unit_rate": money(ln.unit_rate, cur),
                "amount": money(ln.amount, cur),
                "billable_item_id": ln.billable_item_id,
            }
            for ln in inv.lines
        ],
    }
