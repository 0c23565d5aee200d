"""Time entries: quarter hours an operator spent on a ticket."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.subscription import Subscription
from portal.models.ticket import Ticket
from portal.models.types import UTCDateTime, utcnow
from portal.models.user import User


class TimeEntry(db.Model):
    """Minutes worked on a ticket on a work date, billable or not."""

    __tablename__ = "time_entry"
    __table_args__ = (
        CheckConstraint("minutes % 15 = 0", name="minutes_quarter_hours"),
        CheckConstraint("minutes >= 15 AND minutes <= 1440", name="minutes_range"),
        # A billable entry is always charged through a subscription.
        CheckConstraint(
            "billable = false OR subscription_id IS NOT NULL", name="billable_has_subscription"
        ),
        # Covering indexes: the usage sums (per subscription and day) and the per-ticket
        # hours are answered from the index alone, without visiting the table's rows.
        Index(
            "ix_time_entry_subscription_totals",
            "subscription_id",
            "work_date",
            "billable",
            "ticket_id",
            "minutes",
        ),
        Index("ix_time_entry_ticket_totals", "ticket_id", "work_date", "billable", "minutes"),
        # The month's sums over every client (the close, the hours report) read this one.
        Index(
            "ix_time_entry_period_totals",
            "work_date",
            "billable",
            "ticket_id",
            "subscription_id",
            "operator_id",
            "minutes",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="RESTRICT"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscription.id", ondelete="RESTRICT")
    )
    operator_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    minutes: Mapped[int]
    work_date: Mapped[date]
    billable: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    subscription: Mapped[Subscription | None] = relationship()
    operator: Mapped[User] = relationship()
