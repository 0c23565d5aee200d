"""Billing over the API: periods, preview, close (also 8 at once), items, invoices, usage."""

import threading
from datetime import date

import pytest

from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Invoice
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import bearer, count, this_month_start


@pytest.fixture
def shop(f):
    """ACME (worked example, 7.75 h billable in September) and Beta; tokens for every role."""
    save_settings({"business_timezone": "Europe/Warsaw"})
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    acme_user, beta_user = f.user("client"), f.user("client")
    f.subscription(acme_user.client, plan, date(2026, 9, 11))
    f.subscription(beta_user.client, plan, date(2026, 9, 1))
    log_time(f.ticket(acme_user.client), f.user("operator"), TimeInput(465, date(2026, 9, 14)))
    db.session.commit()
    return {
        "acme": acme_user.client,
        "beta": beta_user.client,
        "admin": bearer(f.api_token(f.user("admin"))),
        "operator": bearer(f.api_token(f.user("operator"))),
        "acme_token": bearer(f.api_token(acme_user)),
        "beta_token": bearer(f.api_token(beta_user)),
    }


def close(client, shop, period="2026-09"):
    """POST the close as admin."""
    return client.post(f"/api/v1/billing/periods/{period}/close", headers=shop["admin"])


def test_preview_then_close_then_close_again(client, shop):
    preview = client.post("/api/v1/billing/periods/2026-09/preview", headers=shop["admin"])
    assert preview.status_code == 200 and count(BillingPeriod) == 0
    acme_rows = [r for r in preview.json["items"] if r["client_id"] == shop["acme"].id]
    assert {r["kind"]: r["amount"] for r in acme_rows} == {
        "package_fee": "133.33",
        "overtime": "60.00",
    }
    first = close(client, shop)
    assert first.status_code == 200 and first.json["already_closed"] is False
    acme_invoice = next(i for i in first.json["invoices"] if i["client_id"] == shop["acme"].id)
    assert acme_invoice["total"] == "193.33" and len(acme_invoice["lines"]) == 2
    assert acme_invoice["status"] == "Unpaid" and acme_invoice["period"] == "2026-09"
    second = close(client, shop)
    assert second.json["already_closed"] is True
    assert sorted(i["id"] for i in second.json["items"]) == sorted(
        i["id"] for i in first.json["items"]
    )
    assert (count(BillableItem), count(Invoice)) == (3, 2)


def test_current_month_is_400_period_not_ended(client, shop):
    response = close(client, shop, this_month_start().strftime("%Y-%m"))
    assert response.status_code == 400 and response.json["error"] == "period_not_ended"


@pytest.mark.parametrize("period", ["2026-13", "abc", "2026-9"])
def test_malformed_period_is_400_with_field(client, shop, period):
    response = close(client, shop, period)
    assert response.status_code == 400 and "period" in response.json["fields"]


def test_eight_simultaneous_closes_bill_once(app, shop):
    db.session.commit()
    answers, barrier = [], threading.Barrier(8)

    def call():
        http = app.test_client()
        barrier.wait()
        response = http.post("/api/v1/billing/periods/2026-09/close", headers=shop["admin"])
        answers.append((response.status_code, (response.json or {}).get("already_closed")))

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answers) == [(200, False)] + [(200, True)] * 7
    assert (count(BillingPeriod), count(BillableItem), count(Invoice)) == (1, 3, 2)


def test_periods_list(client, shop):
    close(client, shop)
    periods = client.get("/api/v1/billing/periods", headers=shop["admin"]).json
    september = next(p for p in periods if p["period"] == "2026-09")
    assert september["status"] == "closed" and september["items"] == 3
    assert september["invoices"] == 2 and september["total_by_currency"] == {"EUR": "393.33"}
    assert any(p["status"] == "open" for p in periods)


def test_client_tokens_see_only_their_own_items_and_invoices(client, shop):
    close(client, shop)
    items = client.get("/api/v1/billable-items?period=2026-09", headers=shop["acme_token"]).json
    assert {i["client_id"] for i in items["items"]} == {shop["acme"].id} and items["total"] == 2
    snooping = client.get(
        f"/api/v1/billable-items?client_id={shop['beta'].id}", headers=shop["acme_token"]
    ).json
    assert {i["client_id"] for i in snooping["items"]} == {shop["acme"].id}
    beta_invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["beta"].id))
    response = client.get(f"/api/v1/invoices/{beta_invoice.id}", headers=shop["acme_token"])
    assert response.status_code == 404 and beta_invoice.number not in response.text
    own = client.get("/api/v1/invoices", headers=shop["acme_token"]).json
    assert [i["client_id"] for i in own["items"]] == [shop["acme"].id]


def test_mark_paid_and_invalid_transition(client, shop):
    close(client, shop)
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    url = f"/api/v1/invoices/{invoice.id}"
    assert client.post(f"{url}/mark-paid", headers=shop["operator"]).status_code == 403
    paid = client.post(f"{url}/mark-paid", headers=shop["admin"])
    assert paid.status_code == 200 and paid.json["status"] == "Paid" and paid.json["paid_date"]
    again = client.post(f"{url}/cancel", headers=shop["admin"])
    assert again.status_code == 409 and again.json["error"] == "invalid_transition"


def test_usage_for_a_closed_and_the_current_month(client, shop):
    close(client, shop)
    url = f"/api/v1/clients/{shop['acme'].id}/usage"
    september = client.get(f"{url}?period=2026-09", headers=shop["acme_token"]).json
    assert september == {
        "period": "2026-09",
        "plan": "Standard",
        "model": "package",
        "currency": "EUR",
        "included_hours": "6.75",
        "used_hours": "7.75",
        "remaining_hours": "0.00",
        "overtime_hours": "1.00",
        "overtime_amount": "60.00",
        "carried_in_hours": "0.00",
        "carry_used_hours": "0.00",
        "carried_out_hours": "0.00",
        "carry_overs": [],
        "blocks": [],
        "block_left_hours": "0.00",
    }
    current = client.get(url, headers=shop["operator"]).json
    assert current["period"] == this_month_start().strftime("%Y-%m")
    assert current["included_hours"] == "10.00" and current["used_hours"] == "0.00"
    other = client.get(f"/api/v1/clients/{shop['beta'].id}/usage", headers=shop["acme_token"])
    assert other.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/billing/periods"),
        ("post", "/api/v1/billing/periods/2026-09/close"),
        ("post", "/api/v1/billing/periods/2026-09/preview"),
    ],
)
@pytest.mark.parametrize("who", ["operator", "acme_token"])
def test_billing_endpoints_are_admin_only(client, shop, method, path, who):
    response = getattr(client, method)(path, headers=shop[who])
    assert response.status_code == 403
    assert count(BillingPeriod) == 0
