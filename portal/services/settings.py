"""Business settings in the database, with defaults for anything not yet saved."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import g, has_app_context

from portal.extensions import db
from portal.models import Setting
from portal.models.types import utcnow

DEFAULTS = {
    "business_timezone": "UTC",
    "invoice_on_close": True,
    "due_days": 14,
    "invoice_number_format": "{YYYY}/{MM}/{SEQ}",
}


def get_settings() -> dict:
    """All business settings; read once per request or app context."""
    cached = g.get("_portal_settings") if has_app_context() else None
    if cached is not None:
        return cached
    values = dict(DEFAULTS)
    for row in db.session.scalars(db.select(Setting)):
        if row.key in DEFAULTS:
            values[row.key] = row.value
    if has_app_context():
        g._portal_settings = values
    return values


def save_settings(changes: dict) -> dict:
    """Store the given settings (keys must be known) and return them all."""
    unknown = set(changes) - set(DEFAULTS)
    if unknown:
        raise KeyError(f"unknown settings: {sorted(unknown)}")
    for key, value in changes.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
    db.session.flush()
    g.pop("_portal_settings", None)
    return get_settings()


def business_tz() -> ZoneInfo:
    """The business time zone (periods and "today" are computed in it)."""
    return ZoneInfo(get_settings()["business_timezone"])


def business_today() -> date:
    """Today's date in the business time zone."""
    return utcnow().astimezone(business_tz()).date()


def to_business_time(moment: datetime) -> datetime:
    """An aware UTC datetime shown in the business time zone."""
    return moment.astimezone(business_tz())
