"""Currencies: ISO code, display affixes, decimal places, one default."""

from sqlalchemy import CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db


class Currency(db.Model):
    """A currency clients are billed in."""

    __tablename__ = "currency"
    __table_args__ = (
        CheckConstraint("length(code) = 3", name="code_length"),
        CheckConstraint("decimals >= 0 AND decimals <= 4", name="decimals_range"),
        # At most one default currency, enforced by a partial unique index.
        Index(
            "uq_currency_single_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    decimals: Mapped[int] = mapped_column(default=2)
    prefix: Mapped[str] = mapped_column(String(8), default="")
    suffix: Mapped[str] = mapped_column(String(8), default="")
    is_default: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<Currency {self.code}>"
