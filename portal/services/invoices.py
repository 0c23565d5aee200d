"""Invoices: gapless numbers, one invoice per client and period, paid/cancelled transitions."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Integer, bindparam, insert, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.models import (
    AuditLogEntry,
    BillableItem,
    Counter,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from portal.models.types import utcnow
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


def bulk_insert(model, rows: list[dict]) -> None:
    """Insert many rows at once, without building ORM objects.

    SQLite: executemany, one fast C loop. PostgreSQL: COPY (psycopg 3's executemany would
    send one INSERT per row); Python-side column defaults are filled in first, since COPY
    knows nothing of them, and every value goes through its column type as in an INSERT.
    """
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    defaults = {
        c.name: c.default.arg(None) if c.default.is_callable else c.default.arg
        for c in table.columns
        if c.default is not None and c.default.is_scalar | c.default.is_callable
    }
    names = list(dict.fromkeys([*rows[0], *(name for name in defaults if name not in rows[0])]))
    processors = [
        table.c[name].type._cached_bind_processor(connection.dialect) or (lambda v: v)
        for name in names
    ]
    cursor = connection.connection.driver_connection.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(
                [
                    process(row[name] if name in row else defaults[name])
                    for name, process in zip(names, processors, strict=True)
                ]
            )


def link_items(links: list[tuple[int, int]]) -> None:
    """Set invoice_id on items from (item id, invoice id) pairs.

    PostgreSQL: one UPDATE joined to two unnested arrays. SQLite: executemany, one C loop.
    """
    table = BillableItem.__table__
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text(
                "UPDATE billable_item SET invoice_id = links.invoice_id"
                " FROM unnest(:items, :invoices) AS links(item_id, invoice_id)"
                " WHERE billable_item.id = links.item_id"
            ).bindparams(
                bindparam("items", type_=ARRAY(Integer)),
                bindparam("invoices", type_=ARRAY(Integer)),
            ),
            {"items": [item for item, _ in links], "invoices": [inv for _, inv in links]},
        )
        return
    statement = (
        update(table)
        .where(table.c.id == bindparam("item_id"))
        .values(invoice_id=bindparam("new_invoice_id"))
    )
    db.session.execute(statement, [{"item_id": i, "new_invoice_id": v} for i, v in links])


def issue_invoices(items: list[BillableItem], period_id: int | None, actor=None) -> list[Invoice]:
    """One Unpaid invoice per client for the given uninvoiced items of one period.

    Set-based: invoices, lines and audit rows go in as bulk inserts, the items are linked by
    one UPDATE per 5,000, and the invoices are read back once; no ORM object is flushed.
    """
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
    bulk_insert(Invoice, rows)
    invoices = _read_back([row["number"] for row in rows])
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
            links.append((item.id, invoice.id))
            set_committed_value(item, "invoice_id", invoice.id)
    bulk_insert(InvoiceLine, line_rows)
    link_items(links)
    audit_rows = [
        {
            "at": utcnow(),
            "user_id": getattr(actor, "id", None),
            "action": "invoice.issue",
            "object_type": "invoice",
            "object_id": invoice.id,
            "after": {"number": invoice.number, "total": str(invoice.total)},
        }
        for invoice in invoices
    ]
    bulk_insert(AuditLogEntry, audit_rows)
    return invoices


def _read_back(numbers: list[str], chunk: int = 5000) -> list[Invoice]:
    """The invoices just inserted, by number, in the order of `numbers`."""
    found: dict[str, Invoice] = {}
    for start in range(0, len(numbers), chunk):
        for invoice in db.session.scalars(
            db.select(Invoice).where(Invoice.number.in_(numbers[start : start + chunk]))
        ):
            found[invoice.number] = invoice
    return [found[number] for number in numbers]


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
