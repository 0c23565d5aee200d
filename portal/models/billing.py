"""The monthly close: billing periods, billable items, invoices and their lines."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.client import Client
from portal.models.currency import Currency
from portal.models.types import Choices, Money, Percent, UTCDateTime, utcnow


class ItemKind(Choices):
    """What a billable item charges for."""

    PACKAGE_FEE = "package_fee"
    OVERTIME = "overtime"
    HOURLY = "hourly"
    ONE_OFF = "one_off"
    BLOCK_FEE = "block_fee"


class InvoiceStatus(Choices):
    """Where an invoice stands; a credit note is Issued and stays so."""

    UNPAID = "Unpaid"
    PAID = "Paid"
    CANCELLED = "Cancelled"
    ISSUED = "Issued"


class InvoiceKind(Choices):
    """An invoice, or the credit note that cancels one (its own number series)."""

    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class PaymentMethod(Choices):
    """How a payment came in."""

    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CASH = "cash"
    OTHER = "other"


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
    """One charge: from a close (package fee, overtime, hourly work) or added by an admin.

    A one-off item has no subscription; it carries its date and gets its period when its
    month is closed (or an invoice at once).
    """

    __tablename__ = "billable_item"
    __table_args__ = (
        UniqueConstraint("subscription_id", "period_id", "kind"),
        CheckConstraint(
            "kind IN ('package_fee', 'overtime', 'hourly', 'one_off', 'block_fee')",
            name="kind_valid",
        ),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("minutes >= 0 AND minutes % 15 = 0", name="minutes_quarter_hours"),
        CheckConstraint(
            "kind IN ('one_off', 'block_fee') "
            "OR (subscription_id IS NOT NULL AND period_id IS NOT NULL)",
            name="close_item_has_subscription_and_period",
        ),
        CheckConstraint(
            "kind <> 'one_off' OR (subscription_id IS NULL AND work_date IS NOT NULL)",
            name="one_off_has_date",
        ),
        CheckConstraint(
            "kind <> 'block_fee' OR (subscription_id IS NOT NULL AND work_date IS NOT NULL "
            "AND period_id IS NULL)",
            name="block_fee_has_subscription_and_date",
        ),
        Index("ix_billable_item_client_period", "client_id", "period_id"),
        # The close picks up the one-off items of its month that no period holds yet.
        Index(
            "ix_billable_item_pending_one_off",
            "work_date",
            sqlite_where=text("period_id IS NULL"),
            postgresql_where=text("period_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"))
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscription.id", ondelete="RESTRICT")
    )
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("billing_period.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=0)
    # Hours for overtime and hourly items, 1 for a package fee, a count for a one-off.
    quantity: Mapped[Decimal] = mapped_column(Money(), default=Decimal(1))
    work_date: Mapped[date | None]  # a one-off item's date
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    unit_rate: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id", ondelete="RESTRICT"))
    invoice_id: Mapped[int | None] = mapped_column(
        ForeignKey("invoice.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship()
    period: Mapped[BillingPeriod | None] = relationship()
    currency: Mapped[Currency] = relationship()


class Invoice(db.Model):
    """A client's invoice (or credit note), numbered without gaps, as it was issued.

    The seller, buyer, tax treatment, rates and notes are a snapshot taken at issue:
    editing a profile or a rate later changes nothing here, on the PDF or in the XML.
    """

    __tablename__ = "invoice"
    __table_args__ = (
        CheckConstraint("status IN ('Unpaid', 'Paid', 'Cancelled', 'Issued')", name="status_valid"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_valid"),
        CheckConstraint(
            "(kind = 'credit_note') = (status = 'Issued')", name="credit_note_is_issued"
        ),
        CheckConstraint(
            "(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)",
            name="credit_note_refers_to_invoice",
        ),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        CheckConstraint("status <> 'Paid' OR paid_date IS NOT NULL", name="paid_has_date"),
        CheckConstraint("total = net_total + tax_total", name="total_adds_up"),
        CheckConstraint(
            "paid_total >= 0 AND (kind = 'credit_note' OR paid_total <= total)",
            name="paid_within_total",
        ),
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
    kind: Mapped[str] = mapped_column(String(16), default=InvoiceKind.INVOICE.value)
    net_total: Mapped[Decimal] = mapped_column(Money())
    tax_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money())
    paid_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    # The snapshot: {legal_name, address_lines, ..., iban} and {name, ..., po_reference}.
    seller: Mapped[dict] = mapped_column(JSON, default=dict)
    buyer: Mapped[dict] = mapped_column(JSON, default=dict)
    tax_treatment: Mapped[str] = mapped_column(String(16), default="standard")
    notes: Mapped[list] = mapped_column(JSON, default=list)
    # NO ACTION, not RESTRICT: SQLite checks RESTRICT row by row, so emptying the table in
    # one statement (a credit note and its invoice together) would be refused.
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    client: Mapped[Client] = relationship()
    period: Mapped[BillingPeriod | None] = relationship()
    currency: Mapped[Currency] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    taxes: Mapped[list["InvoiceTax"]] = relationship(
        back_populates="invoice", order_by="InvoiceTax.position", cascade="all, delete-orphan"
    )
    payments: Mapped[list["Payment"]] = relationship(
        back_populates="invoice", order_by=lambda: (Payment.date, Payment.id)
    )
    credited_invoice: Mapped["Invoice | None"] = relationship(
        remote_side=[id], back_populates="credit_note"
    )
    credit_note: Mapped["Invoice | None"] = relationship(back_populates="credited_invoice")

    @property
    def balance(self) -> Decimal:
        """What is still to pay: nothing on a credit note or a cancelled invoice."""
        if self.kind == InvoiceKind.CREDIT_NOTE or self.status == InvoiceStatus.CANCELLED:
            return Decimal(0)
        return self.total - self.paid_total


class InvoiceLine(db.Model):
    """A line of an invoice, copied from a billable item."""

    __tablename__ = "invoice_line"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position"),
        # A credit note's lines are its invoice's, negated: quantity below 0, price as billed.
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    billable_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("billable_item.id", ondelete="SET NULL"), unique=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(default=0)
    quantity: Mapped[Decimal] = mapped_column(Money())
    unit_rate: Mapped[Decimal] = mapped_column(Money())
    amount: Mapped[Decimal] = mapped_column(Money())  # net
    tax_name: Mapped[str] = mapped_column(String(120))
    tax_percent: Mapped[Decimal] = mapped_column(Percent())
    tax_category: Mapped[str] = mapped_column(String(2))  # UNCL 5305: S, Z, E, AE

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class InvoiceTax(db.Model):
    """One rate's part of an invoice: the net at that rate and the tax on it, rounded once."""

    __tablename__ = "invoice_tax"
    __table_args__ = (UniqueConstraint("invoice_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id", ondelete="CASCADE"))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    percent: Mapped[Decimal] = mapped_column(Percent())
    category: Mapped[str] = mapped_column(String(2))
    exemption_reason: Mapped[str] = mapped_column(String(300), default="")
    net: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())

    invoice: Mapped[Invoice] = relationship(back_populates="taxes")


class Payment(db.Model):
    """Money received against an invoice; together they never exceed its total."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "method IN ('bank_transfer', 'card', 'cash', 'other')", name="method_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoice.id", ondelete="RESTRICT"), index=True
    )
    date: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Money())
    method: Mapped[str] = mapped_column(String(16))
    reference: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    invoice: Mapped[Invoice] = relationship(back_populates="payments")


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
    # Rollover: carry-over available going in, used, and created for the months after.
    carried_in_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    carry_used_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    carried_out_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    # Blocks: minutes left in the blocks valid in the month going in, and used.
    block_in_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    block_used_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
