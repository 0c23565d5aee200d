"""The email log over the API: admins every message, a client token the client mail sent to
its account; retry a failed message and release held mail (admin)."""

from portal.api import bp
from portal.api.common import found, paged, roles, user
from portal.api.schemas import EmailDetailOut, EmailOut, EmailQuery, ReleasedOut, page_of
from portal.models import OutboxMessage
from portal.services.mail.log import (
    EmailFilters,
    body_text,
    email_for,
    email_query,
    release_held,
    retry_email,
)


def email_json(message: OutboxMessage, body: bool = False) -> dict:
    """API.md's shape of an email; with `body`, its plain text too."""
    data = {
        "id": message.id,
        "kind": message.kind,
        "to": list(message.recipients),
        "subject": message.subject,
        "status": message.status,
        "attempts": message.attempts,
        "last_error": message.last_error,
        "created_at": message.created_at.isoformat(),
        "sent_at": message.sent_at.isoformat() if message.sent_at else None,
        "message_id": message.message_id,
        "invoice_id": message.invoice_id,
        "ticket_id": message.ticket_id,
    }
    if body:
        data["body_text"] = body_text(message)
    return data


@bp.get("/emails")
@roles("admin", "client")
@bp.arguments(EmailQuery, location="query")
@bp.response(200, page_of(EmailOut))
def emails_list(args: dict):
    """Emails newest first (admin: all; client: its own sent mail), by client, kind, status."""
    filters = EmailFilters(
        client_id=args.get("client_id"), kind=args.get("kind"), status=args.get("status")
    )
    query = email_query(filters, user())
    return paged(query, lambda rows: [email_json(m) for m in rows], args)


@bp.get("/emails/<int:email_id>")
@roles("admin", "client")
@bp.response(200, EmailDetailOut)
def emails_get(email_id: int):
    """One email with its plain-text body (a client: its own only)."""
    return email_json(email_for(user(), email_id), body=True)


@bp.post("/emails/<int:email_id>/retry")
@roles("admin")
@found(email_for)
@bp.response(200, EmailOut)
def emails_retry(email_id: int):
    """Queue a failed email again; 409 invalid_transition for any other status."""
    return email_json(retry_email(email_for(user(), email_id), user()))


@bp.post("/emails/release-held")
@roles("admin")
@bp.response(200, ReleasedOut)
def emails_release_held():
    """Queue every held email now; answers how many."""
    return {"released": release_held(user())}
