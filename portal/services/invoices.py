"""Invoices: gapless numbers, one invoice per client and period, paid/cancelled transitions."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db
from portal.models import BillableItem, Counter, Invoice, InvoiceLine, InvoiceStatus
from portal.services import audit
from portal.services.errors import DomainError
from portal.services.settings import business_today, get_settings

KIND_ORDER = {"package_fee": 0, "overtime": 1, "hourly": 2}
COUNTER = "invoice"
# Allowed moves between invoice states; anything else is refused.
TRANSITIONS = {
    InvoiceStatus.UNPAID.value: {InvoiceStatus.PAID.value, InvoiceStatus.CANCELLED.value},
    InvoiceStatus.PAID.value: set(),
    InvoiceStatus.CANCELLED.value: set(),
}


def format_number(template: str, issue_date: date, seq: int) -> str:
    """Fill {YYYY}, {MM} (of the issue date) and {SEQ} (zero-padded to 4) into the format."""
    return (
        template.replace("{YYYY}", f"{issue_date.year:04d}")
        .replace("{MM}", f"{issue_date.month:02d}")
        .replace("{SEQ}", f"{seq:04d}")
    )


def next_sequence_numbers(count: int) -> range:
    """Reserve `count` consecutive invoice sequence numbers in this transaction.

    The counter row is locked until commit, so numbers are gapless and never handed out
    twice; a rolled-back transaction gives its numbers back.
    """
    dialect = db.session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(make_insert(Counter).values(name=COUNTER, value=0).on_conflict_do_nothing())
    counter = db.session.scalar(db.select(Counter).filter_by(name=COUNTER).with_for_update())
    first = counter.value + 1
    counter.value += count
    db.session.flush()
    return range(first, first + count)


def issue_invoices(items: list[BillableItem], period_id: int | None, actor=None) -> list[Invoice]:
    """One Unpaid invoice per client for the given uninvoiced items of one period."""
    by_client: dict[int, list[BillableItem]] = defaultdict(list)
    for item in items:
        by_client[item.client_id].append(item)
    if not by_client:
        return []
    settings = get_settings()
    issue = business_today()
    due = issue + timedelta(days=int(settings["due_days"]))
    clients = sorted(by_client)
    numbers = next_sequence_numbers(len(clients))
    rows = []
    for client_id, seq in zip(clients, numbers, strict=True):
        lines = by_client[client_id]
        rows.append(
            {
                "number": format_number(settings["invoice_number_format"], issue, seq),
                "client_id": client_id,
                "period_id": period_id,
                "currency_id": lines[0].currency_id,
                "status": InvoiceStatus.UNPAID.value,
                "issue_date": issue,
                "due_date": due,
                "total": sum((line.amount for line in lines), Decimal(0)),
            }
        )
    invoices = list(
        db.session.scalars(insert(Invoice).returning(Invoice, sort_by_parameter_order=True), rows)
    )
    line_rows, links = [], []
    for invoice in invoices:
        ordered = sorted(by_client[invoice.client_id], key=lambda i: (KIND_ORDER[i.kind], i.id))
        for position, item in enumerate(ordered, start=1):
            line_rows.append(
                {
                    "invoice_id": invoice.id,
                    "billable_item_id": item.id,
                    "position": position,
                    "description": item.description,
                    "minutes": item.minutes,
                    "unit_rate": item.unit_rate,
                    "amount": item.amount,
                }
            )
            links.append({"id": item.id, "invoice_id": invoice.id})
    db.session.execute(insert(InvoiceLine), line_rows)
    db.session.execute(update(BillableItem), links)
    for invoice in invoices:
        audit.record(
            actor,
            "invoice.issue",
            "invoice",
            invoice.id,
            after={"number": invoice.number, "total": invoice.total},
        )
    return invoices


def invoice_uninvoiced(actor, client_id: int | None = None) -> list[Invoice]:
    """Invoice every item still waiting (when "invoice on close" was off), per client and period."""
    query = db.select(BillableItem).where(BillableItem.invoice_id.is_(None))
    if client_id is not None:
        query = query.where(BillableItem.client_id == client_id)
    by_period: dict[int, list[BillableItem]] = defaultdict(list)
    for item in db.session.scalars(query.order_by(BillableItem.period_id, BillableItem.id)):
        by_period[item.period_id].append(item)
    invoices = []
    for period_id, items in sorted(by_period.items()):
        invoices.extend(issue_invoices(items, period_id, actor))
    return invoices


def _move(invoice: Invoice, status: str, actor) -> Invoice:
    """Apply an allowed status change, or refuse it with a message."""
    if status not in TRANSITIONS[invoice.status]:
        raise InvalidTransition(invoice, status)
    before = {"status": invoice.status, "paid_date": invoice.paid_date}
    today = business_today()  # read before changing the row: the query would autoflush it
    invoice.status = status
    if status == InvoiceStatus.PAID.value:
        invoice.paid_date = today
    db.session.flush()
    audit.record(
        actor,
        f"invoice.{status.lower()}",
        "invoice",
        invoice.id,
        before,
        {"status": invoice.status, "paid_date": invoice.paid_date},
    )
    return invoice


def mark_paid(invoice: Invoice, actor) -> Invoice:
    """Unpaid -> Paid, dated today."""
    return _move(invoice, InvoiceStatus.PAID.value, actor)


def cancel_invoice(invoice: Invoice, actor) -> Invoice:
    """Unpaid -> Cancelled; the number stays used, so the sequence has no gap."""
    return _move(invoice, InvoiceStatus.CANCELLED.value, actor)


class InvalidTransition(DomainError):
    """The invoice cannot move to that status from where it is."""

    code = "invalid_transition"
    status = 409

    def __init__(self, invoice: Invoice, target: str):
        super().__init__(
            f"Invoice {invoice.number} is {invoice.status}; it cannot become {target}."
        )
