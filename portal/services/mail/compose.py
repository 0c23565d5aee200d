"""Messages as the standard library's `email` package builds them: headers checked by its
policy (no header injection), a plain-text part and an HTML alternative."""

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import Invoice, MailKind, OutboxMessage
from portal.services.billing.documents import document_filename, invoice_pdf

# Messages that carry their invoice's PDF (with its Factur-X XML embedded).
WITH_PDF = frozenset({MailKind.INVOICE_ISSUED.value, MailKind.CREDIT_NOTE_ISSUED.value})

# CR, LF and the other line breaks a header may not carry; runs of them become one space.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
SUBJECT_MAX = 255
# What an invoice's document reads, loaded with the invoice: three statements, not five, for
# each of the thousands of PDFs a close's mail carries.
DOCUMENT = (
    joinedload(Invoice.currency),
    joinedload(Invoice.period),
    selectinload(Invoice.lines),
    selectinload(Invoice.taxes),
)


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """Text fit for a header: line breaks (an injection's tool) folded into spaces."""
    return _LINE_BREAKS.sub(" ", text).strip()[:limit]


def new_message_id() -> str:
    """A Message-ID for a message being written, on the sender's mail domain (the host of
    PORTAL_BASE_URL when MAIL_FROM has none)."""
    return make_msgid(
        domain=_message_id_host(
            current_app.config["MAIL_FROM"], current_app.config["PORTAL_BASE_URL"]
        )
    )


@lru_cache(maxsize=8)
def _message_id_host(mail_from: str, base_url: str) -> str:
    """The domain of the Message-IDs, worked out once (a close writes 10,000 of them)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2]
    return domain or urlsplit(base_url).hostname or "localhost"


def sender_address() -> str:
    """MAIL_FROM, checked: a display name and one address."""
    return _checked_sender(current_app.config["MAIL_FROM"])


@lru_cache(maxsize=8)
def _checked_sender(mail_from: str) -> str:
    """One MAIL_FROM parsed once: the close writes a message per invoice, and parsing the
    same address 10,000 times cost a quarter of writing them."""
    name, address = parseaddr(mail_from)
    if "@" not in address:
        raise ValueError(f"MAIL_FROM is not an address: {mail_from!r}")
    return str(Address(one_line(name), addr_spec=address))


def build(row: OutboxMessage) -> EmailMessage:
    """The MIME message for an outbox row, exactly as written (same Message-ID every time)."""
    message = EmailMessage()
    message["From"] = row.sender
    message["To"] = ", ".join(row.recipients)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-Portal-Kind"] = row.kind
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    if row.kind in WITH_PDF and row.invoice_id is not None:
        attach_invoice_pdf(message, db.session.get(Invoice, row.invoice_id, options=DOCUMENT))
    return message


def attach_invoice_pdf(message: EmailMessage, invoice: Invoice | None) -> None:
    """The invoice's PDF, made here rather than when the mail was written: the close writes
    thousands of messages in one statement and renders no PDF; the document never changes
    (it shows the invoice as issued), so the PDF is the same whenever it is made."""
    if invoice is None:  # deleted since (the row keeps the text; nothing to attach)
        return
    message.add_attachment(
        invoice_pdf(invoice),
        maintype="application",
        subtype="pdf",
        filename=document_filename(invoice, "pdf"),
    )
