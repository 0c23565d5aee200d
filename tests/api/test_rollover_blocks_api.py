"""SPEC.md "More ways to sell hours" through the API with tokens: plans with rollover and
block terms, the Flex and Block20 worked examples to the cent (closes, a top-up, usage), and
bad terms or top-ups refused with a message per field and nothing saved."""

import pytest

from portal.extensions import db
from portal.models import BillableItem, Client, HourPool, Invoice, Plan, PlanPrice
from tests.helpers import bearer, count, today

API = "/api/v1"


@pytest.fixture
def admin_token(f):
    """An admin's Authorization header; EUR to price plans and bill clients in."""
    f.currency("EUR", is_default=True)
    return bearer(f.api_token(f.user("admin")))


def post(client, token, path, body=None, status=201):
    """POST to the API, check the status, return the JSON."""
    response = client.post(API + path, json=body, headers=token)
    assert response.status_code == status, response.json
    return response.json


def get(client, token, path):
    """GET from the API, check it is 200, return the JSON."""
    response = client.get(API + path, headers=token)
    assert response.status_code == 200, response.json
    return response.json


def client_with_plan(client, token, name, plan_id, start):
    """A client billed in EUR, subscribed to the plan from `start`, with a ticket."""
    account = post(
        client, token, "/clients", {"name": name, "email": "ap@example.com", "currency": "EUR"}
    )
    subscription = post(
        client,
        token,
        f"/clients/{account['id']}/subscriptions",
        {"plan_id": plan_id, "start_date": start},
    )
    ticket = post(
        client,
        token,
        "/tickets",
        {"client_id": account["id"], "subject": "Servers", "message": "Help"},
    )
    return account, subscription, ticket


def log(client, token, ticket, hours, day):
    """Log billable hours on the ticket."""
    body = {"hours": hours, "work_date": day}
    post(client, token, f"/tickets/{ticket['id']}/time-entries", body)


def close(client, token, period) -> dict[str, str]:
    """Close a month; its items' amounts by kind."""
    closed = post(client, token, f"/billing/periods/{period}/close", status=200)
    return {item["kind"]: item["amount"] for item in closed["items"]}


def usage(client, token, account, period) -> dict:
    """The client's usage of a month."""
    return get(client, token, f"/clients/{account['id']}/usage?period={period}")


FLEX = {
    "name": "Flex",
    "model": "package",
    "included_hours": "10",
    "prorate": True,
    "rollover_months": 1,
    "prices": [{"currency": "EUR", "fee": "300.00", "rate": "80.00"}],
}


def test_flex_worked_example_through_the_api(client, admin_token):
    plan = post(client, admin_token, "/plans", FLEX)
    assert (plan["rollover_months"], plan["rollover_cap_hours"]) == (1, None)
    assert (plan["block_hours"], plan["validity_months"], plan["when_used_up"]) == (
        None,
        None,
        None,
    )
    account, subscription, ticket = client_with_plan(
        client, admin_token, "Flexer", plan["id"], "2026-09-01"
    )
    assert (subscription["rollover_months"], subscription["rollover_cap_hours"]) == (1, None)
    log(client, admin_token, ticket, "6", "2026-09-10")
    assert close(client, admin_token, "2026-09") == {"package_fee": "300.00"}
    september = usage(client, admin_token, account, "2026-09")
    assert (september["carried_in_hours"], september["carried_out_hours"]) == ("0.00", "4.00")
    log(client, admin_token, ticket, "12", "2026-10-10")
    assert close(client, admin_token, "2026-10") == {"package_fee": "300.00"}
    october = usage(client, admin_token, account, "2026-10")
    assert (
        october["carried_in_hours"],
        october["carry_used_hours"],
        october["carried_out_hours"],
        october["overtime_hours"],
    ) == ("4.00", "4.00", "2.00", "0.00")
    assert october["carry_overs"] == [
        {
            "from_period": "2026-09",
            "hours": "4.00",
            "left_hours": "0.00",
            "valid_until": "2026-10-31",
        }
    ]
    assert (october["blocks"], october["block_left_hours"]) == ([], "0.00")
    log(client, admin_token, ticket, "13", "2026-11-10")
    assert close(client, admin_token, "2026-11") == {
        "package_fee": "300.00",
        "overtime": "80.00",
    }
    november = usage(client, admin_token, account, "2026-11")
    assert (
        november["carried_in_hours"],
        november["carry_used_hours"],
        november["carried_out_hours"],
        november["overtime_hours"],
        november["overtime_amount"],
    ) == ("2.00", "2.00", "0.00", "1.00", "80.00")


