"""Who may call what: every API endpoint as anonymous, client A, client B, operator, admin.

Objects in the paths belong to client A. Expected: anonymous 401; a role that may not call
the endpoint 403; client B on client A's objects 404 with none of A's data; allowed callers
get past authorisation (any answer but 401/403/404, and never a 5xx).
"""

from datetime import date

import pytest

from portal.extensions import db
from portal.services.billing import close_period
from portal.services.time_entries import TimeInput, log_time
from tests.api.test_openapi import routes

STAFF, ALL, ADMIN = {"operator", "admin"}, {"operator", "admin", "client_a"}, {"admin"}
# (method, path, roles that pass, whether it names one of client A's objects)
MATRIX = [
    ("get", "/me", ALL, False),
    ("get", "/settings", ADMIN, False),
    ("put", "/settings", ADMIN, False),
    ("get", "/currencies", ALL, False),
    ("post", "/currencies", ADMIN, False),
    ("get", "/plans", STAFF, False),
    ("post", "/plans", ADMIN, False),
    ("get", "/plans/{plan}", STAFF, False),
    ("patch", "/plans/{plan}", ADMIN, False),
    ("get", "/clients", STAFF, False),
    ("post", "/clients", ADMIN, False),
    ("get", "/clients/{client}", STAFF, True),
    ("get", "/clients/{client}/subscriptions", STAFF, True),
    ("post", "/clients/{client}/subscriptions", STAFF, True),
    ("post", "/subscriptions/{subscription}/cancel", ADMIN, True),
    ("get", "/tickets", ALL, False),
    ("post", "/tickets", ALL, False),
    ("get", "/tickets/{ticket}", ALL, True),
    ("patch", "/tickets/{ticket}", STAFF, True),
    ("post", "/tickets/{ticket}/replies", ALL, True),
    ("get", "/tickets/{ticket}/time-entries", ALL, True),
    ("post", "/tickets/{ticket}/time-entries", STAFF, True),
    ("patch", "/time-entries/{entry}", STAFF, True),
    ("delete", "/time-entries/{entry}", STAFF, True),
    ("get", "/clients/{client}/usage", ALL, True),
    ("get", "/billing/periods", ADMIN, False),
    ("post", "/billing/periods/2026-09/preview", ADMIN, False),
    ("post", "/billing/periods/2026-09/close", ADMIN, False),
    ("get", "/billable-items", ALL, False),
    ("get", "/invoices", ALL, False),
    ("get", "/invoices/{invoice}", ALL, True),
    ("post", "/invoices/{invoice}/mark-paid", ADMIN, True),
    ("post", "/invoices/{invoice}/cancel", ADMIN, True),
]
ROLES = ["anonymous", "client_a", "client_b", "operator", "admin"]


@pytest.fixture
def world(f):
    """Client A with a plan, a ticket, an entry by the operator and a closed August; client B."""
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    user_a, user_b = f.user("client"), f.user("client")
    sub = f.subscription(user_a.client, plan, date(2026, 8, 1))
    ticket = f.ticket(user_a.client, subject="Secret of client A")
    operator = f.user("operator")
    entry = log_time(ticket, operator, TimeInput(60, date(2026, 10, 5)))
    [invoice] = close_period("2026-08").invoices
    db.session.commit()
    tokens = {
        "client_a": user_a,
        "client_b": user_b,
        "operator": operator,
        "admin": f.user("admin"),
    }
    return {
        "ids": {
            "client": user_a.client_id,
            "plan": plan.id,
            "subscription": sub.id,
            "ticket": ticket.id,
            "entry": entry.id,
            "invoice": invoice.id,
        },
        "headers": {
            role: {"Authorization": f"Bearer {f.api_token(u)}"} for role, u in tokens.items()
        },
        "secret": invoice.number,
    }


def test_matrix_covers_every_api_route(app):
    described = {}
    for method, path, _roles, _owned in MATRIX:
        generic = path.replace("2026-09", "{period}")
        for name in ("plan", "client", "subscription", "ticket", "entry", "invoice"):
            generic = generic.replace("{" + name + "}", "{id}")
        described.setdefault(generic, set()).add(method)
    assert described == routes(app)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "allowed", "owned"), MATRIX, ids=[f"{m} {p}" for m, p, _a, _o in MATRIX]
)
def test_access(client, world, role, method, path, allowed, owned):
    url = "/api/v1" + path.format(**world["ids"])
    headers = world["headers"].get(role, {})
    kwargs = {} if method in ("get", "delete") else {"json": {}}
    response = getattr(client, method)(url, headers=headers, **kwargs)
    if role == "anonymous":
        assert response.status_code == 401
        return
    effective = "client_a" if role == "client_b" else role
    if effective not in allowed:
        assert response.status_code == 403
    elif role == "client_b" and owned:
        assert response.status_code == 404
        assert "Secret of client A" not in response.text and world["secret"] not in response.text
    else:
        assert response.status_code not in (401, 403, 404) and response.status_code < 500
    if role == "client_b":
        assert "Secret of client A" not in response.text
