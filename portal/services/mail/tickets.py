"""The ticket messages of SPEC "Mail": staff replies to the client's users, client messages
to the ticket's assignee (or, unassigned, to the operators who asked for new-ticket mail).
Internal notes never produce mail. One message per recipient, so each person's choices
and language apply to their own copy."""

from flask_babel import gettext as _

from portal.extensions import db
from portal.i18n import person_language, speaking
from portal.models import MailKind, Role, Ticket, TicketMessage, User
from portal.services.mail.outbox import portal_url, queue_mail


def tell_staff_reply(ticket: Ticket, message: TicketMessage) -> int:
    """A staff reply (not a note): each active user of the client who wants replies."""
    if message.internal or not message.from_staff:
        return 0
    users = db.session.scalars(
        db.select(User).where(
            User.client_id == ticket.client_id,
            User.active.is_(True),
            User.notify_replies.is_(True),
        )
    )
    return _queue_each(
        users,
        MailKind.TICKET_REPLY,
        ticket,
        message,
        subject=lambda: f"[#{ticket.number}] {ticket.subject}",
        template="ticket_reply",
        endpoint="client.ticket",
    )


def tell_client_message(ticket: Ticket, message: TicketMessage, new: bool) -> int:
    """A client opened or answered a ticket: its assignee if it has one (when they want
    replies), else the active staff who asked for new-ticket mail."""
    if message.from_staff:
        return 0
    if ticket.assignee_id is not None:
        wanted = [User.id == ticket.assignee_id, User.notify_replies.is_(True)]
    else:
        wanted = [User.role.in_((Role.ADMIN, Role.OPERATOR)), User.notify_new_tickets.is_(True)]
    users = db.session.scalars(db.select(User).where(User.active.is_(True), *wanted))
    kind = MailKind.TICKET_NEW if new else MailKind.TICKET_CLIENT_REPLY
    names = {"number": ticket.number, "subject": ticket.subject, "client": ticket.client.name}

    def subject() -> str:
        if new:
            return _("New ticket [#%(number)s] %(subject)s (%(client)s)", **names)
        return _("Client reply [#%(number)s] %(subject)s (%(client)s)", **names)

    return _queue_each(
        users,
        kind,
        ticket,
        message,
        subject=subject,
        template="ticket_client_message",
        endpoint="admin.ticket",
        to_staff=True,
        new=new,
        client_name=ticket.client.name,
    )


def _queue_each(users, kind, ticket, message, subject, template, endpoint, **context) -> int:
    """One message per user for one ticket message, each in its reader's language (`subject`
    is called in it); returns how many were written."""
    written = 0
    ticket_url = portal_url(endpoint, ticket_id=ticket.id)
    account_url = portal_url("auth.change_password")
    author = message.author.name if message.author is not None else None
    for user in users:
        with speaking(person_language(user)):
            written += queue_mail(
                kind,
                f"{kind}:{message.id}:{user.id}",
                [user.email],
                subject(),
                template,
                client_id=ticket.client_id,
                user_id=user.id,
                ticket_id=ticket.id,
                recipient_name=user.name,
                author_name=author if author is not None else _("Support"),
                ticket=ticket,
                body=message.body,
                attachment_names=[attachment.filename for attachment in message.attachments],
                ticket_url=ticket_url,
                account_url=account_url,
                assigned=ticket.assignee_id == user.id,
                **context,
            )
    return written
