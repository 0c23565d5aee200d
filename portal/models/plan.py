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


class Plan(db.Model):
    """A support plan admins define and assign to clients."""

    __tablename__ = "plan"
    __table_args__ = (
        CheckConstraint("model IN ('package', 'hourly')", name="model_valid"),
        CheckConstraint(
            "included_minutes >= 0 AND included_minutes % 15 = 0", name="included_quarters"
        ),
        CheckConstraint("model = 'package' OR included_minutes = 0", name="hourly_includes_none"),
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
    """A plan's monthly fee and hourly/overtime rate in one currency."""

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
