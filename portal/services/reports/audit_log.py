"""Read the audit log: filters from the query string, pages, object links, change summaries, CSV."""

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.i18n import N_
from portal.models import AuditLogEntry, BillingPeriod, Client, Invoice, Subscription, Ticket, User
from portal.services.settings import business_tz, to_business_time

# A person's words for the actions and objects (translated when shown).
ACTION_LABELS = {
    "time_entry.create": N_("Time logged"),
    "time_entry.update": N_("Time edited"),
    "time_entry.delete": N_("Time deleted"),
    "subscription.assign": N_("Plan assigned"),
    "subscription.cancel": N_("Subscription cancelled"),
    "subscription.reprice": N_("Subscription re-priced"),
    "period.close": N_("Period closed"),
    "invoice.issue": N_("Invoice issued"),
    "invoice.paid": N_("Invoice marked paid"),
    "invoice.cancelled": N_("Invoice cancelled"),
    "ticket.status": N_("Ticket status changed"),
    "ticket.tracking": N_("Time tracking switched"),
    "ticket.assignee": N_("Ticket assignee changed"),
    "ticket.priority": N_("Ticket priority changed"),
    "client.create": N_("Client added"),
    "client.update": N_("Client edited"),
    "user.create": N_("User added"),
    "user.update": N_("User edited"),
    "user.disable": N_("User disabled"),
    "user.enable": N_("User enabled"),
    "user.password_change": N_("Password changed"),
    "plan.create": N_("Plan added"),
    "plan.update": N_("Plan edited"),
    "currency.create": N_("Currency added"),
    "currency.update": N_("Currency edited"),
    "settings.update": N_("Settings changed"),
    "api_token.create": N_("API token created"),
    "api_token.revoke": N_("API token revoked"),
    "subscription.delete": N_("Subscription removed"),
    "user.invitation_resend": N_("Invitation sent again"),
    "user.invitation_accept": N_("Invitation accepted"),
    "user.password_reset": N_("Password reset"),
    "user.language": N_("Language changed"),
    "user.notifications": N_("Mail choices changed"),
    "user.role_change": N_("Role changed"),
    "user.time_format": N_("Time display changed"),
    "tax_rate.create": N_("Tax rate added"),
    "tax_rate.update": N_("Tax rate edited"),
    "business_profile.update": N_("Business profile edited"),
    "block.purchase": N_("Prepaid block bought"),
    "credit_note.issue": N_("Credit note issued"),
    "invoice.payment": N_("Payment recorded"),
    "item.create": N_("One-off item added"),
}
OBJECT_LABELS = {
    "time_entry": N_("Time entry"),
    "ticket": N_("Ticket"),
    "subscription": N_("Subscription"),
    "billing_period": N_("Period"),
    "invoice": N_("Invoice"),
    "client": N_("Client"),
    "user": N_("User"),
    "plan": N_("Plan"),
    "currency": N_("Currency"),
    "setting": N_("Settings"),
    "api_token": N_("API token"),
    "tax_rate": N_("Tax rate"),
    "business_profile": N_("Business profile"),
    "billable_item": N_("Billable item"),
    "hour_pool": N_("Prepaid block"),
}
# Objects with a page of their own, reached by their id; and objects shown on a list page
# of their kind. Which URL that is, the admin view knows (portal/admin/audit_log.py).
OWN_PAGES = frozenset({"ticket", "invoice", "client", "plan", "currency"})
LIST_PAGES = frozenset({"billing_period", "setting", "api_token", "user"})
SYSTEM = "system"
# Column names in the reader's language (lazy: written in the download's request language).
CSV_HEADER = [
    _l("id"),
    _l("at_utc"),
    _l("at_local"),
    _l("user_id"),
    _l("user"),
    _l("action"),
    _l("action_label"),
    _l("object_type"),
    _l("object_id"),
    _l("before"),
    _l("after"),
]
MAX_CHANGES = 8
MAX_VALUE_CHARS = 60
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9]{1,9}")
MIN_YEAR, MAX_YEAR = 1900, 2999
DATE_MESSAGE = N_("Enter a date as YYYY-MM-DD (years 1900 to 2999); this filter was ignored.")


def action_label(action: str) -> str:
    """A person's words for an action: "time_entry.create" -> "Time logged"."""
    if action in ACTION_LABELS:
        return _(ACTION_LABELS[action])
    kind, _dot, verb = action.partition(".")
    return f"{object_label(kind)} {verb.replace('_', ' ')}"


def object_label(object_type: str) -> str:
    """ "time_entry" -> "Time entry"."""
    if object_type in OBJECT_LABELS:
        return _(OBJECT_LABELS[object_type])
    return object_type.replace("_", " ").capitalize()


