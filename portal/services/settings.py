"""Business settings in the database, with defaults for anything not yet saved; admins
change them, every value checked and the change audited."""

import re
from datetime import date, datetime
from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, available_timezones

from flask import g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Setting
from portal.models.types import utcnow
from portal.services import audit
from portal.services.errors import ValidationFailed

DEFAULTS = {
    "business_timezone": "UTC",
    "invoice_on_close": True,
    "due_days": 14,
    "invoice_number_format": "{YYYY}/{MM}/{SEQ}",
    "credit_note_number_format": "CN-{YYYY}/{SEQ}",
    # Billing mail (SPEC "Mail"): off holds invoice mail for an admin to release.
    "send_invoices_automatically": True,
    "reminder_days_before_due": 3,  # 0: no reminder before the due date
    "overdue_reminder_days": [1, 7, 14],
    "payment_received_mail": True,
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


# Admins change them: every value checked, the change audited.
DUE_DAYS_MAX = 365
REMINDER_DAYS_MAX = 60
OVERDUE_DAYS_MAX = 90
OVERDUE_STAGES_MAX = 3
# The rules as people read them, lazy: a form or a refusal shows them in its reader's
# language (the services return them as plain strings).
REMINDER_DAYS_RULE = _l(
    "Enter whole days from 0 to %(max)d (0: no reminder).", max=REMINDER_DAYS_MAX
)
OVERDUE_DAYS_RULE = _l(
    "Enter 1 to %(stages)d different whole numbers of days from 1 to %(max)d, e.g. 1, 7, 14.",
    stages=OVERDUE_STAGES_MAX,
    max=OVERDUE_DAYS_MAX,
)
FORMAT_MAX = 40
PLACEHOLDERS = ("{YYYY}", "{MM}", "{SEQ}")
FORMAT_RULE = _l(
    "Use only the placeholders {YYYY}, {MM} and {SEQ}; {SEQ} is required; "
    "at most %(max)d characters, e.g. INV-{YYYY}-{SEQ}.",
    max=FORMAT_MAX,
)
_ZONE_TABLE = "zone.tab"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@cache
def timezone_names() -> list[str]:
    """The time zones a business may choose, sorted: the tz database's own list of zones by
    country (zone.tab, shipped in the tzdata package) plus "UTC".

    That list names each country's zones by their canonical "Area/City" names, so the
    backward-compatible aliases ("GB-Eire", "Zulu", "US/Pacific", "Etc/GMT+1", "Poland")
    are not offered; only names this system's zoneinfo can load are kept.
    """
    table = resources.files("tzdata").joinpath("zoneinfo", _ZONE_TABLE).read_text("utf-8")
    zones = {
        line.split("\t")[2]
        for line in table.splitlines()
        if line.strip() and not line.startswith("#") and len(line.split("\t")) >= 3
    }
    return sorted((zones | {"UTC"}) & available_timezones())


def timezone_allowed(zone: object) -> bool:
    """A zone the settings accept: one from the list, or the one saved already (a value
    saved before the list was narrowed stays valid until it is changed)."""
    if not isinstance(zone, str):
        return False
    if zone in timezone_names():
        return True
    return zone == get_settings()["business_timezone"] and zone in available_timezones()


def invoice_format_error(text: str) -> str | None:
    """Why an invoice number format is not acceptable, or None."""
    if not text or len(text) > FORMAT_MAX or "{SEQ}" not in text:
        return str(FORMAT_RULE)
    unknown = [p for p in _PLACEHOLDER.findall(text) if p not in PLACEHOLDERS]
    if unknown:
        return _("Unknown placeholder %(placeholder)s.", placeholder=unknown[0]) + " " + FORMAT_RULE
    rest = _PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest or not rest.isprintable():
        return (
            _("Braces belong to placeholders only, and no control characters.") + " " + FORMAT_RULE
        )
    return None


def overdue_days_error(days: object) -> str | None:
    """Why a list of overdue reminder days is not acceptable, or None."""
    if not isinstance(days, list | tuple) or not 1 <= len(days) <= OVERDUE_STAGES_MAX:
        return str(OVERDUE_DAYS_RULE)
    if any(type(day) is not int or not 1 <= day <= OVERDUE_DAYS_MAX for day in days):
        return str(OVERDUE_DAYS_RULE)
    if len(set(days)) != len(days):
        return _("Each day may appear once.") + " " + OVERDUE_DAYS_RULE
    return None


def change_settings(values: dict, actor) -> dict:
    """Check and store the business settings from the settings page; audit what changed."""
    errors = {}
    zone = values.get("business_timezone")
    if not timezone_allowed(zone):
        errors["business_timezone"] = _("Choose a time zone from the list.")
    due_days = values.get("due_days")
    if type(due_days) is not int or not 0 <= due_days <= DUE_DAYS_MAX:
        errors["due_days"] = _("Enter whole days from 0 to %(max)d.", max=DUE_DAYS_MAX)
    number_format = (values.get("invoice_number_format") or "").strip()
    if message := invoice_format_error(number_format):
        errors["invoice_number_format"] = message
    note_format = (values.get("credit_note_number_format") or "").strip()
    if message := invoice_format_error(note_format):
        errors["credit_note_number_format"] = message.replace("INV-", "CN-")
    elif note_format == number_format:
        errors["credit_note_number_format"] = _(
            "Credit notes have their own series: give them a format that differs from the "
            "invoices', e.g. CN-{YYYY}/{SEQ}."
        )
    reminder_days = values.get("reminder_days_before_due")
    if type(reminder_days) is not int or not 0 <= reminder_days <= REMINDER_DAYS_MAX:
        errors["reminder_days_before_due"] = str(REMINDER_DAYS_RULE)
    overdue_days = values.get("overdue_reminder_days")
    if message := overdue_days_error(overdue_days):
        errors["overdue_reminder_days"] = message
    if errors:
        raise ValidationFailed(errors)
    changes = {
        "business_timezone": zone,
        "invoice_on_close": bool(values.get("invoice_on_close")),
        "due_days": due_days,
        "invoice_number_format": number_format,
        "credit_note_number_format": note_format,
        "send_invoices_automatically": bool(values.get("send_invoices_automatically")),
        "reminder_days_before_due": reminder_days,
        "overdue_reminder_days": sorted(overdue_days),
        "payment_received_mail": bool(values.get("payment_received_mail")),
    }
    before = dict(get_settings())
    after = save_settings(changes)
    changed = [key for key in changes if before.get(key) != after[key]]
    audit.record(
        actor,
        "settings.update",
        "setting",
        None,
        {key: before.get(key) for key in changed},
        {key: after[key] for key in changed},
    )
    return after
