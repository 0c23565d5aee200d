"""Invoices: gapless numbers, one invoice per client and period, paid/cancelled transitions."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Integer, bindparam, text, update
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
from portal.services.bulk import bulk_insert, reserve_ids
from portal.services.errors import DomainError
from portal.services.settings import business_today, get_settings

ITEM_FIELDS = (
    "client_id",
    "subscription_id",
    "period_id",
    "kind",
    "description",
    "minutes",
    "unit_rate",
    "amount",
    "currency_id",
)
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


def item_row(item: BillableItem) -> dict:
    """An existing item as the same kind of row a preview gives."""
    return {key: getattr(item, key) for key in ITEM_FIELDS}


@dataclass
class InvoiceBatch:
    """Invoices for some billable items, as rows ready to insert (ids already reserved)."""

    invoices: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)
    invoice_of: dict[int, int] = field(default_factory=dict)  # item id -> invoice id

    def insert(self, items: list[dict] | None = None) -> None:
        """Write the batch; `items` (new item rows) go in between invoices and lines.

        Without `items`, the billable items exist already and are linked by one UPDATE.
        """
        bulk_insert(Invoice, self.invoices)
        if items is None:
            link_items(list(self.invoice_of.items()))
        else:
            bulk_insert(BillableItem, items)
        bulk_insert(InvoiceLine, self.lines)
        bulk_insert(AuditLogEntry, self.audit)


def plan_invoices(items: list[dict], period_id: int | None, actor=None) -> InvoiceBatch:
    """One Unpaid invoice per client for billable items of one period, as rows.

    `items` are item rows with their ids (new or existing). The invoice numbers are
    reserved in this transaction (gapless); nothing else is written until `insert`.
    """
    by_client: dict[int, list[dict]] = defaultdict(list)
    for item in items:
        by_client[item["client_id"]].append(item)
    batch = InvoiceBatch()
    if not by_client:
        return batch
    settings = get_settings()
    issue = business_today()
    due = issue + timedelta(days=int(settings["due_days"]))
    clients = sorted(by_client)
    numbers = next_sequence_numbers(len(clients))
    ids = reserve_ids(Invoice, len(clients))
    now, actor_id = utcnow(), getattr(actor, "id", None)
    for client_id, seq, invoice_id in zip(clients, numbers, ids, strict=True):
        lines = sorted(by_client[client_id], key=lambda i: (KIND_ORDER[i["kind"]], i["id"]))
        invoice = {
            "id": invoice_id,
            "number": format_number(settings["invoice_number_format"], issue, seq),
            "client_id": client_id,
            "period_id": period_id,
            "currency_id": lines[0]["currency_id"],
            "status": InvoiceStatus.UNPAID.value,
            "issue_date": issue,
            "due_date": due,
            "total": sum((line["amount"] for line in lines), Decimal(0)),
        }
        batch.invoices.append(invoice)
        for position, item in enumerate(lines, start=1):
            batch.lines.append(
                {
                    "invoice_id": invoice_id,
                    "billable_item_id": item["id"],
                    "position": position,
                    "description": item["description"],
                    "minutes": item["minutes"],
                    "unit_rate": item["unit_rate"],
                    "amount": item["amount"],
                }
            )
            batch.invoice_of[item["id"]] = invoice_id
        batch.audit.append(
            {
                "at": now,
                "user_id": actor_id,
                "action": "invoice.issue",
                "object_type": "invoice",
                "object_id": invoice_id,
                "after": {"number": invoice["number"], "total": str(invoice["total"])},
            }
        )
    return batch


def invoices_by_id(ids: list[int], chunk: int = 5000) -> list[Invoice]:
    """Invoices by id, in the order given."""
    found: dict[int, Invoice] = {}
    for start in range(0, len(ids), chunk):
        for invoice in db.session.scalars(
            db.select(Invoice).where(Invoice.id.in_(ids[start : start + chunk]))
        ):
            found[invoice.id] = invoice
    return [found[invoice_id] for invoice_id in ids]


def invoice_uninvoiced(actor, client_id: int | None = None) -> list[Invoice]:
    """Invoice every item still waiting (when "invoice on close" was off), per client and period."""
    query = db.select(BillableItem).where(BillableItem.invoice_id.is_(None))
    if client_id is not None:
        query = query.where(BillableItem.client_id == client_id)
    by_period: dict[int, list[BillableItem]] = defaultdict(list)
    for item in db.session.scalars(query.order_by(BillableItem.period_id, BillableItem.id)):
        by_period[item.period_id].append(item)
    ids = []
    for period_id, items in sorted(by_period.items()):
        batch = plan_invoices([{"id": i.id, **item_row(i)} for i in items], period_id, actor)
        batch.insert()
        for item in items:  # the UPDATE went round the loaded objects
            set_committed_value(item, "invoice_id", batch.invoice_of[item.id])
        ids.extend(invoice["id"] for invoice in batch.invoices)
    return invoices_by_id(ids)


def allowed_moves(invoice: Invoice) -> frozenset[str]:
    """The statuses the invoice may move to from where it is (none once paid or cancelled)."""
    return frozenset(TRANSITIONS[invoice.status])


def _move(invoice: Invoice, status: str, actor) -> Invoice:
    """Apply an allowed status change, or refuse it with a message."""
    if status not in allowed_moves(invoice):
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
