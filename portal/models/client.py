"""Client accounts: the customers who buy support."""

from datetime import datetime

from sqlalchemy import ForeignKey, String
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

    currency: Mapped[Currency] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.name}>"
