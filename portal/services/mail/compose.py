"""Messages as the standard library's `email` package builds them: headers checked by its
policy (no header injection), a plain-text part and an HTML alternative."""

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import current_app

from portal.models import OutboxMessage

# CR, LF and the other line breaks a header may not carry; runs of them become one space.
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
SUBJECT_MAX = 255


def one_line(text: str, limit: int = SUBJECT_MAX) -> str:
    """Text fit for a header: line breaks (an injection's tool) folded into spaces."""
    return _LINE_BREAKS.sub(" ", text).strip()[:limit]


def new_message_id() -> str:
    """A Message-ID for a message being written, on the portal's own domain."""
    host = urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname or "localhost"
    return make_msgid(domain=host)


def sender_address() -> str:
    """MAIL_FROM, checked: a display name and one address."""
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    if "@" not in address:
        raise ValueError(f"MAIL_FROM is not an address: {current_app.config['MAIL_FROM']!r}")
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
    return message
