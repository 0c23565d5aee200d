"""Staff ticket pages through the real forms, CSRF on."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, Subscription, TicketMessage, TimeEntry
from portal.services.settings import business_today
from tests.helpers import AuthActions, audit_rows, count, csrf_token_from, field_error, submit
from tests.services.test_hours_parsing import REFUSED


@pytest.fixture
def operator(login_as):
    """A logged-in operator whose name the ticket page shows."""
    return login_as("operator", name="Olga Operator")


@pytest.fixture
def planless(f):
    """A EUR client without a plan, a ticket of theirs, and a Standard plan priced in EUR."""
    client = f.client("ACME GmbH")
    ticket = f.ticket(client, subject="Mail server down")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    return client, ticket, plan


def test_operator_replies_logs_1_30_and_assigns_plan_in_one_submit(client, operator, planless, f):
    acme, ticket, plan = planless
    url = f"/admin/tickets/{ticket.id}"
    page = client.get(url)
    assert "has no support plan" in page.text
    assert f'<option value="{plan.id}">Standard</option>' in page.text
    response = submit(
        client,
        url,
        {
            "reply": "Restarted the mail server.",
            "status": "",
            "hours": "1:30",
            "work_date": business_today().isoformat(),
            "note": "Restart",
            "billable": "y",
            "plan": str(plan.id),
        },
    )
    assert response.status_code == 302
    page = client.get(url)
    assert "plan Standard assigned, 1:30 h logged, reply sent" in page.text
    assert "Restarted the mail server." in page.text
    assert "has no support plan" not in page.text  # the selector is gone
    sub = db.session.scalar(db.select(Subscription).filter_by(client_id=acme.id))
    assert sub.start_date == business_today()
    entry = db.session.scalar(db.select(TimeEntry))
    assert (entry.minutes, entry.subscription_id, entry.operator_id) == (90, sub.id, operator.id)
    assert ticket.status == "Answered"

    # The client sees the ticket with 1:30 h.
    client_user = f.user("client", client=acme)
    client.post("/logout", data={"csrf_token": csrf_token_from(page.text)})
    AuthActions(client).login(client_user.email)
    listing = client.get("/client/tickets").text
    assert ticket.display_number in listing and "1:30" in listing and "Open month" in listing
    detail = client.get(f"/client/tickets/{ticket.id}").text
    assert "1:30" in detail and "Olga Operator" in detail and "Restart" in detail


# Every refused input of the parser that a form can carry (strings), through the real page.
BAD_HOURS = [raw for raw in REFUSED if isinstance(raw, str) and raw.strip()]


@pytest.mark.parametrize("hours", BAD_HOURS)
def test_bad_hours_show_field_message_and_save_nothing(client, operator, planless, hours):
    _acme, ticket, plan = planless
    messages_before = count(TicketMessage)
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {
            "reply": "Should not be saved",
            "hours": hours,
            "work_date": business_today().isoformat(),
            "billable": "y",
            "plan": str(plan.id),
        },
    )
    assert response.status_code == 422
    message = field_error(response.text, "hours")
    # off the quarter-hour grid: the nearest allowed values; otherwise the rule
    assert "Use quarter hours:" in message or "quarter-hour steps from 0.25 to 24" in message
    assert "Should not be saved" in response.text  # the reply is kept in the form
    assert (count(Subscription), count(TimeEntry), count(TicketMessage)) == (0, 0, messages_before)


@pytest.mark.parametrize("hours", ["", "   "])
def test_empty_hours_with_note_is_refused(client, operator, planless, hours):
    _acme, ticket, _plan = planless
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"hours": hours, "note": "forgot the hours", "work_date": business_today().isoformat()},
    )
    assert response.status_code == 422
    assert "Enter the hours spent" in response.text
    assert count(TimeEntry) == 0


def test_future_work_date_is_refused(client, operator, planless):
    _acme, ticket, plan = planless
    tomorrow = business_today() + timedelta(days=1)
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"hours": "1", "work_date": tomorrow.isoformat(), "billable": "y", "plan": str(plan.id)},
    )
    assert response.status_code == 422
    assert "cannot be in the future" in response.text
    assert (count(Subscription), count(TimeEntry)) == (0, 0)


def test_billable_time_without_plan_asks_for_one(client, operator, planless):
    _acme, ticket, _plan = planless
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"hours": "1", "work_date": business_today().isoformat(), "billable": "y", "plan": ""},
    )
    assert response.status_code == 422
    assert 'id="plan-error"' in response.text and "has no plan on" in response.text


def test_non_billable_time_needs_no_plan(client, operator, planless):
    _acme, ticket, _plan = planless
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"hours": "0,75", "work_date": business_today().isoformat(), "plan": ""},
    )
    assert response.status_code == 302
    entry = db.session.scalar(db.select(TimeEntry))
    assert (entry.minutes, entry.billable, entry.subscription_id) == (45, False, None)


def test_plan_selector_only_lists_plans_priced_in_client_currency(client, operator, f):
    usd_client = f.client(currency_code="USD")
    ticket = f.ticket(usd_client)
    f.plan("Euro only", prices={"EUR": ("100", "50")})
    f.plan("Dollar plan", prices={"USD": ("100", "50")})
    f.plan("Retired", prices={"USD": ("100", "50")}, active=False)
    page = client.get(f"/admin/tickets/{ticket.id}").text
    assert "Dollar plan" in page
    assert "Euro only" not in page and "Retired" not in page


def test_plan_not_offered_is_refused(client, operator, f):
    usd_client = f.client(currency_code="USD")
    ticket = f.ticket(usd_client)
    euro_plan = f.plan("Euro only", prices={"EUR": ("100", "50")})
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {
            "hours": "1",
            "work_date": business_today().isoformat(),
            "billable": "y",
            "plan": str(euro_plan.id),
        },
    )
    assert response.status_code == 422
    assert "Not a valid choice" in response.text
    assert count(Subscription) == 0


def test_no_plan_selector_when_client_has_a_plan(client, operator, planless, f):
    acme, ticket, plan = planless
    f.subscription(acme, plan, business_today().replace(day=1))
    page = client.get(f"/admin/tickets/{ticket.id}").text
    assert 'name="plan"' not in page
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {
            "hours": "2",
            "work_date": business_today().isoformat(),
            "billable": "y",
            "plan": str(plan.id),
        },  # posted anyway: ignored
    )
    assert response.status_code == 302
    assert count(Subscription) == 1
    assert db.session.scalar(db.select(TimeEntry)).minutes == 120


def test_status_change_alone(client, operator, planless):
    _acme, ticket, _plan = planless
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"status": "On Hold", "work_date": business_today().isoformat()},
    )
    assert response.status_code == 302
    assert ticket.status == "On Hold"


def test_empty_submit_says_nothing_to_save(client, operator, planless):
    _acme, ticket, _plan = planless
    response = submit(
        client, f"/admin/tickets/{ticket.id}", {"work_date": business_today().isoformat()}
    )
    assert response.status_code == 422
    assert "Nothing to save" in response.text


def test_update_without_csrf_is_refused(client, operator, planless):
    _acme, ticket, plan = planless
    response = client.post(f"/admin/tickets/{ticket.id}", data={"reply": "x", "hours": "1"})
    assert response.status_code == 400
    assert count(TicketMessage) == 1


def test_tracking_toggle_and_untracked_ticket_refuses_time(client, operator, planless):
    _acme, ticket, _plan = planless
    url = f"/admin/tickets/{ticket.id}"
    response = submit(client, url, {"enabled": "0"}, post_url=f"{url}/tracking")
    assert response.status_code == 302
    assert ticket.time_tracking is False
    page = client.get(url).text
    assert "Time tracking is off" in page and 'name="hours"' not in page
    response = submit(client, url, {"hours": "1", "work_date": business_today().isoformat()})
    assert response.status_code == 422
    assert "Time tracking is off for this ticket" in response.text
    assert count(TimeEntry) == 0
    assert db.session.scalar(db.select(AuditLogEntry.action)) == "ticket.tracking"
    submit(client, url, {"enabled": "1"}, post_url=f"{url}/tracking")
    assert ticket.time_tracking is True


def test_operator_opens_ticket_on_behalf_of_client(client, operator, f):
    acme = f.client("ACME GmbH")
    response = submit(
        client,
        "/admin/tickets/new",
        {
            "client": str(acme.id),
            "subject": "Phone call: VPN down",
            "department": "Network",
            "priority": "High",
            "message": "Client called about the VPN.",
            "time_tracking": "y",
        },
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "Phone call: VPN down" in page and "ACME GmbH" in page


def test_new_ticket_form_errors_per_field(client, operator, f):
    f.client("ACME GmbH")
    response = submit(client, "/admin/tickets/new", {"client": "", "subject": "", "message": ""})
    assert response.status_code == 422
    for field in ("client", "subject", "message"):
        assert f'id="{field}-error"' in response.text


# --- assignee and priority in the inline form ---------------------------------------------


def test_assignee_alone_is_saved_and_audited(client, operator, planless, f):
    _acme, ticket, _plan = planless
    bob = f.user("admin", name="Bob Admin")
    url = f"/admin/tickets/{ticket.id}"
    page = client.get(url)
    assert f'<option value="{bob.id}">Bob Admin</option>' in page.text
    response = submit(client, url, {"assignee": str(bob.id), "priority": ticket.priority})
    assert response.status_code == 302
    assert "assignee changed" in client.get(url).text
    db.session.refresh(ticket)
    assert ticket.assignee_id == bob.id
    [row] = audit_rows("ticket.assignee")
    assert (row.before, row.after) == ({"assignee_id": None}, {"assignee_id": bob.id})
    # Choosing nobody unassigns; the same choice again is nothing to save.
    assert submit(client, url, {"assignee": ""}).status_code == 302
    db.session.refresh(ticket)
    assert ticket.assignee_id is None
    response = submit(client, url, {"assignee": ""})
    assert response.status_code == 422
    assert "Nothing to save" in response.text


def test_priority_change_is_saved_and_audited(client, operator, planless):
    _acme, ticket, _plan = planless
    url = f"/admin/tickets/{ticket.id}"
    response = submit(client, url, {"priority": "Urgent", "assignee": ""})
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.priority == "Urgent"
    [row] = audit_rows("ticket.priority")
    assert (row.before, row.after) == ({"priority": "Medium"}, {"priority": "Urgent"})


@pytest.mark.parametrize("who", ["client", "disabled", "missing", "garbage"])
def test_bad_assignee_is_a_field_error_and_saves_nothing(client, operator, planless, f, who):
    acme, ticket, _plan = planless
    value = {
        "client": lambda: str(f.user("client", client=acme).id),
        "disabled": lambda: str(f.update(f.user("operator"), active=False).id),
        "missing": lambda: "999999",
        "garbage": lambda: "7abc",
    }[who]()
    response = submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"assignee": value, "reply": "On it.", "priority": "High"},
    )
    assert response.status_code == 422
    assert field_error(response.text, "assignee")
    db.session.refresh(ticket)
    assert (ticket.assignee_id, ticket.priority) == (None, "Medium")
    assert count(TicketMessage) == 1
    assert audit_rows("ticket.assignee") == []


def test_bad_priority_is_a_field_error_and_saves_nothing(client, operator, planless):
    _acme, ticket, _plan = planless
    response = submit(
        client, f"/admin/tickets/{ticket.id}", {"priority": "Critical", "reply": "On it."}
    )
    assert response.status_code == 422
    assert "Choose one of" in field_error(response.text, "priority")
    db.session.refresh(ticket)
    assert ticket.priority == "Medium"
    assert count(TicketMessage) == 1


# --- the client beside the time form ------------------------------------------------------


def client_card(html: str) -> str:
    """The ticket page's client card."""
    card = html[html.index('id="client-card"') :]
    return card[: card.index("</section>")]


