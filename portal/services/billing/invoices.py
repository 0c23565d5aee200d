"""Invoices: gapless numbers, one invoice per client and period, taxed and snapshotted as
issued; payments, and the credit note that cancels one."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.i18n import document_language, speaking
from portal.models import (
    AuditLogEntry,
    BillableItem,
    Client,
    Counter,
    Currency,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTax,
    TaxRate,
)
from portal.models.types import utcnow
from portal.money import local_number, round_money
from portal.services import audit
from portal.services.billing.profiles import business_values
from portal.services.billing.taxes import (
    Rate,
    taxes_at_one_rate,
    treatment_notes,
    treatment_rate,
)
from portal.services.bulk import bulk_insert, reserve_ids
from portal.services.errors import DomainError
from portal.services.mail.billing import (
    tell_invoice_issued,
    tell_invoices_issued,
    withdraw_held_issue,
)
from portal.services.settings import business_today, get_settings

ITEM_FIELDS = (
    "client_id",
    "subscription_id",
    "period_id",
    "kind",
    "description",
    "minutes",
    "quantity",
    "unit_rate",
    "amount",
    "currency_id",
)
KIND_ORDER = {"block_fee": 0, "package_fee": 1, "overtime": 2, "hourly": 3, "one_off": 4}
COUNTER = "invoice"
CREDIT_NOTE_COUNTER = "credit_note"
# Allowed moves between invoice states; anything else is refused.
TRANSITIONS = {
    InvoiceStatus.UNPAID.value: {InvoiceStatus.PAID.value, InvoiceStatus.CANCELLED.value},
    InvoiceStatus.PAID.value: set(),
    InvoiceStatus.CANCELLED.value: set(),
    InvoiceStatus.ISSUED.value: set(),
}


def format_number(template: str, issue_date: date, seq: int) -> str:
    """Fill {YYYY}, {MM} (of the issue date) and {SEQ} (zero-padded to 4) into the format."""
    return (
        template.replace("{YYYY}", f"{issue_date.year:04d}")
        .replace("{MM}", f"{issue_date.month:02d}")
        .replace("{SEQ}", f"{seq:04d}")
    )


def next_sequence_numbers(count: int, series: str = COUNTER) -> range:
    """Reserve `count` consecutive sequence numbers of a series in this transaction.

    The counter row is locked until commit, so numbers are gapless and never handed out
    twice; a rolled-back transaction gives its numbers back. Invoices and credit notes
    are two series.
    """
    dialect = db.session.get_bind().dialect.name
    make_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(make_insert(Counter).values(name=series, value=0).on_conflict_do_nothing())
    counter = db.session.scalar(db.select(Counter).filter_by(name=series).with_for_update())
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
    taxes: list[dict] = field(default_factory=list)
    audit: list[dict] = field(default_factory=list)
    invoice_of: dict[int, int] = field(default_factory=dict)  # item id -> invoice id

    def insert(self, new_items: list[dict] = ()) -> None:
        """Write the batch; `new_items` (item rows not yet written) go in with it.

        Items that exist already are linked to their invoice by one UPDATE.
        """
        bulk_insert(Invoice, self.invoices)
        bulk_insert(BillableItem, new_items)
        written = {item["id"] for item in new_items}
        if links := [(i, inv) for i, inv in self.invoice_of.items() if i not in written]:
            link_items(links)
        bulk_insert(InvoiceLine, self.lines)
        bulk_insert(InvoiceTax, self.taxes)
        bulk_insert(AuditLogEntry, self.audit)
        # Their mail in the same transaction, one INSERT for the batch (the PDF is the
        # sender's to attach, so the close renders none).
        tell_invoices_issued(self.invoices)


@dataclass(frozen=True)
class BuyerTerms:
    """What an invoice takes from its client when issued: the buyer, the tax rate and what
    the invoice says about its tax (both in the client's language)."""

    buyer: dict
    treatment: str
    rate: Rate
    notes: tuple[str, ...] = ()

    @property
    def language(self) -> str:
        """The language of the client's documents."""
        return document_language(self.buyer.get("language"))


def buyer_snapshot(row) -> dict:
    """The buyer as an invoice keeps it (a Client or a row with the same fields)."""
    return {
        "name": row.legal_name or row.name,
        "address_lines": list(row.address_lines or []),
        "postal_code": row.postal_code,
        "city": row.city,
        "country": row.country,
        "tax_id": row.tax_id,
        "emails": list(row.billing_emails or []) or [row.email],
        "po_reference": row.po_reference,
        # The language of its documents and billing mail, kept as issued (SPEC "Languages").
        "language": row.language,
    }


BUYER_COLUMNS = (
    Client.id,
    Client.name,
    Client.email,
    Client.legal_name,
    Client.address_lines,
    Client.postal_code,
    Client.city,
    Client.country,
    Client.tax_id,
    Client.billing_emails,
    Client.po_reference,
    Client.language,
    Client.tax_treatment,
    Client.tax_rate_id,
    Client.tax_exemption_reason,
)


def _client_rows(client_ids, columns, chunk: int = 5000):
    """Rows of some columns of the clients, in a few Core queries (no ORM rows).

    The close asks for nearly every client: when the ids are dense (at least half the range
    they span), one range scan reads them, kept by id; a long IN list costs PostgreSQL more
    to plan and bind than the rows cost to read (0.15 s for 5,000 ids, 0.06 s for a scan of
    10,000 clients). Sparse ids go by IN, in chunks.
    """
    table = Client.__table__
    columns = [table.c[column.key] for column in columns]
    wanted = set(client_ids)
    if not wanted:
        return
    connection = db.session.connection()
    low, high = min(wanted), max(wanted)
    if len(wanted) * 2 >= high - low + 1:
        queries = [db.select(*columns).where(table.c.id.between(low, high))]
    else:
        ordered = sorted(wanted)
        queries = [
            db.select(*columns).where(table.c.id.in_(ordered[start : start + chunk]))
            for start in range(0, len(ordered), chunk)
        ]
    for query in queries:
        for row in connection.execute(query):
            if row.id in wanted:
                yield row


def client_languages(client_ids) -> dict[int, str]:
    """Each client's document language (what the close writes its items in), in a few
    queries of two columns."""
    return {
        row.id: document_language(row.language)
        for row in _client_rows(client_ids, (Client.id, Client.language))
    }


def buyer_terms(client_ids: list[int], chunk: int = 5000) -> dict[int, BuyerTerms]:
    """Each client's buyer snapshot and tax rate, in a few Core queries (no ORM rows).

    The rate's name and the tax notes are in the client's language: worked out once per
    treatment, rate and language (switching the language is not free), not per client.
    """
    wanted = set(client_ids)
    if not wanted:
        return {}
    rates = {r.id: r for r in db.session.scalars(db.select(TaxRate))}
    default = next((r for r in rates.values() if r.is_default), None)
    taxed: dict[tuple, tuple[Rate, tuple[str, ...]]] = {}
    terms = {}
    for row in _client_rows(wanted, BUYER_COLUMNS, chunk):
        chosen = rates.get(row.tax_rate_id) or default
        language = document_language(row.language)
        key = (row.tax_treatment, row.tax_exemption_reason, chosen and chosen.id, language)
        if key not in taxed:
            with speaking(language):
                rate = treatment_rate(
                    row.tax_treatment,
                    row.tax_exemption_reason,
                    (chosen.name, chosen.percent) if chosen else None,
                )
                taxed[key] = rate, tuple(treatment_notes(rate))
        rate, notes = taxed[key]
        terms[row.id] = BuyerTerms(buyer_snapshot(row), row.tax_treatment, rate, notes)
    return terms


def seller_snapshot() -> dict:
    """The seller as an invoice keeps it: today's business profile."""
    return business_values()


def plan_invoices(
    items: list[dict],
    period_id: int | None,
    actor=None,
    terms: dict[int, BuyerTerms] | None = None,
) -> InvoiceBatch:
    """One Unpaid invoice per client for billable items, as rows, taxed and snapshotted.

    `items` are item rows with their ids (new or existing). The invoice numbers are
    reserved in this transaction (gapless); nothing else is written until `insert`.
    Tax per SPEC.md: the client's treatment gives the rate of every line, and the tax is
    computed per rate on the invoice (portal.services.billing.taxes). `terms`: the
    clients' buyer_terms when the caller has read them already (the close).
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
    if terms is None:
        terms = buyer_terms(clients)
    seller = seller_snapshot()
    places = dict(db.session.execute(db.select(Currency.id, Currency.decimals)).all())
    numbers = next_sequence_numbers(len(clients))
    ids = reserve_ids(Invoice, len(clients))
    now, actor_id = utcnow(), getattr(actor, "id", None)
    # One list per distinct note text, shared by the rows: bulk_insert converts a list it
    # has seen once (most invoices print no note, or the same one).
    notes: dict[tuple[str, ...], list[str]] = {}
    for client_id, seq, invoice_id in zip(clients, numbers, ids, strict=True):
        lines = sorted(by_client[client_id], key=lambda i: (KIND_ORDER[i["kind"]], i["id"]))
        client = terms[client_id]
        currency_id = lines[0]["currency_id"]
        totals = taxes_at_one_rate(
            [line["amount"] for line in lines], client.rate, places[currency_id]
        )
        invoice = {
            "id": invoice_id,
            "number": format_number(settings["invoice_number_format"], issue, seq),
            "kind": InvoiceKind.INVOICE.value,
            "client_id": client_id,
            "period_id": period_id,
            "currency_id": currency_id,
            "status": InvoiceStatus.UNPAID.value,
            "issue_date": issue,
            "due_date": due,
            "net_total": totals.net_total,
            "tax_total": totals.tax_total,
            "total": totals.total,
            "paid_total": Decimal(0),
            "seller": seller,
            "buyer": client.buyer,
            "tax_treatment": client.treatment,
            "notes": notes.setdefault(client.notes, list(client.notes)),
        }
        batch.invoices.append(invoice)
        for position, item in enumerate(lines, start=1):
            batch.lines.append(
                {
                    "invoice_id": invoice_id,
                    "billable_item_id": item["id"],
                    "position": position,
                    "kind": item["kind"],
                    "description": item["description"],
                    "minutes": item["minutes"],
                    "quantity": item["quantity"],
                    "unit_rate": item["unit_rate"],
                    "amount": item["amount"],
                    "tax_name": client.rate.name,
                    "tax_percent": client.rate.percent,
                    "tax_category": client.rate.category,
                }
            )
            batch.invoice_of[item["id"]] = invoice_id
        for position, tax in enumerate(totals.taxes, start=1):
            batch.taxes.append(
                {
                    "invoice_id": invoice_id,
                    "position": position,
                    "name": tax.name,
                    "percent": tax.percent,
                    "category": tax.category,
                    "exemption_reason": tax.exemption_reason,
                    "net": tax.net,
                    "tax": tax.tax,
                }
            )
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
    """Invoice every item of a closed month still waiting (when "invoice on close" was off),
    per client and period. One-off items of open months wait for their close."""
    query = db.select(BillableItem).where(
        BillableItem.invoice_id.is_(None), BillableItem.period_id.is_not(None)
    )
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
    """The statuses the invoice may move to from where it is.

    Paid needs money (a payment of the balance); Cancelled only while nothing is paid.
    """
    moves = set(TRANSITIONS[invoice.status])
    if invoice.paid_total > 0:
        moves.discard(InvoiceStatus.CANCELLED.value)
    return frozenset(moves)


def lock_invoice(invoice: Invoice) -> Invoice:
    """Re-read the invoice under a row lock (PostgreSQL; SQLite serialises writers), so two
    payments or a payment and a cancel cannot both pass their checks."""
    return db.session.scalars(
        db.select(Invoice)
        .where(Invoice.id == invoice.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def cancel_invoice(invoice: Invoice, actor) -> Invoice:
    """Unpaid (nothing paid) -> Cancelled, with a credit note of its own series.

    The invoice keeps its number, so its series has no gap; the credit note carries the
    same lines and taxes negated, the invoice's snapshot, and refers to it.
    """
    invoice = lock_invoice(invoice)
    if InvoiceStatus.CANCELLED.value not in allowed_moves(invoice):
        raise InvalidTransition(invoice, InvoiceStatus.CANCELLED.value)
    today = business_today()  # read before changing the row: the query would autoflush it
    number_format = get_settings()["credit_note_number_format"]
    seq = next_sequence_numbers(1, CREDIT_NOTE_COUNTER)[0]
    invoice.status = InvoiceStatus.CANCELLED.value
    note = Invoice(
        number=format_number(number_format, today, seq),
        kind=InvoiceKind.CREDIT_NOTE.value,
        client_id=invoice.client_id,
        period_id=None,
        currency_id=invoice.currency_id,
        status=InvoiceStatus.ISSUED.value,
        issue_date=today,
        due_date=today,
        net_total=-invoice.net_total,
        tax_total=-invoice.tax_total,
        total=-invoice.total,
        seller=dict(invoice.seller),
        buyer=dict(invoice.buyer),
        tax_treatment=invoice.tax_treatment,
        notes=list(invoice.notes),
        credited_invoice=invoice,
        lines=[
            InvoiceLine(
                position=line.position,
                kind=line.kind,
                description=line.description,
                minutes=line.minutes,
                quantity=-line.quantity,
                unit_rate=line.unit_rate,
                amount=-line.amount,
                tax_name=line.tax_name,
                tax_percent=line.tax_percent,
                tax_category=line.tax_category,
            )
            for line in invoice.lines
        ],
        taxes=[
            InvoiceTax(
                position=tax.position,
                name=tax.name,
                percent=tax.percent,
                category=tax.category,
                exemption_reason=tax.exemption_reason,
                net=-tax.net,
                tax=-tax.tax,
            )
            for tax in invoice.taxes
        ],
    )
    db.session.add(note)
    db.session.flush()
    audit.record(
        actor,
        "invoice.cancelled",
        "invoice",
        invoice.id,
        {"status": InvoiceStatus.UNPAID.value},
        {"status": invoice.status, "credit_note": note.number},
    )
    audit.record(
        actor,
        "credit_note.issue",
        "invoice",
        note.id,
        after={"number": note.number, "total": str(note.total), "invoice": invoice.number},
    )
    if not withdraw_held_issue(invoice):  # a client who never got the invoice gets no note
        tell_invoice_issued(note)
    return invoice


class InvalidTransition(DomainError):
    """The invoice cannot move to that status from where it is."""

    code = "invalid_transition"
    status = 409

    def __init__(self, invoice: Invoice, target: str):
        from portal.formatting import value_label

        target = value_label(target)
        if invoice.kind == InvoiceKind.CREDIT_NOTE:
            message = _(
                "%(number)s is a credit note; it cannot become %(target)s.",
                number=invoice.number,
                target=target,
            )
        elif invoice.status == InvoiceStatus.UNPAID and invoice.paid_total > 0:
            paid = round_money(invoice.paid_total, invoice.currency.decimals)
            message = _(
                "Invoice %(number)s is part-paid (%(paid)s received); it cannot become %(target)s.",
                number=invoice.number,
                paid=local_number(str(paid)),
                target=target,
            )
        else:
            message = _(
                "Invoice %(number)s is %(status)s; it cannot become %(target)s.",
                number=invoice.number,
                status=value_label(invoice.status),
                target=target,
            )
        super().__init__(message)
