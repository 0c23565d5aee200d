"""Tickets and time entries over the API, with real tokens."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Subscription, TicketMessage, TimeEntry
from tests.helpers import bearer, close_month, count, last_month_day, today


@pytest.fixture
def desk(f):
    """A EUR client without a plan, its ticket, an EUR plan, tokens for operator and client."""
    client_user = f.user("client")
    operator = f.user("operator")
    return {
        "client": client_user.client,
        "ticket": f.ticket(client_user.client),
        "plan": f.plan("Standard", prices={"EUR": ("200.00", "60.00")}),
        "op": bearer(f.api_token(operator)),
        "cl": bearer(f.api_token(client_user)),
        "operator": operator,
    }


def post_entry(client, desk, **body):
    """POST a time entry as the operator."""
    return client.post(
        f"/api/v1/tickets/{desk['ticket'].id}/time-entries", json=body, headers=desk["op"]
    )


def test_log_time_with_plan_on_the_spot(client, desk):
    response = post_entry(
        client, desk, hours="1:30", note="Restart", assign_plan_id=desk["plan"].id
    )
    assert response.status_code == 201
    sub = db.session.scalar(db.select(Subscription))
    assert response.json == {
        "id": response.json["id"],
        "ticket_id": desk["ticket"].id,
        "subscription_id": sub.id,
        "minutes": 90,
        "hours": "1.50",
        "work_date": today().isoformat(),
        "billable": True,
        "note": "Restart",
        "operator_id": desk["operator"].id,
    }
    assert sub.start_date == today()
    again = post_entry(client, desk, hours="1", assign_plan_id=desk["plan"].id)
    assert again.status_code == 400 and "assign_plan_id" in again.json["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hours": "1.1"}, "hours"),
        ({"hours": 1.5}, "hours"),
        ({"hours": None}, "hours"),
        ({}, "hours"),
        ({"hours": "1", "work_date": "2026-02-30"}, "work_date"),
        ({"hours": "1", "billable": "yes"}, "billable"),
        ({"hours": "1", "note": 5}, "note"),
        ({"hours": "1", "assign_plan_id": "1"}, "assign_plan_id"),
        ({"hours": "1", "assign_plan_id": 99999}, "assign_plan_id"),
        ({"hours": "1", "surprise": True}, "surprise"),
        ({"hours": "1"}, "assign_plan_id"),  # billable, no plan, none chosen
    ],
)
def test_bad_time_entries_are_400_with_fields_and_save_nothing(client, desk, body, field):
    response = post_entry(client, desk, **body)
    assert response.status_code == 400
    assert response.json["error"] == "validation" and field in response.json["fields"]
    assert (count(TimeEntry), count(Subscription)) == (0, 0)


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'"text"', b"", b'{"hours": NaN}'])
def test_bodies_that_are_not_json_objects_are_400(client, desk, payload):
    response = client.post(
        f"/api/v1/tickets/{desk['ticket'].id}/time-entries",
        data=payload,
        headers={**desk["op"], "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json["error"] == "validation"


def test_future_date_is_refused(client, desk):
    response = post_entry(
        client, desk, hours="1", billable=False, work_date=(today() + timedelta(days=1)).isoformat()
    )
    assert response.status_code == 400 and "work_date" in response.json["fields"]


def test_patch_and_delete_and_period_closed(client, desk, f):
    f.subscription(desk["client"], desk["plan"], last_month_day() - timedelta(days=40))
    created = post_entry(client, desk, hours="2", work_date=last_month_day().isoformat())
    entry_url = f"/api/v1/time-entries/{created.json['id']}"
    patched = client.patch(entry_url, json={"hours": "2.25", "note": "more"}, headers=desk["op"])
    assert patched.status_code == 200 and patched.json["minutes"] == 135
    close_month(last_month_day())
    locked = client.patch(entry_url, json={"hours": "3"}, headers=desk["op"])
    assert locked.status_code == 409 and locked.json["error"] == "period_closed"
    assert client.delete(entry_url, headers=desk["op"]).status_code == 409
    fresh = post_entry(client, desk, hours="1")
    assert (
        client.delete(f"/api/v1/time-entries/{fresh.json['id']}", headers=desk["op"]).status_code
        == 204
    )
    assert count(TimeEntry) == 1


def test_other_operators_entry_is_403(client, desk, f):
    f.subscription(desk["client"], desk["plan"], today().replace(day=1))
    created = post_entry(client, desk, hours="1")
    other = bearer(f.api_token(f.user("operator")))
    response = client.patch(
        f"/api/v1/time-entries/{created.json['id']}", json={"hours": "2"}, headers=other
    )
    assert response.status_code == 403
    admin = bearer(f.api_token(f.user("admin")))
    assert (
        client.patch(
            f"/api/v1/time-entries/{created.json['id']}", json={"hours": "2"}, headers=admin
        ).status_code
        == 200
    )


def test_client_token_reads_own_ticket_time_but_cannot_log(client, desk, f):
    f.subscription(desk["client"], desk["plan"], today().replace(day=1))
    post_entry(client, desk, hours="1.25")
    url = f"/api/v1/tickets/{desk['ticket'].id}/time-entries"
    listing = client.get(url, headers=desk["cl"])
    assert listing.status_code == 200
    assert listing.json["total"] == 1 and listing.json["items"][0]["hours"] == "1.25"
    assert client.post(url, json={"hours": "1"}, headers=desk["cl"]).status_code == 403
    other = f.ticket(f.client("Globex"), subject="Globex secret")
    for path in (f"/api/v1/tickets/{other.id}", f"/api/v1/tickets/{other.id}/time-entries"):
        response = client.get(path, headers=desk["cl"])
        assert response.status_code == 404 and "Globex secret" not in response.text


def test_tickets_open_reply_patch(client, desk):
    created = client.post(
        "/api/v1/tickets", json={"subject": "VPN", "message": "Down"}, headers=desk["cl"]
    )
    assert created.status_code == 201
    assert created.json["status"] == "Open" and created.json["total_hours"] == "0.00"
    ticket_url = f"/api/v1/tickets/{created.json['id']}"
    reply = client.post(
        f"{ticket_url}/replies", json={"message": "On it", "status": "On Hold"}, headers=desk["op"]
    )
    assert reply.status_code == 201
    assert client.get(ticket_url, headers=desk["cl"]).json["status"] == "On Hold"
    patched = client.patch(ticket_url, json={"time_tracking": False}, headers=desk["op"])
    assert patched.json["time_tracking"] is False
    # A client may only close its own ticket (issue 16): any other change is refused.
    refused = client.patch(ticket_url, json={"time_tracking": True}, headers=desk["cl"])
    assert refused.status_code == 400 and "time_tracking" in refused.json["fields"]
    bad = client.patch(ticket_url, json={"status": "Done"}, headers=desk["op"])
    assert bad.status_code == 400 and "status" in bad.json["fields"]
    assert count(TicketMessage) == 3
    listing = client.get("/api/v1/tickets", headers=desk["cl"]).json
    assert listing["page"] == 1 and listing["per_page"] == 50 and listing["total"] == 2