@dataclass
class AuditFilters:
    """Checked filters; None means "any"."""

    user_id: int | None = None
    system: bool = False  # only rows with no user (the scheduler, the CLI)
    action: str | None = None
    object_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def query_args(self) -> dict[str, str]:
        """The filters as query-string arguments (for the CSV link and the pager)."""
        args = {
            "user": SYSTEM if self.system else (str(self.user_id) if self.user_id else ""),
            "action": self.action or "",
            "object_type": self.object_type or "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {key: value for key, value in args.items() if value}


@dataclass
class FilterChoices:
    """What the filter selects offer: the users, actions and object types in the log."""

    users: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, email
    actions: list[str] = field(default_factory=list)
    object_types: list[str] = field(default_factory=list)


def filter_choices() -> FilterChoices:
    """Users who acted, and the actions and object types present, from the log itself."""
    acted = db.select(AuditLogEntry.user_id).where(AuditLogEntry.user_id.is_not(None)).distinct()
    users = db.session.execute(
        db.select(User.id, User.name, User.email)
        .where(User.id.in_(acted))
        .order_by(User.name, User.email)
    ).all()
    actions = db.session.scalars(db.select(AuditLogEntry.action).distinct()).all()
    types = db.session.scalars(db.select(AuditLogEntry.object_type).distinct()).all()
    return FilterChoices(
        [tuple(row) for row in users],
        sorted(actions, key=lambda a: (action_label(a), a)),
        sorted(types, key=lambda t: (object_label(t), t)),
    )


def _parse_date(text: str) -> date | None:
    """A strict YYYY-MM-DD date in the years we accept, or None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if MIN_YEAR <= day.year <= MAX_YEAR else None


def parse_filters(args: Mapping, choices: FilterChoices) -> tuple[AuditFilters, dict[str, str]]:
    """Read the filters; a bad value is left out and explained under its field name.

    Input is checked against the log's own values in Python, so nothing a visitor types
    reaches SQL except as a validated integer or date.
    """
    filters, errors = AuditFilters(), {}
    user = str(args.get("user") or "").strip()
    if user == SYSTEM:
        filters.system = True
    elif user:
        known = {row[0] for row in choices.users}
        if _ID.fullmatch(user) and int(user) in known:
            filters.user_id = int(user)
        else:
            errors["user"] = _("No such user in the log; showing everyone.")
    action = str(args.get("action") or "").strip()
    if action:
        if action in choices.actions:
            filters.action = action
        else:
            errors["action"] = _("Choose one of the listed actions; showing all actions.")
    object_type = str(args.get("object_type") or "").strip()
    if object_type:
        if object_type in choices.object_types:
            filters.object_type = object_type
        else:
            errors["object_type"] = _("Choose one of the listed types; showing all types.")
    for name in ("date_from", "date_to"):
        text = str(args.get(name) or "").strip()
        if text:
            day = _parse_date(text)
            if day is None:
                errors[name] = _(DATE_MESSAGE)
            setattr(filters, name, day)
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        errors["date_to"] = _("The end date is before the start date; the dates were ignored.")
        filters.date_from = filters.date_to = None
    return filters, errors


def _day_start(day: date) -> datetime:
    """Midnight at the start of a business day, in UTC."""
    return datetime.combine(day, time.min, tzinfo=business_tz()).astimezone(UTC)


def _filtered(query, filters: AuditFilters):
    """Apply the filters to a query over the audit log."""
    if filters.system:
        query = query.where(AuditLogEntry.user_id.is_(None))
    elif filters.user_id is not None:
        query = query.where(AuditLogEntry.user_id == filters.user_id)
    if filters.action:
        query = query.where(AuditLogEntry.action == filters.action)
    if filters.object_type:
        query = query.where(AuditLogEntry.object_type == filters.object_type)
    if filters.date_from:
        query = query.where(AuditLogEntry.at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(AuditLogEntry.at < _day_start(filters.date_to + timedelta(days=1)))
    return query


def audit_page(filters: AuditFilters, page: int, per_page: int):
    """A page of matching rows, newest first, with their users."""
    query = _filtered(
        db.select(AuditLogEntry).options(joinedload(AuditLogEntry.user)), filters
    ).order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)


@dataclass
class ObjectRef:
    """What a row acted on, as shown: a label, and the page to open when there is one."""

    label: str
    page: str | None = None  # the object type whose page shows it ("ticket", "user"...)
    page_id: int | None = None  # the id of that page's object; None for a list page


def _snapshot_value(entry: AuditLogEntry, key: str):
    """A value from the row's after (or before) snapshot."""
    for snapshot in (entry.after, entry.before):
        if isinstance(snapshot, dict) and snapshot.get(key) is not None:
            return snapshot[key]
    return None


def _lookup(columns, ids) -> dict:
    """id -> value for the given ids, in one query (nothing when there are no ids)."""
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    key, value = columns
    return dict(db.session.execute(db.select(key, value).where(key.in_(ids))).all())


def object_refs(entries: list[AuditLogEntry]) -> dict[int, ObjectRef]:
    """Label and link for each row's object: a time entry links to its ticket, and so on."""

    def ids(*types):
        """Object ids of rows of these types."""
        return [e.object_id for e in entries if e.object_type in types]

    entry_tickets = {
        e.id: _snapshot_value(e, "ticket_id") for e in entries if e.object_type == "time_entry"
    }
    tickets = _lookup((Ticket.id, Ticket.number), [*ids("ticket"), *entry_tickets.values()])
    invoices = _lookup((Invoice.id, Invoice.number), ids("invoice"))
    sub_clients = _lookup((Subscription.id, Subscription.client_id), ids("subscription"))
    clients = _lookup((Client.id, Client.name), [*ids("client"), *sub_clients.values()])
    periods = _lookup((BillingPeriod.id, BillingPeriod.period), ids("billing_period"))
    refs = {}
    for e in entries:
        name = object_label(e.object_type)
        label = f"{name} {e.object_id}" if e.object_id is not None else name
        ref = ObjectRef(label)
        if e.object_type == "time_entry" and entry_tickets[e.id] in tickets:
            ticket_id = entry_tickets[e.id]
            ref.label = _(
                "%(object)s on ticket #%(number)s", object=ref.label, number=tickets[ticket_id]
            )
            ref.page, ref.page_id = "ticket", ticket_id
        elif e.object_type == "subscription" and e.object_id in sub_clients:
            client_id = sub_clients[e.object_id]
            client = (
                clients[client_id] if client_id in clients else _("client %(id)s", id=client_id)
            )
            ref.label = _("%(object)s of %(client)s", object=ref.label, client=client)
            ref.page, ref.page_id = "client", client_id
        elif e.object_type in OWN_PAGES and e.object_id is not None:
            known = {"ticket": tickets, "invoice": invoices, "client": clients}.get(e.object_type)
            if known is None or e.object_id in known:
                ref.page, ref.page_id = e.object_type, e.object_id
            if known and e.object_id in known:
                shown = (
                    f"#{known[e.object_id]}" if e.object_type == "ticket" else known[e.object_id]
                )
                ref.label = f"{name} {shown}"
        elif e.object_type in LIST_PAGES:
            ref.page = e.object_type
            if e.object_id in periods:
                ref.label = f"{name} {periods[e.object_id]}"
        refs[e.id] = ref
    return refs


@dataclass(frozen=True)
class Change:
    """One key of a row's snapshots: its value before and after ("" when absent)."""

    key: str
    before: str
    after: str


def _short(value) -> str:
    """A snapshot value as compact text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def changes(entry: AuditLogEntry) -> tuple[list[Change], int]:
    """The keys whose values differ between before and after, and how many were left out.

    A create or a delete lists all its keys; at most MAX_CHANGES are returned.
    """
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    rows = [Change(str(k), _short(before.get(k)), _short(after.get(k))) for k in keys]
    return rows[:MAX_CHANGES], max(0, len(rows) - MAX_CHANGES)


def who(user_name: str | None, user_email: str | None, user_id: int | None) -> str:
    """ "Name <email>", or "system" for rows written without a person."""
    if user_id is None:
        return SYSTEM
    if user_name is None:
        return _("user %(id)s", id=user_id)
    return f"{user_name} <{user_email}>"


def _json_text(value) -> str:
    """A snapshot as JSON text with sorted keys ("" when there is none)."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def audit_csv_rows(filters: AuditFilters) -> Iterator[list]:
    """Every matching row, newest first, fetched in batches while the response streams."""
    query = _filtered(
        db.select(
            AuditLogEntry.id,
            AuditLogEntry.at,
            AuditLogEntry.user_id,
            User.name,
            User.email,
            AuditLogEntry.action,
            AuditLogEntry.object_type,
            AuditLogEntry.object_id,
            AuditLogEntry.before,
            AuditLogEntry.after,
        ).outerjoin(User, User.id == AuditLogEntry.user_id),
        filters,
    ).order_by(AuditLogEntry.at.desc(), AuditLogEntry.id.desc())
    rows = db.session.execute(query.execution_options(yield_per=500))
    for row_id, at, user_id, name, email, action, obj_type, obj_id, before, after in rows:
        yield [
            row_id,
            at.astimezone(UTC).isoformat(),
            to_business_time(at).isoformat(),
            user_id if user_id is not None else "",
            who(name, email, user_id),
            action,
            action_label(action),
            obj_type,
            obj_id if obj_id is not None else "",
            _json_text(before),
            _json_text(after),
        ]
