"""Tax rates: a name, an exact percent, an optional country, one default."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models.types import Percent


class TaxRate(db.Model):
    """A rate of VAT (or another sales tax) that invoice lines are taxed at."""

    __tablename__ = "tax_rate"
    __table_args__ = (
        # The upper bound (100) is the service's rule: the stored scale differs per dialect.
        CheckConstraint("percent >= 0", name="percent_not_negative"),
        CheckConstraint("country IS NULL OR length(country) = 2", name="country_length"),
        # At most one default rate, enforced by a partial unique index.
        Index(
            "uq_tax_rate_single_default",
            "is_default",
            unique=True,
            sqlite_where=text("is_default"),
            postgresql_where=text("is_default"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    percent: Mapped[Decimal] = mapped_column(Percent())
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    is_default: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<TaxRate {self.name} {self.percent}%>"