BLOCK20 = {
    "name": "Block20",
    "model": "block",
    "block_hours": "20",
    "validity_months": 3,
    "when_used_up": "overtime",
    "prices": [{"currency": "EUR", "fee": "1000.00", "rate": "70.00"}],
}


def test_block20_worked_example_through_the_api(client, admin_token, f):
    plan = post(client, admin_token, "/plans", BLOCK20)
    assert (plan["model"], plan["block_hours"], plan["validity_months"]) == ("block", "20.00", 3)
    assert (plan["when_used_up"], plan["included_hours"], plan["rollover_months"]) == (
        "overtime",
        "0.00",
        0,
    )
    assert plan["prices"] == [{"currency": "EUR", "fee": "1000.00", "rate": "70.00"}]
    account, subscription, ticket = client_with_plan(
        client, admin_token, "Delta", plan["id"], "2026-08-10"
    )
    assert (subscription["block_hours"], subscription["validity_months"]) == ("20.00", 3)
    assert (subscription["when_used_up"], subscription["fee"]) == ("overtime", "1000.00")
    [bought] = get(client, admin_token, f"/invoices?client_id={account['id']}")["items"]
    assert (bought["net_total"], bought["issue_date"]) == ("1000.00", today().isoformat())
    assert [line["kind"] for line in bought["lines"]] == ["block_fee"]
    log(client, admin_token, ticket, "6", "2026-08-20")
    assert close(client, admin_token, "2026-08") == {}
    august = usage(client, admin_token, account, "2026-08")
    assert (august["used_hours"], august["block_left_hours"]) == ("6.00", "14.00")
    log(client, admin_token, ticket, "15", "2026-09-20")
    assert close(client, admin_token, "2026-09") == {"overtime": "70.00"}
    operator = bearer(f.api_token(f.user("operator")))  # staff may top up, not only admins
    top_up = post(
        client, operator, f"/subscriptions/{subscription['id']}/top-ups", {"date": "2026-10-05"}
    )
    purchase = top_up["purchase"]
    assert (purchase["hours"], purchase["valid_from"], purchase["valid_until"]) == (
        "20.00",
        "2026-10-05",
        "2027-01-04",
    )
    invoice = top_up["invoice"]
    assert (invoice["net_total"], invoice["client_id"], invoice["period"]) == (
        "1000.00",
        account["id"],
        None,
    )
    assert [(ln["kind"], ln["hours"], ln["amount"]) for ln in invoice["lines"]] == [
        ("block_fee", "20.00", "1000.00")
    ]
    assert get(client, admin_token, f"/invoices/{invoice['id']}")["number"] == invoice["number"]
    log(client, admin_token, ticket, "5", "2026-10-20")
    assert close(client, admin_token, "2026-10") == {}
    october = usage(client, admin_token, account, "2026-10")
    assert october["block_left_hours"] == "15.00"
    assert [
        (b["hours"], b["used_hours"], b["left_hours"], b["valid_from"], b["valid_until"])
        for b in october["blocks"]
    ] == [
        ("20.00", "20.00", "0.00", "2026-08-10", "2026-11-09"),
        ("20.00", "5.00", "15.00", "2026-10-05", "2027-01-04"),
    ]
    assert october["blocks"][1]["id"] == purchase["id"]
    assert (october["overtime_hours"], october["used_hours"]) == ("0.00", "5.00")


