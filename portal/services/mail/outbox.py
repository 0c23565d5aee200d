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


def queue_mail(
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
    **context,
) -> bool:
    """Write one message for an event (`mail/<template>.txt` and `.html` rendered now, as it
    will be sent); False when the event already has its message or nobody to send it to."""
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return False
    subject = one_line(subject)
    context.update(subject=subject)
    now = utcnow()
    values = {
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
    }
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(OutboxMessage.id)
    )
    return db.session.execute(statement).scalar() is not None
