"""Client accounts: create and edit them, add their users, assign plans; reads for the pages."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import and_, or_
from sqlalchemy.orm import contains_eager

from portal.extensions import db
from portal.formatting import format_day
from portal.models import (
    BillableItem,
    BillingPeriod,
    Client,
    Currency,
    Invoice,
    Plan,
    Role,
    Subscription,
    TaxRate,
    Ticket,
    User,
)
from portal.pagination import paginate_rows
from portal.services import audit
from portal.services.accounts.users import create_user, normalise_email
from portal.services.billing.invoice_queries import LIST_DEFERRED
from portal.services.billing.one_off import PENDING_ONE_OFF
from portal.services.billing.periods import period_of
from portal.services.billing.profiles import apply_billing, billing_values, checked_billing
from portal.services.clients.overview import history_columns
from portal.services.clients.subscriptions import (
    active_subscription,
    assign_plan,
    closed_start_error,
)
from portal.services.clients.usage import previous_periods, usage_history
from portal.services.errors import ValidationFailed
from portal.services.mail.accounts import mail_invitation
from portal.services.settings import business_today
from portal.services.text import text_problem

NAME_MAX = 200
EMAIL_MAX = 254
RECENT_TICKETS = 10
START_WINDOW = timedelta(days=366)  # a plan starts at most about a year back or ahead


@dataclass
class ClientInput:
    """A client account as typed on the form."""

    name: str
    email: str
    currency_id: int | None
    active: bool = True
    billing: dict | None = None  # the billing profile's fields; None leaves them as they are


def client_snapshot(client: Client) -> dict:
    """The client's values for the audit log."""
    return {
        "name": client.name,
        "email": client.email,
        "currency": client.currency.code if client.currency else None,
        "active": client.active,
        **billing_values(client),
    }


def has_subscription(client: Client) -> bool:
    """True once the client has ever had a subscription."""
    query = db.select(Subscription.id).where(Subscription.client_id == client.id).limit(1)
    return client.id is not None and db.session.scalar(query) is not None


def has_billing(client: Client) -> bool:
    """True once the client has a subscription, a billable item or an invoice: from then on
    its currency is fixed (one invoice never adds two currencies)."""
    if client.id is None:
        return False
    if has_subscription(client):
        return True
    for model in (BillableItem, Invoice):
        query = db.select(model.id).where(model.client_id == client.id).limit(1)
        if db.session.scalar(query) is not None:
            return True
    return False