def test_a_plan_changes_model_and_its_terms_over_patch(client, admin_token):
    plan = post(client, admin_token, "/plans", {**FLEX, "rollover_cap_hours": "5"})
    assert plan["rollover_cap_hours"] == "5.00"
    url = f"{API}/plans/{plan['id']}"
    no_cap = client.patch(url, json={"rollover_cap_hours": None}, headers=admin_token)
    assert no_cap.status_code == 200 and no_cap.json["rollover_cap_hours"] is None
    assert no_cap.json["rollover_months"] == 1  # what the PATCH left out is kept
    blocks = {
        "model": "block",
        "block_hours": "7:30",
        "validity_months": 12,
        "when_used_up": "refuse",
    }
    changed = client.patch(url, json=blocks, headers=admin_token)
    assert changed.status_code == 200, changed.json
    assert (changed.json["block_hours"], changed.json["validity_months"]) == ("7.50", 12)
    assert (changed.json["rollover_months"], changed.json["included_hours"]) == (0, "0.00")
    assert changed.json["when_used_up"] == "refuse"
    again = client.patch(url, json={"validity_months": 6}, headers=admin_token)
    assert again.status_code == 200 and again.json["block_hours"] == "7.50"


BAD_PLANS = [
    ({**FLEX, "rollover_months": 13}, "rollover_months"),
    ({**FLEX, "rollover_months": -1}, "rollover_months"),
    ({**FLEX, "rollover_months": "1"}, "rollover_months"),
    ({**FLEX, "rollover_cap_hours": "2.1"}, "rollover_cap_hours"),
    ({**FLEX, "rollover_cap_hours": "7:20"}, "rollover_cap_hours"),
    ({**FLEX, "rollover_cap_hours": 5}, "rollover_cap_hours"),
    ({**BLOCK20, "block_hours": "0"}, "block_hours"),
    ({**BLOCK20, "block_hours": "20.1"}, "block_hours"),
    ({**BLOCK20, "validity_months": 0}, "validity_months"),
    ({**BLOCK20, "validity_months": 37}, "validity_months"),
    ({**BLOCK20, "when_used_up": "bill"}, "when_used_up"),
    ({**BLOCK20, "rollover_months": 1}, "rollover_months"),
    ({**BLOCK20, "prices": [{"currency": "EUR", "fee": "0", "rate": "70.00"}]}, "prices[EUR].fee"),
    ({**FLEX, "block_hours": "20"}, "block_hours"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PLANS, ids=[f for _, f in BAD_PLANS])
def test_bad_terms_are_400_naming_the_field_and_save_nothing(client, admin_token, body, field):
    response = client.post(f"{API}/plans", json=body, headers=admin_token)
    assert response.status_code == 400, response.json
    assert response.json["error"] == "validation" and field in response.json["fields"]
    assert (count(Plan), count(PlanPrice)) == (0, 0)


def test_every_bad_term_is_named_at_once(client, admin_token):
    body = {**BLOCK20, "block_hours": "0", "validity_months": 0}
    response = client.post(f"{API}/plans", json=body, headers=admin_token)
    assert response.status_code == 400
    assert {"block_hours", "validity_months"} <= set(response.json["fields"])


def test_a_bad_patch_keeps_the_plan(client, admin_token):
    plan = post(client, admin_token, "/plans", BLOCK20)
    url = f"{API}/plans/{plan['id']}"
    response = client.patch(url, json={"validity_months": 37}, headers=admin_token)
    assert response.status_code == 400 and "validity_months" in response.json["fields"]
    assert get(client, admin_token, f"/plans/{plan['id']}")["validity_months"] == 3


@pytest.fixture
def delta(client, admin_token):
    """Delta on Block20 from 2026-08-10 (its first block bought), August closed."""
    plan = post(client, admin_token, "/plans", BLOCK20)
    account, subscription, _ = client_with_plan(
        client, admin_token, "Delta", plan["id"], "2026-08-10"
    )
    close(client, admin_token, "2026-08")
    return subscription


def purchases() -> tuple[int, int, int]:
    """Blocks, block items and invoices in the database."""
    db.session.expire_all()
    return count(HourPool), count(BillableItem), count(Invoice)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"date": "2099-01-05"}, "date"),  # in the future
        ({"date": "2026-08-20"}, "date"),  # August is closed
        ({"date": "2026-08-01"}, "date"),  # before the subscription
        ({"date": "2026-10-5"}, "date"),
        ({"date": 20261005}, "date"),
        ({"date": "2026-10-05", "hours": "40"}, "hours"),
    ],
)
def test_a_bad_top_up_is_400_and_buys_nothing(client, admin_token, delta, body, field):
    before = purchases()
    response = client.post(
        f"{API}/subscriptions/{delta['id']}/top-ups", json=body, headers=admin_token
    )
    assert response.status_code == 400, response.json
    assert response.json["error"] == "validation" and field in response.json["fields"]
    assert purchases() == before


