"""Helpers shared by test modules: dates relative to the business "today", counts, closing."""

from datetime import date, timedelta

from portal.extensions import db
from portal.models import BillingPeriod
from portal.services.periods import period_of
from portal.services.settings import business_today


def today() -> date:
    """Today in the business time zone."""
    return business_today()


def tomorrow() -> date:
    """The first day that counts as the future."""
    return today() + timedelta(days=1)


def this_month_start() -> date:
    """First day of the current month."""
    return today().replace(day=1)


def last_month_end() -> date:
    """Last day of the previous month."""
    return this_month_start() - timedelta(days=1)


def last_month_start() -> date:
    """First day of the previous month."""
    return last_month_end().replace(day=1)


def last_month_day() -> date:
    """A day in the middle of the previous month."""
    return last_month_start() + timedelta(days=14)


def close_month(day: date) -> None:
    """Mark the month of `day` closed, as the billing run does: its period row exists."""
    db.session.add(BillingPeriod(period=period_of(day)))
    db.session.commit()


def count(model, **where) -> int:
    """Rows of a model, optionally filtered by column values."""
    query = db.select(db.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def audit_rows(action: str) -> list:
    """Audit log rows of one action, oldest first."""
    from portal.models import AuditLogEntry

    return list(
        db.session.scalars(
            db.select(AuditLogEntry).filter_by(action=action).order_by(AuditLogEntry.id)
        )
    )


def field_error(html: str, field: str) -> str:
    """The text of a field's error message on a rendered form ("" when it has none)."""
    import re

    match = re.search(rf'<div id="{field}-error" class="invalid-feedback">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""
