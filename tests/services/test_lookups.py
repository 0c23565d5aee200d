"""The loaders behind every URL that names an object: staff see any row, a client user only
its own client's, and another client's id is refused exactly as an id that does not exist."""

from datetime import date

import pytest

from portal.extensions import db
from portal.services import lookups
from portal.services.accounts.tokens import create_api_token
from portal.services.billing.close import close_period
from portal.services.errors import NotFound
from portal.services.tickets.time_entries import TimeInput, log_time

UNKNOWN = 999_999


@pytest.fixture
def world(f):
    """Two clients with a ticket, time, a subscription and an invoice each; staff; a token."""
    plan = f.plan("Standard", prices={"EUR": ("200", "60")})
    operator = f.user("operator")
    rows = {"operator": operator, "admin": f.user("admin"), "plan": plan}
    for name in ("acme", "beta"):
        client = f.client(name.title(), currency_code="EUR")
        ticket = f.ticket(client)
        rows[name] = {
            "user": f.user("client", client=client),
            "client": client,
            "ticket": ticket,
            "subscription": f.subscription(client, plan, date(2025, 6, 1)),
            "entry": log_time(ticket, operator, TimeInput(60, date(2025, 6, 2))),
        }
    for invoice in close_period("2025-06").invoices:
        rows[invoice.client.name.lower()]["invoice"] = invoice
    rows["currency"] = rows["acme"]["client"].currency
    rows["token"] = create_api_token(operator, "test")[0]
    db.session.commit()
    return rows


SCOPED = [
    (lookups.ticket_for, "ticket", "Ticket"),
    (lookups.time_entry_for, "entry", "Time entry"),
    (lookups.invoice_for, "invoice", "Invoice"),
    (lookups.client_for, "client", "Client"),
    (lookups.subscription_for, "subscription", "Subscription"),
]


@pytest.mark.parametrize(("loader", "key", "what"), SCOPED, ids=[k for _, k, _ in SCOPED])
def test_client_scoped_loaders(world, loader, key, what):
    acme, beta = world["acme"][key], world["beta"][key]
    for staff in (world["operator"], world["admin"]):
        assert loader(staff, acme.id) is acme and loader(staff, beta.id) is beta
    assert loader(world["acme"]["user"], acme.id) is acme
    for refused in (beta.id, UNKNOWN):  # another client's: the same answer as no such row
        with pytest.raises(NotFound) as caught:
            loader(world["acme"]["user"], refused)
        assert (caught.value.message, caught.value.status) == (f"{what} not found.", 404)
    with pytest.raises(NotFound):
        loader(world["operator"], UNKNOWN)


STAFF_ONLY = [
    (lookups.plan_for, "plan"),
    (lookups.currency_for, "currency"),
    (lookups.user_for, "operator"),
    (lookups.api_token_for, "token"),
]


@pytest.mark.parametrize(("loader", "key"), STAFF_ONLY, ids=[k for _, k in STAFF_ONLY])
def test_staff_only_loaders_refuse_client_users(world, loader, key):
    row = world[key]
    assert loader(world["operator"], row.id) is row and loader(world["admin"], row.id) is row
    with pytest.raises(NotFound):
        loader(world["acme"]["user"], row.id)
    with pytest.raises(NotFound):
        loader(world["admin"], UNKNOWN)


def test_a_subscription_under_another_clients_url_is_not_found(world):
    admin, acme, beta = world["admin"], world["acme"], world["beta"]
    sub = acme["subscription"]
    assert lookups.subscription_for(admin, sub.id, acme["client"]) is sub
    with pytest.raises(NotFound, match="Subscription not found"):
        lookups.subscription_for(admin, sub.id, beta["client"])