def _client_errors(client: Client | None, data: ClientInput) -> dict[str, str]:
    """Every rule a client account must meet, as field -> message."""
    errors = {}
    if not data.name:
        errors["name"] = _("Enter the name of the client account.")
    elif len(data.name) > NAME_MAX:
        errors["name"] = _("Keep the name to %(max)s characters or fewer.", max=NAME_MAX)
    elif problem := text_problem(data.name):
        errors["name"] = problem
    try:
        if len(data.email) > EMAIL_MAX:
            raise EmailNotValidError("too long")
        validate_email(data.email, check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _("Enter a valid email address, e.g. billing@example.com.")
    currency = db.session.get(Currency, data.currency_id) if data.currency_id else None
    if currency is None:
        errors["currency"] = _("Choose the currency the client is billed in.")
    elif client is not None and currency.id != client.currency_id and has_billing(client):
        errors["currency"] = _(
            "%(client)s is already billed in %(currency)s (a subscription, an item or an "
            "invoice): the currency cannot change.",
            client=client.name,
            currency=client.currency.code,
        )
    return errors


def save_client(client: Client | None, data: ClientInput, actor) -> Client:
    """Create (client None) or update a client account."""
    data.name, data.email = data.name.strip(), normalise_email(data.email)
    errors = _client_errors(client, data)
    billing = None
    if data.billing is not None:
        try:
            billing = checked_billing(data.billing)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    before = client_snapshot(client) if client else None
    if client is None:
        client = Client()
        db.session.add(client)
    client.name, client.email, client.active = data.name, data.email, data.active
    client.currency = db.session.get(Currency, data.currency_id)
    if billing is not None:
        apply_billing(client, billing)
    db.session.flush()
    action = "client.update" if before else "client.create"
    audit.record(actor, action, "client", client.id, before, client_snapshot(client))
    return client


def add_client_user(client: Client, name: str, email: str, actor) -> User:
    """Give the client account a user, who is mailed an invitation to choose a password."""
    name = (name or "").strip()
    errors = {}
    if not name or len(name) > NAME_MAX:
        errors["name"] = _("Enter the person's name (up to %(max)s characters).", max=NAME_MAX)
    elif problem := text_problem(name):
        errors["name"] = problem
    try:
        user = create_user(email, None, Role.CLIENT.value, name=name, client_id=client.id)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(errors)
    after = {"email": user.email, "name": user.name, "role": user.role, "client_id": client.id}
    audit.record(actor, "user.create", "user", user.id, after=after)
    mail_invitation(user, actor)
    return user


def assign_client_plan(client: Client, plan_id: int | None, start_date: date | None, actor):
    """Assign one of the offered plans from `start_date`, after the latest closed month."""
    errors = {}
    plan = db.session.get(Plan, plan_id) if plan_id else None
    if plan is None:
        errors["plan"] = _("Choose a plan.")
    today = business_today()
    earliest, latest = today - START_WINDOW, today + START_WINDOW
    if start_date is None:
        errors["start_date"] = _("Enter the start date as YYYY-MM-DD.")
    elif not earliest <= start_date <= latest:
        errors["start_date"] = _(
            "Choose a start date from %(earliest)s to %(latest)s.",
            earliest=format_day(earliest),
            latest=format_day(latest),
        )
    elif message := closed_start_error(start_date):  # with the other fields' messages
        errors["start_date"] = message
    if errors:
        raise ValidationFailed(errors)
    return assign_plan(client, plan, start_date, actor)


def default_start(client: Client, subscriptions: list[Subscription] | None = None) -> date:
    """Where a new plan would start: the day after the current one ends, else today.
    `subscriptions`: all of the client's, when the caller has read them already."""
    today = business_today()
    if subscriptions is None:
        current = active_subscription(client.id, today)
    else:
        current = next((s for s in subscriptions if s.is_active_on(today)), None)
    return current.end_date + timedelta(days=1) if current and current.end_date else today


def client_list(page: int, per_page: int):
    """A page of clients by name: (client, name of today's plan or None)."""
    today = business_today()
    current = and_(
        Subscription.client_id == Client.id,
        Subscription.start_date <= today,
        or_(Subscription.end_date.is_(None), Subscription.end_date >= today),
    )
    query = (
        db.select(Client, Plan.name.label("plan_name"))
        .outerjoin(Subscription, current)
        .outerjoin(Plan, Plan.id == Subscription.plan_id)
        .order_by(Client.name, Client.id)
    )
    return paginate_rows(query, page, per_page)


class ClientLists(NamedTuple):
    """A client's row with its tax rate, subscriptions and users, read together."""

    client: Client | None
    tax_rate: TaxRate | None
    subscriptions: list[Subscription]  # latest start first, with their plans
    users: list[User]  # by name


def client_lists(client_id: int) -> ClientLists:
    """The client with its tax rate, subscriptions and users in one statement (a client has
    few of either). While the result is held, a lookup of the client or its rate finds them
    loaded (the session keeps only objects something refers to)."""
    subscriptions, users = {}, {}
    rows = db.session.execute(
        db.select(Client, TaxRate, Subscription, User)
        .outerjoin(TaxRate, TaxRate.id == Client.tax_rate_id)
        .outerjoin(Subscription, Subscription.client_id == Client.id)
        .outerjoin(Plan, Plan.id == Subscription.plan_id)
        .outerjoin(User, User.client_id == Client.id)
        .options(contains_eager(Subscription.plan))
        .where(Client.id == client_id)
    ).all()
    for _client, _rate, subscription, user in rows:
        if subscription is not None:
            subscriptions[subscription.id] = subscription
        if user is not None:
            users[user.id] = user
    client, rate = rows[0][:2] if rows else (None, None)
    return ClientLists(
        client,
        rate,
        sorted(subscriptions.values(), key=lambda s: s.start_date, reverse=True),
        sorted(users.values(), key=lambda u: (u.name.casefold(), u.name, u.id)),
    )


def _recent_items(client: Client) -> tuple[list[tuple], list[BillableItem]]:
    """The client's latest billable items with their month, and its one-off items not
    invoiced yet (by date), in one statement."""
    latest = (
        db.select(BillableItem.id)
        .join(BillingPeriod, BillingPeriod.id == BillableItem.period_id)
        .where(BillableItem.client_id == client.id)
        .order_by(BillableItem.id.desc())
        .limit(RECENT_TICKETS)
    )
    rows = db.session.execute(
        db.select(
            BillableItem,
            BillingPeriod.period,
            BillableItem.id.in_(latest).label("recent"),
            PENDING_ONE_OFF.label("pending"),
        )
        .outerjoin(BillingPeriod, BillingPeriod.id == BillableItem.period_id)
        .where(
            BillableItem.client_id == client.id, or_(BillableItem.id.in_(latest), PENDING_ONE_OFF)
        )
    ).all()
    recent = sorted(((i, p) for i, p, new, _p in rows if new), key=lambda r: -r[0].id)
    pending = sorted((i for i, _p, _r, wait in rows if wait), key=lambda i: (i.work_date, i.id))
    return recent, pending


def client_overview(client: Client, lists: ClientLists | None = None) -> dict:
    """Everything the client page shows: subscriptions, usage, bills, users, recent tickets.

    `lists`: client_lists(client.id) when the caller has read them (with the client)."""
    lists = lists or client_lists(client.id)
    subscriptions, users = lists.subscriptions, lists.users
    tickets = db.session.scalars(
        db.select(Ticket)
        .where(Ticket.client_id == client.id)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
        .limit(RECENT_TICKETS)
    ).all()
    today = business_today()
    current = next((s for s in subscriptions if s.is_active_on(today)), None)
    upcoming = [s for s in subscriptions if s.start_date > today]
    history = usage_history(client, previous_periods(period_of(today), 12))
    invoices = db.session.scalars(
        db.select(Invoice)
        .options(*LIST_DEFERRED)
        .where(Invoice.client_id == client.id)
        .order_by(Invoice.id.desc())
        .limit(RECENT_TICKETS)
    ).all()
    items, pending = _recent_items(client)
    shown = [month for month in reversed(history) if month.plan or month.used_minutes]
    return {
        "usage": history[-1],
        "history": shown,
        "columns": history_columns(shown),
        "invoices": invoices,
        "items": items,
        "pending_items": pending,
        "current": current,
        "upcoming": upcoming,
        "subscriptions": subscriptions,
        "users": users,
        "tickets": tickets,
    }
