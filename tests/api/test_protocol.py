"""HTTP as the API speaks it: ids in bodies are integers, bodies are JSON, 405 says what is
allowed, ids no row can have are 404 whatever the method, and every list pages."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import Plan, Subscription, Ticket, TimeEntry
from tests.helpers import count, today

NOT_INTEGERS = [True, False, 1.0, "1", "١", [1], {"id": 1}]


@pytest.fixture
def ctx(f):
    """Tokens for an admin, an operator and ACME's client user; a ticket and a plan."""
    acme = f.client("ACME")
    return {
        "acme": acme,
        "admin": {"Authorization": f"Bearer {f.api_token(f.user('admin'))}"},
        "operator": {"Authorization": f"Bearer {f.api_token(f.user('operator'))}"},
        "client": {"Authorization": f"Bearer {f.api_token(f.user('client', client=acme))}"},
        "ticket": f.ticket(acme),
        "plan": f.plan("Standard", prices={"EUR": ("200.00", "60.00")}),
    }


@pytest.mark.parametrize("value", NOT_INTEGERS, ids=repr)
@pytest.mark.parametrize("role", ["client", "admin"])
def test_client_id_of_a_new_ticket_must_be_an_integer(client, ctx, role, value):
    body = {"client_id": value, "subject": "Mail down", "message": "Since 9:00"}
    response = client.post("/api/v1/tickets", json=body, headers=ctx[role])
    assert response.status_code == 400, response.json
    assert response.json["error"] == "validation"
    assert response.json["fields"] == {"client_id": "Must be an integer."}
    assert count(Ticket) == 1


def test_a_client_naming_its_own_client_id_opens_the_ticket(client, ctx):
    body = {"client_id": ctx["acme"].id, "subject": "Mail down", "message": "Since 9:00"}
    response = client.post("/api/v1/tickets", json=body, headers=ctx["client"])
    assert response.status_code == 201 and response.json["client_id"] == ctx["acme"].id


@pytest.mark.parametrize("value", NOT_INTEGERS, ids=repr)
def test_plan_ids_must_be_integers(client, ctx, value):
    acme, ticket = ctx["acme"], ctx["ticket"]
    response = client.post(
        f"/api/v1/clients/{acme.id}/subscriptions",
        json={"plan_id": value},
        headers=ctx["admin"],
    )
    assert response.status_code == 400 and "plan_id" in response.json["fields"]
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/time-entries",
        json={"hours": "1", "assign_plan_id": value},
        headers=ctx["operator"],
    )
    assert response.status_code == 400 and "assign_plan_id" in response.json["fields"]
    assert count(Subscription) == 0 and count(TimeEntry) == 0


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/merge-patch+json", None],
)
def test_a_json_body_under_another_type_is_415_and_changes_nothing(client, ctx, content_type):
    ticket = ctx["ticket"]
    headers = dict(ctx["operator"])
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/time-entries",
        data=b'{"hours": "1.5"}',
        headers=headers,
    )
    assert response.status_code == 415
    assert response.json["error"] == "unsupported_media_type"
    assert count(TimeEntry) == 0


def test_json_with_a_charset_is_json(client, ctx):
    headers = {**ctx["operator"], "Content-Type": "application/json; charset=utf-8"}
    response = client.post(
        f"/api/v1/tickets/{ctx['ticket'].id}/time-entries",
        data=b'{"hours": "1.5", "billable": false}',
        headers=headers,
    )
    assert response.status_code == 201 and response.json["minutes"] == 90


def test_a_post_without_a_body_needs_no_type(client, ctx, f):
    sub = f.subscription(ctx["acme"], ctx["plan"], start=date(today().year, today().month, 1))
    response = client.post(f"/api/v1/subscriptions/{sub.id}/cancel", headers=ctx["admin"])
    assert response.status_code == 200 and response.json["end_date"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("delete", "/tickets/{ticket}", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("put", "/me", {"GET", "HEAD", "OPTIONS", "PATCH"}),
        ("post", "/billing/periods", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_405_names_the_allowed_methods(client, ctx, method, path, allowed):
    url = "/api/v1" + path.format(ticket=ctx["ticket"].id)
    response = getattr(client, method)(url, headers=ctx["admin"])
    assert response.status_code == 405 and response.json["error"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_405_on_a_page_names_the_allowed_methods_too(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"] and "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/tickets/0"),
        ("delete", "/time-entries/0"),
        ("patch", "/time-entries/2147483648"),
        ("post", "/tickets/0/replies"),
        ("post", "/invoices/99999999999/cancel"),
        ("get", "/tickets/\u0661"),  # an Arabic-Indic one is not 1
        ("patch", "/tickets/\u0661"),
    ],
)
def test_ids_no_row_can_have_are_404_whatever_the_method(client, ctx, method, path):
    response = getattr(client, method)("/api/v1" + path, json={}, headers=ctx["admin"])
    assert response.status_code == 404 and response.json["error"] == "not_found"


def test_currencies_page(client, ctx, f):
    for code in ("PLN", "USD", "CHF"):
        f.currency(code)
    first = client.get("/api/v1/currencies?page=1&per_page=2", headers=ctx["client"]).json
    second = client.get("/api/v1/currencies?page=2&per_page=2", headers=ctx["client"]).json
    assert (first["total"], first["page"], first["per_page"]) == (4, 1, 2)
    assert [c["code"] for c in first["items"]] == ["CHF", "EUR"]
    assert [c["code"] for c in second["items"]] == ["PLN", "USD"]
    bad = client.get("/api/v1/currencies?per_page=201", headers=ctx["client"])
    assert bad.status_code == 400 and "per_page" in bad.json["fields"]


def test_subscriptions_page(client, ctx, f):
    acme, plan = ctx["acme"], ctx["plan"]
    for month in (1, 2, 3):
        sub = f.subscription(acme, plan, start=date(2025, month, 1))
        sub.end_date = date(2025, month, 28)
    db.session.commit()
    url = f"/api/v1/clients/{acme.id}/subscriptions"
    page = client.get(url + "?page=2&per_page=2", headers=ctx["operator"]).json
    assert (page["total"], page["page"], page["per_page"]) == (3, 2, 2)
    assert [s["start_date"] for s in page["items"]] == ["2025-03-01"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Plan)) == 1


def test_staff_narrow_tickets_to_one_client_and_unknown_filters_are_400(client, ctx, f):
    globex = f.client("Globex")
    f.ticket(globex, subject="Globex VPN")
    url = "/api/v1/tickets"
    mine = client.get(f"{url}?client_id={globex.id}", headers=ctx["operator"]).json
    assert [t["subject"] for t in mine["items"]] == ["Globex VPN"]
    assert client.get(url, headers=ctx["operator"]).json["total"] == 2
    misspelt = client.get(f"{url}?client_ld={globex.id}", headers=ctx["operator"])
    assert misspelt.status_code == 400 and misspelt.json["fields"] == {
        "client_ld": "Unknown field."
    }
