"""One loader per object a URL names: the row when this user may see it, else NotFound.

Staff see every row. A client user sees only its own client's tickets, time entries,
subscriptions and invoices and its own client account, and nothing of the catalogue or
the staff's records: another client's id is answered exactly as an id that does not
exist, so no one learns it is there. The API answers NotFound as a 404 JSON body, the
pages as their 404 page.
"""

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.i18n import N_
from portal.models import (
    ApiToken,
    Client,
    Currency,
    Invoice,
    Plan,
    Subscription,
    TaxRate,
    Ticket,
    TimeEntry,
    User,
)
from portal.services.errors import NotFound


def _visible(user: User, row, missing: str, client_id=lambda row: row.client_id):
    """`row` when staff asks, or a client user whose client owns it; else NotFound."""
    if row is None or not (user.is_staff or client_id(row) == user.client_id):
        raise NotFound(_(missing))
    return row


def _staff_only(user: User, model, object_id: int, missing: str):
    """A row only staff may see (catalogue, users, tokens); NotFound for anyone else."""
    row = db.session.get(model, object_id) if user.is_staff else None
    if row is None:
        raise NotFound(_(missing))
    return row


def ticket_for(user: User, ticket_id: int, *, with_assignee: bool = False) -> Ticket:
    """A ticket with its client (its pages show it): staff any, a client user its own
    client's. `with_assignee` loads the assignee too, for a page that only shows it (a
    change of assignee would leave the loaded one behind)."""
    options = [joinedload(Ticket.client)]
    if with_assignee:
        options.append(joinedload(Ticket.assignee))
    return _visible(
        user, db.session.get(Ticket, ticket_id, options=options), N_("Ticket not found.")
    )


def time_entry_for(user: User, entry_id: int) -> TimeEntry:
    """A time entry: staff any, a client user one on its own client's tickets."""
    entry = db.session.get(TimeEntry, entry_id)
    return _visible(
        user, entry, N_("Time entry not found."), client_id=lambda row: row.ticket.client_id
    )


def invoice_for(user: User, invoice_id: int) -> Invoice:
    """An invoice with its lines, client, currency and month: staff any, a client its own."""
    options = [
        selectinload(Invoice.lines),
        joinedload(Invoice.client),
        joinedload(Invoice.currency),
        joinedload(Invoice.period),
    ]
    return _visible(
        user, db.session.get(Invoice, invoice_id, options=options), N_("Invoice not found.")
    )


def client_for(user: User, client_id: int) -> Client:
    """A client account: staff any, a client user only its own."""
    client = db.session.get(Client, client_id)
    return _visible(user, client, N_("Client not found."), client_id=lambda row: row.id)


def subscription_for(
    user: User, subscription_id: int, client: Client | None = None
) -> Subscription:
    """A subscription, of `client` when given (a page under that client's URL)."""
    subscription = _visible(
        user, db.session.get(Subscription, subscription_id), N_("Subscription not found.")
    )
    if client is not None and subscription.client_id != client.id:
        raise NotFound(_("Subscription not found."))
    return subscription


def plan_for(user: User, plan_id: int) -> Plan:
    """A plan (staff only)."""
    return _staff_only(user, Plan, plan_id, N_("Plan not found."))


def currency_for(user: User, currency_id: int) -> Currency:
    """A currency (staff only)."""
    return _staff_only(user, Currency, currency_id, N_("Currency not found."))


def tax_rate_for(user: User, tax_rate_id: int) -> TaxRate:
    """A tax rate (staff only)."""
    return _staff_only(user, TaxRate, tax_rate_id, N_("Tax rate not found."))


def user_for(actor: User, user_id: int) -> User:
    """A user account (staff only)."""
    return _staff_only(actor, User, user_id, N_("User not found."))


def api_token_for(user: User, token_id: int) -> ApiToken:
    """An API token (staff only; the page itself is admin-only)."""
    return _staff_only(user, ApiToken, token_id, N_("API token not found."))