def test_a_package_subscription_is_not_topped_up(client, admin_token):
    plan = post(client, admin_token, "/plans", FLEX)
    _, subscription, _ = client_with_plan(client, admin_token, "Flexer", plan["id"], "2026-09-01")
    response = client.post(
        f"{API}/subscriptions/{subscription['id']}/top-ups",
        json={"date": "2026-10-05"},
        headers=admin_token,
    )
    assert response.status_code == 400
    assert "block" in response.json["fields"]["subscription"]
    assert purchases() == (0, 0, 0)


def test_a_top_up_is_dated_today_by_default(client, admin_token, delta):
    response = client.post(f"{API}/subscriptions/{delta['id']}/top-ups", headers=admin_token)
    assert response.status_code == 201, response.json
    assert response.json["purchase"]["valid_from"] == today().isoformat()


def test_top_ups_unknown_subscription_404_client_token_403(client, admin_token, delta, f):
    unknown = client.post(
        f"{API}/subscriptions/999999/top-ups", json={"date": "2026-10-05"}, headers=admin_token
    )
    assert unknown.status_code == 404
    own_user = f.user("client", client=db.session.get(Client, delta["client_id"]))
    before = purchases()
    refused = client.post(
        f"{API}/subscriptions/{delta['id']}/top-ups",
        json={"date": "2026-10-05"},
        headers=bearer(f.api_token(own_user)),
    )
    assert refused.status_code == 403 and refused.json["error"] == "forbidden"
    assert purchases() == before


def test_the_document_describes_terms_top_ups_and_usage(client):
    doc = client.get(f"{API}/openapi.json").json
    schemas = doc["components"]["schemas"]
    plan_in = schemas["PlanIn"]["properties"]
    assert plan_in["model"]["enum"] == ["package", "hourly", "block", None]  # null: not given
    assert (plan_in["rollover_months"]["minimum"], plan_in["rollover_months"]["maximum"]) == (0, 12)
    assert plan_in["rollover_cap_hours"]["type"] == ["string", "null"]
    assert {"block_hours", "validity_months", "when_used_up"} <= set(plan_in)
    for name in ("PlanOut", "SubscriptionOut"):
        terms = {"rollover_months", "rollover_cap_hours", "block_hours", "validity_months"}
        assert terms | {"when_used_up"} <= set(schemas[name]["required"]), name
    top_up = doc["paths"]["/subscriptions/{subscription_id}/top-ups"]["post"]
    assert set(top_up["responses"]) >= {"201", "400", "403", "404"}
    assert schemas["TopUpOut"]["required"] == ["invoice", "purchase"]
    assert set(schemas["PurchaseOut"]["required"]) == {"id", "hours", "valid_from", "valid_until"}
    usage = set(schemas["UsageOut"]["required"])
    assert {"carried_in_hours", "carry_used_hours", "carried_out_hours"} <= usage
    assert {"blocks", "block_left_hours"} <= usage
    assert set(schemas["BlockOut"]["required"]) == {
        "id",
        "hours",
        "used_hours",
        "left_hours",
        "valid_from",
        "valid_until",
    }


def test_a_bought_block_counts_in_no_months_totals(client, admin_token, delta):
    # The block's item has no period: it was invoiced when bought, not by a close.
    periods = {p["period"]: p for p in get(client, admin_token, "/billing/periods")}
    assert (periods["2026-08"]["items"], periods["2026-08"]["total_by_currency"]) == (0, {})
