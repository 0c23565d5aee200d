"""Writing mail: one outbox row per event, in the transaction of the change it tells.

The caller's transaction decides: if the change rolls back, so does its message; if it
commits, the message is there for a sender to deliver. The event key is unique in the
database, so an event raised twice (two requests, eight threads, a re-run job) writes one
message; the second writer's insert does nothing.
"""

from flask import current_app
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal.extensions import db
from portal.models import MailStatus, OutboxMessage
from portal.models.types import utcnow
from portal.services.bulk import bulk_insert
from portal.services.mail.compose import new_message_id, one_line, sender_address


def portal_url(endpoint: str, **values) -> str:
    """An absolute link into the portal for mail, from PORTAL_BASE_URL (no request needed)."""
    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("portal", url_scheme="http")
    return base + adapter.build(endpoint, values)


def render_mail(name: str, context: dict) -> str:
    """A mail template rendered with what it is given only: no page context (no request, no
    logged-in user), so a message reads the same from a page, the API or a job."""
    return current_app.jinja_env.get_template(name).render(**context)


def message_values(
    kind: str,
    event_key: str,
    recipients: list[str],
    subject: str,
    template: str,
    *,
    held: bool = False,
    client_id: int | None = None,
    user_id: int | None = None,
    ticket_id: int | None = None,
    invoice_id: int | None = None,
    to_staff: bool = False,
    **context,
) -> dict | None:
    """The outbox row of one message (`mail/<template>.txt` and `.html` rendered now, as it
    will be sent), or None when there is nobody to send it to."""
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return None
    subject = one_line(subject)
    context.update(subject=subject)
    now = utcnow()
    return {
        "event_key": event_key,
        "kind": kind,
        "status": MailStatus.HELD if held else MailStatus.QUEUED,
        "message_id": new_message_id(),
        "sender": sender_address(),
        "recipients": recipients,
        "subject": subject,
        "body_text": render_mail(f"mail/{template}.txt", context),
        "body_html": render_mail(f"mail/{template}.html", context),
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "client_id": client_id,
        "user_id": user_id,
        "ticket_id": ticket_id,
        "invoice_id": invoice_id,
        "to_staff": to_staff,
    }


def _insert():
    """INSERT ... ON CONFLICT (event_key) DO NOTHING, in the database's dialect."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    return insert(OutboxMessage).on_conflict_do_nothing(index_elements=["event_key"])


def queue_mail(
    kind: str, event_key: str, recipients: list[str], subject: str, template: str, **kw
) -> bool:
    """Write one message for an event (see `message_values`); False when the event already
    has its message or nobody to send it to."""
    values = message_values(kind, event_key, recipients, subject, template, **kw)
    if values is None:
        return False
    statement = _insert().values(**values).returning(OutboxMessage.id)
    return db.session.execute(statement).scalar() is not None


def queue_mails(rows: list[dict | None]) -> int:
    """Write many messages (rows of `message_values`) in one statement, whatever their
    number: a set-based job (the close, the reminders) adds one INSERT, not one per row.
    Events that have their message already are skipped; returns the rows offered."""
    rows = [row for row in rows if row is not None]
    if rows:
        db.session.flush()  # what the rows refer to goes first, as an ORM statement's would
        bulk_insert(OutboxMessage, rows, skip_existing=("event_key",))
    return len(rows)
