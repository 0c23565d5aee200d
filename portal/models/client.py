"""Client accounts: the customers who buy support."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.currency import Currency
from portal.models.types import Choices, UTCDateTime, utcnow


class TaxTreatment(Choices):
    """How a client's invoices are taxed."""

    STANDARD = "standard"
    EXEMPT = "exempt"
    REVERSE_CHARGE = "reverse_charge"


class Client(db.Model):
    """A client account; billed in exactly one currency."""

    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint(
            "tax_treatment IN ('standard', 'exempt', 'reverse_charge')",
            name="tax_treatment_valid",
        ),
        CheckConstraint(
            "tax_treatment <> 'exempt' OR tax_exemption_reason <> ''",
            name="exempt_has_reason",
        ),
        CheckConstraint(
            "tax_treatment <> 'reverse_charge' OR tax_id <> ''",
            name="reverse_charge_has_tax_id",
        ),
        CheckConstraint("language IN ('en', 'pl', 'de')", name="language_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    currency_id: Mapped[int] = mapped_column(ForeignKey("currency.id", ondelete="RESTRICT"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Billing profile: who the invoices are addressed to (all optional).
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address_lines: Mapped[list] = mapped_column(JSON, default=list)
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    tax_id: Mapped[str] = mapped_column(String(30), default="")
    billing_emails: Mapped[list] = mapped_column(JSON, default=list)
    po_reference: Mapped[str] = mapped_column(String(100), default="")
    # How its invoices are taxed (SPEC.md): the chosen rate or the default, exempt, or
    # reverse charge.
    tax_treatment: Mapped[str] = mapped_column(String(16), default="standard")
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rate.id", ondelete="RESTRICT"))
    tax_exemption_reason: Mapped[str] = mapped_column(String(300), default="")
    # The language of its invoices, credit notes and billing mail (its users pick their own).
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")

    currency: Mapped[Currency] = relationship(lazy="joined")

    @property
    def billing_name(self) -> str:
        """The name invoices are addressed to: the legal name, else the account's name."""
        return self.legal_name or self.name

    @property
    def invoice_emails(self) -> list[str]:
        """Where invoices go: the billing emails, else the account's email."""
        return list(self.billing_emails or []) or [self.email]

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.name}>"
