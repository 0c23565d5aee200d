"""The billing messages of SPEC "Mail": invoices and credit notes issued, payment received,
payment reminders and overdue notices (the daily job), and (mail/usage.py) usage alerts.

Each is written in the transaction of its change, with a unique event key:
`invoice:<id>:issued`, `invoice:<id>:paid`, `invoice:<id>:reminder`,
`invoice:<id>:overdue:<days>`.
Invoice mail goes to the client's billing emails (else the account's email) and carries no
PDF here: the sender attaches it (compose.build), so the close stays set-based.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import String, and_, cast, exists, literal

from portal.extensions import db
from portal.formatting import format_day, format_money
from portal.i18n import document_language, speaking
from portal.models import (
    Client,
    Currency,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    MailKind,
    MailStatus,
    OutboxMessage,
)
from portal.models.types import utcnow
from portal.services.billing.documents import invoice_language
from portal.services.mail.compose import new_message_id, one_line
from portal.services.mail.outbox import message_values, portal_url, queue_mail, queue_mails
from portal.services.settings import business_today, get_settings


def _currencies() -> dict[int, Currency]:
    """Every currency by id (a handful of rows), for formatting amounts."""
    return {currency.id: currency for currency in db.session.scalars(db.select(Currency))}


def _invoice_row(invoice: Invoice) -> dict:
    """An invoice object as the row shape the close writes (plan_invoices' dicts)."""
    keys = ("id", "number", "kind", "client_id", "currency_id", "total", "issue_date")
    return {key: getattr(invoice, key) for key in keys} | {
        "due_date": invoice.due_date,
        "buyer": invoice.buyer or {},
        "seller": invoice.seller or {},
        "credited_number": invoice.credited_invoice.number if invoice.credited_invoice else "",
    }


def tell_invoices_issued(invoices: Iterable[dict]) -> int:
    """One `invoice_issued` (or `credit_note_issued`) message per new invoice, all in one
    INSERT; held for an admin when "send invoices automatically" is off.

    `invoices` are rows as plan_invoices builds them (id, number, kind, total, due date,
    buyer and seller snapshots): the recipients are the buyer's billing emails as issued,
    and the message speaks the buyer's language as issued. The close writes thousands:
    they are written a language at a time (one switch of locale per language, not per
    message) from stencils (see _Stencil), and keep their order.
    """
    invoices = list(invoices)
    if not invoices:
        return 0
    held = not get_settings()["send_invoices_automatically"]
    currencies = _currencies()
    by_language: dict[str, list[int]] = {}
    for position, invoice in enumerate(invoices):
        language = document_language((invoice.get("buyer") or {}).get("language"))
        by_language.setdefault(language, []).append(position)
    rows: list[dict | None] = [None] * len(invoices)
    now = utcnow()  # one time for the batch, as one INSERT's default would be
    for language, positions in by_language.items():
        with speaking(language):
            stencils: dict[tuple, _Stencil] = {}
            totals: dict[tuple, str] = {}
            for position in positions:
                invoice = invoices[position]
                key = (invoice["total"], invoice["currency_id"])
                if key not in totals:
                    totals[key] = format_money(invoice["total"], currencies[invoice["currency_id"]])
                rows[position] = _issued_row(invoice, held, totals[key], stencils, now)
    return queue_mails(rows)


def _seller_name(invoice: dict) -> str:
    """The seller as the message names it."""
    return (invoice.get("seller") or {}).get("legal_name") or "Support Hours Portal"


def _issued_subject(invoice: dict, number: str) -> str:
    """The subject of an issued invoice's or credit note's message (before one_line)."""
    seller = _seller_name(invoice)
    if invoice["kind"] == InvoiceKind.CREDIT_NOTE.value:
        return _("Credit note %(number)s from %(seller)s", number=number, seller=seller)
    return _("Invoice %(number)s from %(seller)s", number=number, seller=seller)


def _issued_values(invoice: dict, held: bool, money: str, **stand_ins) -> dict | None:
    """The message of one issued invoice or credit note, in the language being spoken,
    rendered from its templates; `stand_ins` replace the values a stencil fills in."""
    note = invoice["kind"] == InvoiceKind.CREDIT_NOTE.value
    buyer = invoice.get("buyer") or {}
    number = stand_ins.get("number", invoice["number"])
    url = portal_url("client.invoice", invoice_id=invoice["id"])
    return message_values(
        MailKind.CREDIT_NOTE_ISSUED if note else MailKind.INVOICE_ISSUED,
        f"invoice:{invoice['id']}:issued",
        # As the document shows the buyer: the billing emails, else the account's.
        list(buyer.get("emails") or [buyer.get("email", "")]),
        stand_ins.get("subject", _issued_subject(invoice, number)),
        "invoice_issued",
        held=held,
        client_id=invoice["client_id"],
        invoice_id=invoice["id"],
        credit_note=note,
        recipient_name=stand_ins.get("recipient_name", buyer.get("name", "")),
        seller_name=_seller_name(invoice),
        number=number,
        total=stand_ins.get("total", money),
        issue_date=invoice["issue_date"],
        due_date=invoice["due_date"],
        credited_number=invoice.get("credited_number", ""),
        invoice_url=stand_ins.get("invoice_url", url),
    )


# Private-use characters around a name: text no template, translation or value carries.
_STAND_INS = {
    name: f"\ue000{name}\ue001"
    for name in ("subject", "recipient_name", "number", "total", "invoice_url")
}
_STAND_IN = re.compile("\ue000(subject|recipient_name|number|total|invoice_url)\ue001")


class _Stencil:
    """An issued invoice's message rendered once with stand-ins for what differs between
    invoices (subject, recipient's name, number, total, link), filled in per invoice: the
    templates cost 0.4 ms a message, filling 10 µs. Made per language and everything else
    the templates read (kind, seller, dates...). The first invoice of a stencil is also
    rendered in full and must come out the same, else every invoice of the stencil is
    rendered in full: a template that treats a value other than by printing it (escaped in
    HTML) cannot make the mail differ from a rendered one."""

    def __init__(self, invoice: dict, held: bool, total: str):
        self.row = _issued_values(invoice, held, total, **_STAND_INS)
        # Each text cut once at its stand-ins: literal, name, literal, name... (split keeps
        # the names), so filling one joins pieces instead of matching it again.
        self.subject = _STAND_IN.split(_issued_subject(invoice, _STAND_INS["number"]))
        self.bodies = {
            field: _STAND_IN.split(self.row[field]) if self.row else []
            for field in ("body_text", "body_html")
        }
        # The link of invoice 987654321 around its id (building each costs a URL map bind).
        self.url = portal_url("client.invoice", invoice_id=987654321).split("987654321")
        self.valid = self.row is not None
        if self.valid:
            rendered = _issued_values(invoice, held, total)
            self.valid = self.fill(invoice, total, rendered["recipients"]) == rendered | {
                "message_id": None,
                "created_at": None,
                "next_attempt_at": None,
            }

    def fill(self, invoice: dict, total: str, recipients: list[str], **extra) -> dict:
        """The message of one invoice; `extra`: its Message-ID and times."""
        buyer = invoice.get("buyer") or {}
        values = {
            "recipient_name": buyer.get("name", ""),
            "number": invoice["number"],
            "total": total,
            "invoice_url": (
                f"{self.url[0]}{invoice['id']}{self.url[1]}"
                if len(self.url) == 2
                else portal_url("client.invoice", invoice_id=invoice["id"])
            ),
        }
        values["subject"] = one_line(_filled(self.subject, values))
        escaped = {name: str(escape(value)) for name, value in values.items()}
        return self.row | {
            "event_key": f"invoice:{invoice['id']}:issued",
            "recipients": recipients,
            "subject": values["subject"],
            "body_text": _filled(self.bodies["body_text"], values),
            "body_html": _filled(self.bodies["body_html"], escaped),
            "client_id": invoice["client_id"],
            "invoice_id": invoice["id"],
            "message_id": None,
            "created_at": None,
            "next_attempt_at": None,
            **extra,
        }


def _filled(pieces: list[str], values: dict[str, str]) -> str:
    """A text cut by _STAND_IN.split with its stand-ins' values put in (what
    `_STAND_IN.sub` with the values would give)."""
    out = pieces.copy()
    out[1::2] = [values[name] for name in pieces[1::2]]
    return "".join(out)


def _issued_row(invoice: dict, held: bool, total: str, stencils: dict, now) -> dict | None:
    """The outbox row of one issued invoice, from its stencil when it has a good one."""
    buyer = invoice.get("buyer") or {}
    recipients = sorted(
        {address for address in buyer.get("emails") or [buyer.get("email", "")] if address}
    )
    if not recipients:
        return None
    texts = (buyer.get("name", ""), invoice["number"], total)
    if not all(isinstance(text, str) for text in texts):
        return _issued_values(invoice, held, total)
    key = (
        invoice["kind"],
        _seller_name(invoice),
        invoice["issue_date"],
        invoice["due_date"],
        invoice.get("credited_number", ""),
        held,
    )
    stencil = stencils.get(key)
    if stencil is None:
        stencil = stencils[key] = _Stencil(invoice, held, total)
    if not stencil.valid:
        return _issued_values(invoice, held, total)
    return stencil.fill(
        invoice, total, recipients, message_id=new_message_id(), created_at=now, next_attempt_at=now
    )


def tell_invoice_issued(invoice: Invoice) -> int:
    """The issued message of one invoice or credit note made as an object."""
    return tell_invoices_issued([_invoice_row(invoice)])


def withdraw_held_issue(invoice: Invoice) -> bool:
    """An invoice cancelled while its mail was still held for review: that mail is deleted
    (the client never sees the invoice) and True is returned, so the cancellation writes no
    credit-note mail either. False when the invoice's mail has gone or was never held."""
    result = db.session.execute(
        db.delete(OutboxMessage).where(
            OutboxMessage.event_key == f"invoice:{invoice.id}:issued",
            OutboxMessage.status == MailStatus.HELD,
        )
    )
    return bool(result.rowcount)


def tell_payment_received(invoice: Invoice) -> bool:
    """`payment_received` when an invoice has become Paid (setting, default on)."""
    if invoice.status != InvoiceStatus.PAID or not get_settings()["payment_received_mail"]:
        return False
    with speaking(invoice_language(invoice)):
        return queue_mail(
            MailKind.PAYMENT_RECEIVED,
            f"invoice:{invoice.id}:paid",
            invoice.client.invoice_emails,
            _("Payment received for invoice %(number)s, thank you", number=invoice.number),
            "payment_received",
            client_id=invoice.client_id,
            invoice_id=invoice.id,
            recipient_name=invoice.client.billing_name,
            number=invoice.number,
            total=format_money(invoice.total, invoice.currency),
            paid_date=invoice.paid_date,
            invoice_url=portal_url("client.invoice", invoice_id=invoice.id),
        )


# ---- reminders: the daily job --------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """One reminder stage: the invoices whose due date lies in [first_due, last_due] are in
    it today, and it is the latest stage due for each of them."""

    suffix: str  # of the event key: "reminder", "overdue:7"
    kind: str
    first_due: date
    last_due: date


def reminder_stages(today: date, settings: dict) -> list[Stage]:
    """Today's stages, as windows of due dates that do not overlap.

    The reminder is for an invoice due within `reminder_days_before_due` days (today
    included); an overdue stage of k days is for one due k days ago or more, but not yet
    as long ago as the next stage. So a job that missed days sends each invoice only the
    latest stage it has reached, never the ones it skipped past.
    """
    stages = []
    before = int(settings["reminder_days_before_due"])
    if before > 0:
        stages.append(
            Stage("reminder", MailKind.PAYMENT_REMINDER, today, today + timedelta(days=before))
        )
    days = sorted(set(settings["overdue_reminder_days"]))
    for position, k in enumerate(days):
        later = days[position + 1] if position + 1 < len(days) else None
        # Due at least k days ago, and less than the next stage's days ago.
        first_due = today - timedelta(days=later - 1) if later else date.min
        stages.append(
            Stage(f"overdue:{k}", MailKind.INVOICE_OVERDUE, first_due, today - timedelta(days=k))
        )
    return stages


def _key_of(suffix: str):
    """The SQL expression of an invoice's event key `invoice:<id>:<suffix>`."""
    return literal("invoice:") + cast(Invoice.id, String) + literal(f":{suffix}")


def queue_reminders(today: date | None = None) -> dict[str, int]:
    """Write the reminders and overdue notices due today: one query per stage (at most
    four), one INSERT for all. Never for a paid, cancelled or credit note, nor while the
    invoice's own mail is held (the client has not been sent it yet)."""
    today = today or business_today()
    settings = get_settings()
    currencies = _currencies()
    held_issue = exists().where(
        OutboxMessage.event_key == _key_of("issued"), OutboxMessage.status == MailStatus.HELD
    )
    rows, written = [], {}
    for stage in reminder_stages(today, settings):
        query = (
            db.select(Invoice, Client)
            .join(Client, Client.id == Invoice.client_id)
            .where(
                Invoice.kind == InvoiceKind.INVOICE.value,
                Invoice.status == InvoiceStatus.UNPAID.value,
                and_(Invoice.due_date >= stage.first_due, Invoice.due_date <= stage.last_due),
                ~exists().where(OutboxMessage.event_key == _key_of(stage.suffix)),
                ~held_issue,
            )
            .order_by(Invoice.id)
        )
        found = db.session.execute(query).all()
        written[stage.suffix] = len(found)
        rows.extend((stage, invoice, client) for invoice, client in found)
    # In the invoice's language (its client's when issued, as its PDF), a language at a
    # time (one switch of locale per language).
    by_language: dict[str, list[int]] = {}
    for position, (_stage, invoice, _client) in enumerate(rows):
        by_language.setdefault(invoice_language(invoice), []).append(position)
    values: list[dict | None] = [None] * len(rows)
    for language, positions in by_language.items():
        with speaking(language):
            for position in positions:
                stage, invoice, client = rows[position]
                values[position] = _reminder_values(stage, invoice, client, currencies, today)
    queue_mails(values)
    return written


def _reminder_values(stage: Stage, invoice: Invoice, client: Client, currencies, today) -> dict:
    """The message of one reminder or overdue notice."""
    overdue = stage.kind == MailKind.INVOICE_OVERDUE
    balance = format_money(invoice.total - invoice.paid_total, currencies[invoice.currency_id])
    if overdue:
        subject = _(
            "Invoice %(number)s is overdue (%(balance)s open)",
            number=invoice.number,
            balance=balance,
        )
    else:
        subject = _(
            "Reminder: invoice %(number)s is due on %(due_date)s",
            number=invoice.number,
            due_date=format_day(invoice.due_date),
        )
    return message_values(
        stage.kind,
        f"invoice:{invoice.id}:{stage.suffix}",
        client.invoice_emails,
        subject,
        "invoice_overdue" if overdue else "payment_reminder",
        client_id=client.id,
        invoice_id=invoice.id,
        recipient_name=client.billing_name,
        number=invoice.number,
        balance=balance,
        due_date=invoice.due_date,
        days=abs((invoice.due_date - today).days),
        invoice_url=portal_url("client.invoice", invoice_id=invoice.id),
    )
