"""Billing periods: calendar months "YYYY-MM", whether one is closed, and the locks that
keep a month's bill consistent while time is logged (the period's, a subscription's)."""

import calendar
import re
from datetime import date
from functools import lru_cache

from babel.dates import format_date
from flask_babel import gettext as _

from portal.extensions import db
from portal.i18n import current_language
from portal.models import BillingPeriod, Subscription
from portal.services.errors import ValidationFailed

# Advisory-lock namespace ("SH") for periods on PostgreSQL; the second key is YYYYMM.
_LOCK_NAMESPACE = 0x5348


_PERIOD = re.compile(r"(\d{4})-(0[1-9]|1[0-2])", re.ASCII)


def parse_period(text: object) -> str:
    """Check a "YYYY-MM" period; ValidationFailed names the field otherwise."""
    if not isinstance(text, str) or not _PERIOD.fullmatch(text) or text < "2000-01":
        raise ValidationFailed({"period": _("Give the month as YYYY-MM, e.g. 2026-09.")})
    return text


def month_name(period: str) -> str:
    """ "2026-09" -> "September 2026" ("wrzesień 2026", "September 2026"), in the language
    of the moment (a page's reader, or the client an invoice is written for)."""
    return _month_name(period, current_language())


@lru_cache(maxsize=256)
def _month_name(period: str, language: str) -> str:
    """One month's name in one language (the close names thousands of items)."""
    first = date(int(period[:4]), int(period[5:7]), 1)
    return format_date(first, "LLLL yyyy", locale=language)


def period_of(day: date) -> str:
    """The period a day belongs to: 2026-09-11 -> "2026-09"."""
    return f"{day.year:04d}-{day.month:02d}"


@lru_cache(maxsize=512)
def period_bounds(period: str) -> tuple[date, date]:
    """First and last day of a "YYYY-MM" period (cached: the close asks once per subscription)."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def is_period_closed(period: str) -> bool:
    """True once the period has been closed (its row exists)."""
    return db.session.scalar(db.select(BillingPeriod.id).filter_by(period=period)) is not None


def closed_months() -> dict[str, int]:
    """Every closed period with its id, in one read: a row per month ever closed, so a few
    dozen, and a page that needs several months' state asks once."""
    return dict(db.session.execute(db.select(BillingPeriod.period, BillingPeriod.id)).all())


def latest_closed_period() -> str | None:
    """The most recent closed period ("YYYY-MM"), or None while no month is closed."""
    return db.session.scalar(db.select(db.func.max(BillingPeriod.period)))


def hold_closes() -> None:
    """Wait for any close in progress and keep new ones out until the transaction ends.

    For a change that depends on which months are closed rather than on one month (a
    plan's earliest start): a close claims its period's row first, and a SHARE lock on the
    table waits for that insert and blocks the next (PostgreSQL; SQLite serialises writers).
    Take it before row locks (the client's), which a close's foreign-key checks wait for.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(db.text("LOCK TABLE billing_period IN SHARE MODE"))


def lock_period(period: str, *, exclusive: bool) -> None:
    """Hold the period's lock until the transaction ends (PostgreSQL; SQLite serialises writers).

    Time entries take it shared, the close takes it exclusive: a close waits for entries
    being saved in its month, and an entry saved after the close sees the period closed.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    key = int(period.replace("-", ""))
    db.session.execute(db.select(getattr(db.func, function)(_LOCK_NAMESPACE, key)))


def hold_subscription(subscription_id: int) -> None:
    """Hold one subscription's row until the transaction ends (PostgreSQL; SQLite serialises
    writers): changes that decide from the subscription's hours of a month (a top-up, the
    `refuse` rule, a usage alert) take turns, each seeing what the one before committed.

    FOR NO KEY UPDATE: two of these wait for each other, but not for the KEY SHARE lock
    that writing a row which refers to the subscription takes (a time entry, a close's
    usage); FOR UPDATE would wait for those and deadlock with a transaction's own entry.
    Take it before the ticket's row (a time entry updates its ticket): every writer then
    takes the two in the same order.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(
        db.select(Subscription.id)
        .where(Subscription.id == subscription_id)
        .with_for_update(key_share=True)
    )
