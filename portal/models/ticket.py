"""Tickets and their message thread."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.client import Client
from portal.models.types import Choices, UTCDateTime, utcnow
from portal.models.user import User


class TicketStatus(Choices):
    """The life of a ticket, as operators and clients see it."""

    OPEN = "Open"
    ANSWERED = "Answered"
    CUSTOMER_REPLY = "Customer-Reply"
    ON_HOLD = "On Hold"
    CLOSED = "Closed"


class Priority(Choices):
    """How urgent a ticket is."""

    LOW = "Low"
    MEDIUM = "Medium"
    HIGH = "High"
    URGENT = "Urgent"


DEPARTMENTS = ("Support", "Hosting", "Network", "Billing")


class Ticket(db.Model):
    """A client's request for support; time is logged against it when tracking is on."""

    __tablename__ = "ticket"
    __table_args__ = (
        CheckConstraint("length(number) = 6", name="number_six_digits"),
        CheckConstraint(f"status IN ({TicketStatus.sql_list()})", name="status_valid"),
        CheckConstraint(f"priority IN ({Priority.sql_list()})", name="priority_valid"),
        Index("ix_ticket_client_updated", "client_id", "updated_at"),
        Index("ix_ticket_status_updated", "status", "updated_at"),
        Index("ix_ticket_assignee_updated", "assignee_id", "updated_at"),
        # The queue's default order (last update first) read from the index, not sorted.
        Index("ix_ticket_updated", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(6), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    subject: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(16), default=Priority.MEDIUM.value)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.OPEN.value)
    time_tracking: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    # The operator or admin who owns the ticket; None = unassigned.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    client: Mapped[Client] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    messages: Mapped[list["TicketMessage"]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )

    @property
    def display_number(self) -> str:
        """The number as clients know it: #708131."""
        return f"#{self.number}"


class TicketMessage(db.Model):
    """One message in a ticket's thread, from the client or from staff."""

    __tablename__ = "ticket_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    from_staff: Mapped[bool] = mapped_column(default=False)
    # A staff-only note: never shown, exported or mailed to the client.
    internal: Mapped[bool] = mapped_column(default=False, server_default=false())
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="message", order_by="Attachment.id", cascade="all, delete-orphan"
    )


class Attachment(db.Model):
    """A file sent with a message, stored in the database so every process and backup has it."""

    __tablename__ = "attachment"
    __table_args__ = (
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("length(filename) > 0", name="filename_present"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("ticket_message.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column()
    # Deferred: lists of attachments never load the files themselves.
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")
