"""Support plans and their price per currency."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.currency import Currency
from portal.models.types import Choices, Money


class BillingModel(Choices):
    """How a plan bills: a monthly package of hours, or every hour."""

    PACKAGE = "package"
    HOURLY = "hourly"
    BLOCK = "block"


class WhenUsedUp(Choices):
    """What a block plan does with billable time once its blocks are used up."""

    OVERTIME = "overtime"
    REFUSE = "refuse"


def selling_checks() -> tuple[CheckConstraint, ...]:
    """Rules of the rollover and block columns, for the plan and its subscriptions' snapshot
    (a constraint belongs to one table, so each gets its own)."""
    return (
        CheckConstraint("model IN ('package', 'hourly', 'block')", name="model_valid"),
        CheckConstraint(
            "rollover_months BETWEEN 0 AND 12 AND (model = 'package' OR rollover_months = 0)",
            name="rollover_months_valid",
        ),
        CheckConstraint(
            "rollover_cap_minutes IS NULL OR (rollover_cap_minutes >= 0 "
            "AND rollover_cap_minutes % 15 = 0)",
            name="rollover_cap_quarters",
        ),
        CheckConstraint(
            "(model = 'block') = (block_minutes > 0 AND validity_months BETWEEN 1 AND 36)",
            name="block_terms_valid",
        ),
        CheckConstraint("block_minutes % 15 = 0", name="block_quarters"),
        CheckConstraint("when_used_up IN ('overtime', 'refuse')", name="when_used_up_valid"),
    )


class SellingTerms:
    """Rollover and block columns: a plan's, and the snapshot its subscriptions keep."""

    # Package plans: unused included minutes carry over for this many months (0: never),
    # and the unexpired carry-over going into a month never exceeds the cap (None: no cap).
    rollover_months: Mapped[int] = mapped_column(default=0, server_default="0")
    rollover_cap_minutes: Mapped[int | None]
    # Block plans: each purchase buys block_minutes, valid validity_months from its date.
    block_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    validity_months: Mapped[int] = mapped_column(default=0, server_default="0")
    when_used_up: Mapped[str] = mapped_column(
        String(16), default=WhenUsedUp.OVERTIME.value, server_default="overtime"
    )


class Plan(SellingTerms, db.Model):
    """A support plan admins define and assign to clients."""

    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint(
            "included_minutes >= 0 AND included_minutes % 15 = 0", name="included_quarters"
        ),
        CheckConstraint("model = 'package' OR included_minutes = 0", name="hourly_includes_none"),
        *selling_checks(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str] = mapped_column(String(16))
    included_minutes: Mapped[int] = mapped_column(default=0)
    prorate: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)

    prices: Mapped[list["PlanPrice"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="PlanPrice.id"
    )

    def price_for(self, currency_id: int) -> "PlanPrice | None":
        """The price row in the given currency, if any."""
        return next((p for p in self.prices if p.currency_id == currency_id), None)

    def __repr__(self) -> str:
        return f"<Plan {self.name}>"


class PlanPrice(db.Model):
    """A plan's monthly fee (a block plan: the block's price) and hourly/overtime rate in one
    currency."""

    __tablename__ = "plan_price"
    __table_args__ = (
        UniqueConstraint("plan_id", "currency_id"),
        CheckConstraint("fee >= 0", name="fee_not_negative"),
        CheckConstraint("rate >= 0", name="rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id", ondelete="RESTRICT"))
    fee: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    rate: Mapped[Decimal] = mapped_column(Money())

    plan: Mapped[Plan] = relationship(back_populates="prices")
    currency: Mapped[Currency] = relationship(lazy="joined")