def test_sidebar_links_the_client_and_says_no_plan(client, operator, planless):
    acme, ticket, _plan = planless
    card = client_card(client.get(f"/admin/tickets/{ticket.id}").text)
    assert f'href="/admin/clients/{acme.id}"' in card and "ACME GmbH" in card
    assert "No plan this month" in card
    assert client.get(f"/admin/clients/{acme.id}").status_code == 200  # operators may follow it


def test_sidebar_shows_hours_left_of_the_package(client, operator, planless, f):
    acme, ticket, _plan = planless
    f.subscription(acme, f.plan("Gold", hours=10), business_today().replace(day=1))
    submit(client, f"/admin/tickets/{ticket.id}", {"hours": "1:30", "billable": "y"})
    card = client_card(client.get(f"/admin/tickets/{ticket.id}").text)
    assert "Plan Gold" in card and "h left" in card and "h included" in card
    # 8:30 or 8.50 left, depending on the viewer's time format
    assert "8:30" in card or "8.50" in card


def test_sidebar_says_hourly(client, operator, planless, f):
    acme, ticket, _plan = planless
    f.subscription(acme, f.plan("Pay as you go", model="hourly"), business_today().replace(day=1))
    card = client_card(client.get(f"/admin/tickets/{ticket.id}").text)
    assert "(hourly)" in card and "h left" not in card
