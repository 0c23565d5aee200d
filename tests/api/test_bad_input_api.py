"""A bad-input table for the POST/PATCH endpoints not covered elsewhere: 400 with the field
named, or 404 for an unknown id, and nothing changed in the database."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, Plan, Subscription, Ticket, TicketMessage


@pytest.fixture
def ctx(f):
    """An admin token, a client with a ticket, and a plan."""
    client_row = f.client("ACME")
    return {
        "admin": {"Authorization": f"Bearer {f.api_token(f.user('admin'))}"},
        "client": client_row,
        "ticket": f.ticket(client_row),
        "plan": f.plan("Standard", prices={"EUR": ("200.00", "60.00")}),
    }


def state():
    """Counts of everything these endpoints could change."""
    return [
        db.session.scalar(db.select(db.func.count()).select_from(m))
        for m in (Plan, Subscription, Ticket, TicketMessage, AuditLogEntry)
    ]


CASES = [
    ("post", "/tickets", {"client_id": "1", "subject": "x", "message": "y"}, "client_id"),
    ("post", "/tickets", {"client_id": 999999, "subject": "x", "message": "y"}, "client_id"),
    ("post", "/tickets", {"client_id": "{client}", "subject": "", "message": "y"}, "subject"),
    (
        "post",
        "/tickets",
        {"client_id": "{client}", "subject": "x" * 201, "message": "y"},
        "subject",
    ),
    (
        "post",
        "/tickets",
        {"client_id": "{client}", "subject": "x", "message": "y", "priority": "Whenever"},
        "priority",
    ),
    (
        "post",
        "/tickets",
        {"client_id": "{client}", "subject": "x", "message": "y", "time_tracking": "no"},
        "time_tracking",
    ),
    ("patch", "/tickets/{ticket}", {"status": 3}, "status"),
    ("patch", "/tickets/{ticket}", {"time_tracking": 0}, "time_tracking"),
    ("patch", "/tickets/{ticket}", {"number": "123456"}, "number"),
    ("post", "/tickets/{ticket}/replies", {}, "message"),
    ("post", "/tickets/{ticket}/replies", {"message": "   "}, "message"),
    ("post", "/tickets/{ticket}/replies", {"message": "hi", "status": "Gone"}, "status"),
    ("post", "/tickets/{ticket}/replies", {"message": "x" * 20_001}, "message"),
    ("patch", "/plans/{plan}", {"model": "weekly"}, "model"),
    ("patch", "/plans/{plan}", {"name": ""}, "name"),
    ("patch", "/plans/{plan}", {"included_hours": "10.1"}, "included_hours"),
    (
        "patch",
        "/plans/{plan}",
        {"prices": [{"currency": "EUR", "fee": "-1", "rate": "60"}]},
        "prices[EUR].fee",
    ),
    ("patch", "/plans/{plan}", {"active": "yes"}, "active"),
    ("post", "/clients/{client}/subscriptions", {}, "plan_id"),
    (
        "post",
        "/clients/{client}/subscriptions",
        {"plan_id": "{plan}", "start_date": "11/09/2026"},
        "start_date",
    ),
    ("post", "/clients/{client}/subscriptions", {"plan_id": 999999}, "plan"),
    (
        "post",
        "/clients/{client}/subscriptions",
        {"plan_id": "{plan}", "start_date": "1999-01-01"},
        "start_date",
    ),
]


def fill(value, ctx):
    """Put the fixture's ids into a body value."""
    ids = {"{client}": ctx["client"].id, "{plan}": ctx["plan"].id, "{ticket}": ctx["ticket"].id}
    if isinstance(value, dict):
        return {k: fill(v, ctx) for k, v in value.items()}
    return ids.get(value, value) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"), CASES, ids=[f"{m} {p} {f}" for m, p, _b, f in CASES]
)
def test_bad_input_is_400_naming_the_field_and_changes_nothing(
    client, ctx, method, path, payload, field
):
    url = "/api/v1" + path.format(
        client=ctx["client"].id, ticket=ctx["ticket"].id, plan=ctx["plan"].id
    )
    before = state()
    response = getattr(client, method)(url, json=fill(payload, ctx), headers=ctx["admin"])
    assert response.status_code == 400, response.json
    assert response.json["error"] == "validation" and field in response.json["fields"]
    assert state() == before


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/tickets/999999"),
        ("post", "/tickets/999999/replies"),
        ("patch", "/plans/999999"),
        ("post", "/clients/999999/subscriptions"),
        ("post", "/subscriptions/999999/cancel"),
        ("patch", "/time-entries/999999"),
        ("post", "/invoices/999999/mark-paid"),
    ],
)
def test_unknown_ids_are_404(client, ctx, method, path):
    response = getattr(client, method)("/api/v1" + path, json={}, headers=ctx["admin"])
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_cancelling_twice_is_refused(client, ctx, f):
    sub = f.subscription(ctx["client"], ctx["plan"], date(2026, 1, 1))
    url = f"/api/v1/subscriptions/{sub.id}/cancel"
    assert client.post(url, headers=ctx["admin"]).status_code == 200
    again = client.post(url, headers=ctx["admin"])
    assert again.status_code in (400, 409) and again.json["error"] != "server_error"
