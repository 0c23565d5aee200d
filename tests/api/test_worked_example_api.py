"""SPEC.md's worked example, driven entirely through the API, and catalogue bad input."""

import pytest

from portal.extensions import db
from portal.models import Client, Currency, Plan, Subscription
from tests.helpers import bearer


@pytest.fixture
def admin_token(f):
    """The Authorization header of an admin's API token."""
    return bearer(f.api_token(f.user("admin")))


def test_worked_example_through_the_api(client, admin_token, f):
    put = client.put(
        "/api/v1/settings", json={"business_timezone": "Europe/Warsaw"}, headers=admin_token
    )
    assert put.status_code == 200 and put.json["business_timezone"] == "Europe/Warsaw"
    eur = client.post(
        "/api/v1/currencies",
        json={"code": "EUR", "decimals": 2, "prefix": "€", "is_default": True},
        headers=admin_token,
    )
    assert eur.status_code == 201
    plan = client.post(
        "/api/v1/plans",
        json={
            "name": "Standard",
            "model": "package",
            "included_hours": "10",
            "prorate": True,
            "prices": [{"currency": "EUR", "fee": "200.00", "rate": "60.00"}],
        },
        headers=admin_token,
    )
    assert plan.status_code == 201, plan.json
    assert plan.json["prices"] == [{"currency": "EUR", "fee": "200.00", "rate": "60.00"}]
    acme = client.post(
        "/api/v1/clients",
        json={"name": "ACME", "email": "billing@acme.example.com", "currency": "EUR"},
        headers=admin_token,
    )
    assert acme.status_code == 201 and acme.json["subscription"] is None
    ticket = client.post(
        "/api/v1/tickets",
        json={"client_id": acme.json["id"], "subject": "Servers", "message": "Help"},
        headers=admin_token,
    ).json
    entries = f"/api/v1/tickets/{ticket['id']}/time-entries"
    first = client.post(
        entries,
        json={"hours": "4.25", "work_date": "2026-09-11", "assign_plan_id": plan.json["id"]},
        headers=admin_token,
    )
    assert first.status_code == 201, first.json
    for body in (
        {"hours": "3.50", "work_date": "2026-09-22"},
        {"hours": "1.00", "work_date": "2026-09-23", "billable": False},
    ):
        assert client.post(entries, json=body, headers=admin_token).status_code == 201
    subs = client.get(f"/api/v1/clients/{acme.json['id']}/subscriptions", headers=admin_token).json
    assert subs["items"][0]["start_date"] == "2026-09-11"
    assert subs["items"][0]["fee"] == "200.00" and subs["items"][0]["included_hours"] == "10.00"
    closed = client.post("/api/v1/billing/periods/2026-09/close", headers=admin_token).json
    assert {i["kind"]: i["amount"] for i in closed["items"]} == {
        "package_fee": "133.33",
        "overtime": "60.00",
    }
    [invoice] = closed["invoices"]
    assert invoice["total"] == "193.33" and invoice["currency"] == "EUR"
    assert len(invoice["lines"]) == 2
    usage = client.get(
        f"/api/v1/clients/{acme.json['id']}/usage?period=2026-09", headers=admin_token
    ).json
    assert (usage["included_hours"], usage["used_hours"], usage["overtime_hours"]) == (
        "6.75",
        "7.75",
        "1.00",
    )


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/currencies", {"code": "EURO"}, "code"),
        ("/api/v1/currencies", {"code": "USD", "decimals": "2"}, "decimals"),
        ("/api/v1/currencies", {"code": "USD", "decimals": 9}, "decimals"),
        ("/api/v1/plans", {"name": "X", "model": "weekly"}, "model"),
        ("/api/v1/plans", {"name": "X", "prices": "EUR 200"}, "prices"),
        (
            "/api/v1/plans",
            {"name": "X", "prices": [{"currency": "EUR", "fee": 1, "rate": 1}]},
            "prices[0].fee",  # each refused key of a price is named
        ),
        (
            "/api/v1/plans",
            {
                "name": "X",
                "included_hours": "10",
                "prices": [{"currency": "XXX", "fee": "1", "rate": "1"}],
            },
            "prices",
        ),
        ("/api/v1/clients", {"name": "A", "email": "a@example.com", "currency": "XXX"}, "currency"),
        ("/api/v1/clients", {"name": "", "email": "a@example.com", "currency": "EUR"}, "name"),
        ("/api/v1/clients", {"name": "A", "email": 7, "currency": "EUR"}, "email"),
    ],
)
def test_catalogue_bad_input_is_400_with_fields(client, admin_token, f, path, body, field):
    f.currency("EUR", is_default=True)
    before = [
        db.session.scalar(db.select(db.func.count()).select_from(m))
        for m in (Currency, Plan, Client)
    ]
    response = client.post(path, json=body, headers=admin_token)
    assert response.status_code == 400, response.json
    assert response.json["error"] == "validation" and field in response.json["fields"]
    after = [
        db.session.scalar(db.select(db.func.count()).select_from(m))
        for m in (Currency, Plan, Client)
    ]
    assert before == after


def test_settings_put_refuses_bad_values(client, admin_token):
    for body, field in (
        ({"due_days": -1}, "due_days"),
        ({"due_days": "14"}, "due_days"),
        ({"invoice_number_format": "{YYYY}"}, "invoice_number_format"),
        ({"business_timezone": "Mars/Base"}, "business_timezone"),
        ({"invoice_on_close": "yes"}, "invoice_on_close"),
    ):
        response = client.put("/api/v1/settings", json=body, headers=admin_token)
        assert response.status_code == 400 and field in response.json["fields"]
    assert client.get("/api/v1/settings", headers=admin_token).json["due_days"] == 14


def test_subscription_assign_and_cancel(client, admin_token, f):
    acme = f.client("ACME")
    plan = f.plan("Standard")
    operator = bearer(f.api_token(f.user("operator")))
    url = f"/api/v1/clients/{acme.id}/subscriptions"
    created = client.post(url, json={"plan_id": plan.id}, headers=operator)
    assert created.status_code == 201 and created.json["end_date"] is None
    clash = client.post(url, json={"plan_id": plan.id}, headers=operator)
    assert clash.status_code == 400 and "plan" in clash.json["fields"]
    cancel_url = f"/api/v1/subscriptions/{created.json['id']}/cancel"
    assert client.post(cancel_url, headers=operator).status_code == 403
    cancelled = client.post(cancel_url, headers=admin_token)
    assert cancelled.status_code == 200 and cancelled.json["end_date"] is not None
    assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 1
    client_token = bearer(f.api_token(f.user("client", client=acme)))
    assert client.get(f"/api/v1/clients/{acme.id}", headers=client_token).status_code == 403
