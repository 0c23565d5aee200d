"""A plan never covers a closed month, through every door that assigns one: the admin client
page, the operator's ticket form (a plan on the spot), and the API (a subscription, and time
with `assign_plan_id`). Each refuses a start on or before the end of the latest closed month
with a message naming it, saves nothing, and takes the first day after it."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Subscription, TicketMessage, TimeEntry
from portal.services.billing.periods import period_of
from tests.helpers import (
    close_month,
    count,
    field_error,
    last_month_day,
    last_month_start,
    submit,
    this_month_start,
)


@pytest.fixture
def closed(f):
    """A EUR client without a plan, its ticket and an EUR plan; the last two months closed,
    the one before them open."""
    acme = f.client("ACME GmbH")
    ticket = f.ticket(acme, subject="Mail server down")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    close_month(last_month_start() - timedelta(days=1))
    close_month(last_month_day())
    return {"acme": acme, "ticket": ticket, "plan": plan}


def before_closed_months() -> str:
    """A day three months back, in the open month before the two closed ones."""
    return (last_month_start() - timedelta(days=40)).isoformat()


def first_open_day() -> str:
    """The first day after the latest closed month (last month): the 1st of this month."""
    return this_month_start().isoformat()


def refusal() -> str:
    """The message naming the latest closed month and the earliest possible start."""
    return (
        f"{period_of(last_month_day())} is closed: "
        f"a plan can start from {first_open_day()} at the earliest."
    )


def only_subscription() -> Subscription:
    """The one subscription there is."""
    [subscription] = db.session.scalars(db.select(Subscription))
    return subscription


# --- the pages, with CSRF, logged in through the real form


def test_admin_page_refuses_a_plan_starting_before_closed_months(client, login_as, closed):
    login_as("admin")
    page = f"/admin/clients/{closed['acme'].id}"
    data = {"plan": str(closed["plan"].id), "start_date": before_closed_months()}
    response = submit(client, page, data, f"{page}/subscriptions")
    assert response.status_code == 422
    assert refusal() in field_error(response.text, "start_date")
    assert count(Subscription) == 0

    data["start_date"] = (this_month_start() - timedelta(days=1)).isoformat()  # closed month
    response = submit(client, page, data, f"{page}/subscriptions")
    assert refusal() in field_error(response.text, "start_date")
    assert count(Subscription) == 0

    data["start_date"] = first_open_day()
    assert submit(client, page, data, f"{page}/subscriptions").status_code == 302
    assert only_subscription().start_date.isoformat() == first_open_day()


def test_ticket_form_refuses_an_on_the_spot_plan_before_closed_months(client, login_as, closed):
    login_as("operator")
    url = f"/admin/tickets/{closed['ticket'].id}"
    data = {
        "reply": "Restarted the mail server.",
        "hours": "1:30",
        "work_date": before_closed_months(),
        "billable": "y",
        "plan": str(closed["plan"].id),
    }
    response = submit(client, url, data)
    assert response.status_code == 422
    assert refusal() in field_error(response.text, "work_date")
    assert (count(Subscription), count(TimeEntry), count(TicketMessage)) == (0, 0, 1)

    data["work_date"] = first_open_day()
    assert submit(client, url, data).status_code == 302
    entry, subscription = db.session.scalar(db.select(TimeEntry)), only_subscription()
    assert entry.work_date == subscription.start_date
    assert (entry.subscription_id, subscription.start_date.isoformat()) == (
        subscription.id,
        first_open_day(),
    )


# --- the API, with a bearer token


@pytest.fixture
def operator_token(f) -> dict:
    """The Authorization header of an operator's API token."""
    return {"Authorization": f"Bearer {f.api_token(f.user('operator'))}"}


def test_api_subscriptions_post_refuses_a_start_before_closed_months(
    client, closed, operator_token
):
    url = f"/api/v1/clients/{closed['acme'].id}/subscriptions"
    body = {"plan_id": closed["plan"].id, "start_date": before_closed_months()}
    response = client.post(url, json=body, headers=operator_token)
    assert response.status_code == 400
    assert response.json == {"error": "validation", "fields": {"start_date": refusal()}}
    assert count(Subscription) == 0

    body["start_date"] = first_open_day()
    created = client.post(url, json=body, headers=operator_token)
    assert created.status_code == 201 and created.json["start_date"] == first_open_day()
    assert only_subscription().id == created.json["id"]


def test_api_time_entry_with_assign_plan_id_refuses_a_work_date_before_closed_months(
    client, closed, operator_token
):
    url = f"/api/v1/tickets/{closed['ticket'].id}/time-entries"
    body = {"hours": "2", "work_date": before_closed_months(), "assign_plan_id": closed["plan"].id}
    response = client.post(url, json=body, headers=operator_token)
    assert response.status_code == 400
    assert response.json == {"error": "validation", "fields": {"work_date": refusal()}}
    assert (count(Subscription), count(TimeEntry)) == (0, 0)

    body["work_date"] = first_open_day()
    created = client.post(url, json=body, headers=operator_token)
    assert created.status_code == 201
    subscription = only_subscription()
    assert subscription.start_date.isoformat() == first_open_day()
    assert created.json["subscription_id"] == subscription.id
