"""Client accounts: the customers who buy support."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.currency import Currency
from portal.models.types import UTCDateTime, utcnow


class Client(db.Model):
    """A client account; billed in exactly one currency."""

    __tablename__ = "client"

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
