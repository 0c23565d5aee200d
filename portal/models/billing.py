"""The monthly close: billing periods, billable items, invoices and their lines."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.client import Client
from portal.models.currency import Currency
from portal.models.types import Choices, Money, UTCDateTime, utcnow


class ItemKind(Choices):
    """What a billable item charges for."""

    PACKAGE_FEE = "package_fee"
    OVERTIME = "overtime"
    HOURLY = "hourly"


class InvoiceStatus(Choices):
    """Where an invoice stands."""

    UNPAID = "Unpaid"
    PAID = "Paid"
    CANCELLED = "Cancelled"


class BillingPeriod(db.Model):
    """A calendar month; its row exists once the month has been closed (it is the lock)."""

    __tablename__ = "billing_period"
    __table_args__ = (CheckConstraint("length(period) = 7", name="period_format"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)  # "YYYY-MM"
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )


class BillableItem(db.Model):
    """One charge from a close: package fee, overtime or hourly work."""

    __tablename__ = "billable_item"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_id", "kind"),
        CheckConstraint("kind IN ('package_fee', 'overtime', 'hourly')", name="kind_valid"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("minutes >= 0 AND minutes % 15 = 0", name="minutes_quarter_hours"),
        Index("ix_billable_item_client_period", "client_id", "period_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id", ondelete="RESTRICT"))
    period_id: Mapped[int] = mapped_column(ForeignKey("billing_period.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=0)
    unit_rate: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship()
    period: Mapped[BillingPeriod] = relationship()
    currency: Mapped[Currency] = relationship()


class Invoice(db.Model):
    """A client's invoice for a period, numbered without gaps."""

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("status IN ('Unpaid', 'Paid', 'Cancelled')", name="status_valid"),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        CheckConstraint("status <> 'Paid' OR paid_date IS NOT NULL", name="paid_has_date"),
        Index("ix_invoice_client_period", "client_id", "period_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_period.id", ondelete="RESTRICT")
    )
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=InvoiceStatus.UNPAID.value)
    issue_date: Mapped[date]
    due_date: Mapped[date]
    paid_date: Mapped[date | None]
    total: Mapped[Decimal] = mapped_column(Money())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship()
    period: Mapped[BillingPeriod | None] = relationship()
    currency: Mapped[Currency] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class InvoiceLine(db.Model):
    """A line of an invoice, copied from a billable item."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    billable_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("billable_item.id", ondelete="SET NULL"), unique=True
    )
    position: Mapped[int]
    description: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=0)
    unit_rate: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class Counter(db.Model):
    """A named gapless counter (invoice numbers), incremented under a row lock."""

    __tablename__ = "counter"
    __table_args__ = (CheckConstraint("value >= 0", name="value_not_negative"),)

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


class UsageRecord(db.Model):
    """A subscription's hours in a closed period, as the close computed them.

    Kept so that usage history stays what was billed, even if the subscription is later
    re-priced or its plan changes.
    """

    __tablename__ = "subscription_usage"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_id"),
        CheckConstraint(
            "included_minutes >= 0 AND used_minutes >= 0 AND overtime_minutes >= 0",
            name="minutes_not_negative",
        ),
        Index("ix_subscription_usage_client_period", "client_id", "period_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id", ondelete="RESTRICT"))
    period_id: Mapped[int] = mapped_column(ForeignKey("billing_period.id", ondelete="RESTRICT"))
    included_minutes: Mapped[int]
    used_minutes: Mapped[int]
    overtime_minutes: Mapped[int]
