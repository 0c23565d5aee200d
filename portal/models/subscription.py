"""Subscriptions: a client's support service, with the plan's price frozen at creation."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.client import Client
from portal.models.currency import Currency
from portal.models.plan import Plan, SellingTerms, selling_checks
from portal.models.types import Money, UTCDateTime, utcnow


class Subscription(SellingTerms, db.Model):
    """A plan assigned to a client from start_date to an optional end_date (inclusive)."""

    __tablename__ = "subscription"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_ordered"),
        CheckConstraint(
            "included_minutes >= 0 AND included_minutes % 15 = 0", name="included_quarters"
        ),
        CheckConstraint("fee >= 0 AND rate >= 0", name="prices_not_negative"),
        *selling_checks(),
        # At most one open-ended subscription per client, whatever the application does.
        Index(
            "uq_subscription_open_per_client",
            "client_id",
            unique=True,
            sqlite_where=text("end_date IS NULL"),
            postgresql_where=text("end_date IS NULL"),
        ),
        Index("ix_subscription_client_dates", "client_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="RESTRICT"), index=True)
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id", ondelete="RESTRICT"))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    # Snapshot of the plan for the client's currency when the subscription was created.
    model: Mapped[str] = mapped_column(String(16))
    fee: Mapped[Decimal] = mapped_column(Money())
    rate: Mapped[Decimal] = mapped_column(Money())
    included_minutes: Mapped[int]
    prorate: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    client: Mapped[Client] = relationship()
    plan: Mapped[Plan] = relationship()
    currency: Mapped[Currency] = relationship()

    @property
    def has_pools(self) -> bool:
        """True when hours carry from month to month: rollover, or prepaid blocks."""
        return self.model == "block" or self.rollover_months > 0

    def is_active_on(self, day: date) -> bool:
        """True when the subscription covers the given day."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)
