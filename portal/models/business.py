"""The business that sends the invoices: one profile per installation."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

PROFILE_ID = 1  # the only row


class BusinessProfile(db.Model):
    """Seller details printed on every invoice: name, address, tax id, bank account."""

    __tablename__ = "business_profile"
    __table_args__ = (CheckConstraint(f"id = {PROFILE_ID}", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    legal_name: Mapped[str] = mapped_column(String(200), default="")
    address_lines: Mapped[list] = mapped_column(JSON, default=list)
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    country: Mapped[str] = mapped_column(String(2), default="")
    tax_id: Mapped[str] = mapped_column(String(30), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    bank_account_holder: Mapped[str] = mapped_column(String(200), default="")
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    payment_terms: Mapped[str] = mapped_column(Text, default="")
    invoice_footer: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
