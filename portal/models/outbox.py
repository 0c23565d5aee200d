"""The outbox: every mail the portal sends, written in the transaction of the change it tells."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import Choices, UTCDateTime, utcnow


class MailStatus(Choices):
    """Where a message is: waiting to go (queued), waiting for an admin (held), delivered
    to the mail server (sent), given up on (failed, with its last error)."""

    QUEUED = "queued"
    HELD = "held"
    SENT = "sent"
    FAILED = "failed"


class MailKind(Choices):
    """The messages of SPEC.md "Mail"."""

    TICKET_REPLY = "ticket_reply"
    TICKET_NEW = "ticket_new"
    TICKET_CLIENT_REPLY = "ticket_client_reply"
    INVOICE_ISSUED = "invoice_issued"
    CREDIT_NOTE_ISSUED = "credit_note_issued"
    PAYMENT_REMINDER = "payment_reminder"
    INVOICE_OVERDUE = "invoice_overdue"
    PAYMENT_RECEIVED = "payment_received"
    USAGE_80 = "usage_80"
    USAGE_100 = "usage_100"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of mail, not a password)
    INVITATION = "invitation"


class OutboxMessage(db.Model):
    """One mail as it will be (and was) sent: recipients, subject, both bodies, and the
    Message-ID fixed when written, so a resend after a crash is the same message."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(f"status IN ({MailStatus.sql_list()})", name="status_valid"),
        CheckConstraint(f"kind IN ({MailKind.sql_list()})", name="kind_valid"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The sender's question: what is queued and due, oldest first.
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        Index("ix_outbox_message_client_created", "client_id", "created_at"),
        # The admin email log's order, newest first, read from the index's end.
        Index("ix_outbox_message_created", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One message per event at most: `ticket_reply:12:7`, `invoice:123:issued` ...
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), default=MailStatus.QUEUED)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    sender: Mapped[str] = mapped_column(String(320))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # When a sender may take it next: now when written, later after a failure or while a
    # sender holds it (a lease, so a sender that dies mid-batch only delays its messages).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the message is about, for the email logs and their filters.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id", ondelete="SET NULL"))
    # Written for staff about a client (new tickets, the admins' copy of a usage alert): in
    # the admin log under that client, never in the client's own email history.
    to_staff: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.event_key} {self.status}>"
