"""Hours a subscription has beyond a month's own: carried-over package hours and prepaid blocks."""

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.billing import BillableItem, BillingPeriod
from portal.models.subscription import Subscription
from portal.models.types import Choices, UTCDateTime, utcnow


class PoolKind(Choices):
    """Where a pool of hours came from."""

    CARRY = "carry"  # included hours a close left unused
    BLOCK = "block"  # a prepaid block bought (and invoiced) on its date


class HourPool(db.Model):
    """Minutes a subscription may use in the months its validity touches, soonest expiry first.

    A carry-over is written by the close of the month it comes from (period_id); a block by
    its purchase, with the billable item that invoiced it. What is left is `minutes` less
    the uses closes recorded.
    """

    __tablename__ = "hour_pool"
    __table_args__ = (
        CheckConstraint("kind IN ('carry', 'block')", name="kind_valid"),
        CheckConstraint("minutes > 0 AND minutes % 15 = 0", name="minutes_quarter_hours"),
        CheckConstraint("valid_until >= valid_from", name="dates_ordered"),
        CheckConstraint(
            "(kind = 'carry') = (period_id IS NOT NULL AND item_id IS NULL)",
            name="source_matches_kind",
        ),
        # One carry-over per subscription and closed month, whatever runs concurrently.
        UniqueConstraint("subscription_id", "period_id"),
        Index("ix_hour_pool_subscription_validity", "subscription_id", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(8))
    minutes: Mapped[int]
    valid_from: Mapped[date]
    valid_until: Mapped[date]
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_period.id", ondelete="RESTRICT")
    )
    item_id: Mapped[int | None] = mapped_column(
        ForeignKey("billable_item.id", ondelete="RESTRICT"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )

    subscription: Mapped[Subscription] = relationship()
    item: Mapped[BillableItem | None] = relationship()
    period: Mapped[BillingPeriod | None] = relationship()


class PoolUse(db.Model):
    """Minutes of a pool a closed month used (written by that month's close)."""

    __tablename__ = "hour_pool_use"
    __table_args__ = (
        UniqueConstraint("pool_id", "period_id"),
        CheckConstraint("minutes > 0 AND minutes % 15 = 0", name="minutes_quarter_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("hour_pool.id", ondelete="RESTRICT"))
    period_id: Mapped[int] = mapped_column(
        ForeignKey("billing_period.id", ondelete="RESTRICT"), index=True
    )
    minutes: Mapped[int]
