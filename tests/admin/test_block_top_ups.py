"""Prepaid blocks on the staff pages (SPEC "More ways to sell hours"): the balance beside the
ticket's time form, a top-up in the same submit as the time, `refuse` turning time away,
and the client page's top-up form; through real logins and forms with CSRF on."""

import re

import pytest

from portal.extensions import db
from portal.models import HourPool, Invoice, TicketMessage, TimeEntry
from portal.services.billing.close import close_period
from portal.services.billing.ledger import block_validity
from portal.services.billing.periods import month_name, period_of
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import (
    count,
    field_error,
    last_month_day,
    last_month_start,
    submit,
    this_month_start,
    today,
    tomorrow,
)


@pytest.fixture
def operator(login_as):
    """A logged-in operator."""
    return login_as("operator", name="Olga Operator")


def log(f, ticket, minutes, billable=True):
    """Log time today through the service and commit (the situation before the page)."""
    log_time(ticket, f.user("operator"), TimeInput(minutes, today(), "", billable))
    db.session.commit()


def time_form(hours, **more) -> dict:
    """The inline form's fields for logging `hours` today."""
    return {
        "reply": "",
        "status": "",
        "hours": hours,
        "work_date": today().isoformat(),
        "note": "Work",
        "billable": "y",
        **more,
    }


@pytest.fixture
def delta(f):
    """Delta on Block20 since the first of this month (its first block bought then), a ticket."""
    client = f.client("Delta", currency_code="EUR")
    subscription = f.subscription(client, f.block_plan(), this_month_start())
    return client, subscription, f.ticket(client, subject="Router firmware")


@pytest.fixture
def refuser(f):
    """Refuser on a 5 h block plan that refuses time beyond the blocks; 4 h used today."""
    client = f.client("Refuser", currency_code="EUR")
    plan = f.block_plan("Block5", hours=5, when_used_up="refuse")
    subscription = f.subscription(client, plan, this_month_start())
    ticket = f.ticket(client, subject="Mail relay")
    log(f, ticket, 240)
    return client, subscription, ticket


def test_ticket_page_shows_the_block_balance_and_the_top_up_box(client, operator, delta, f):
    _client, _sub, ticket = delta
    log(f, ticket, 300)
    page = client.get(f"/admin/tickets/{ticket.id}").text
    balance = " ".join(re.search(r'id="client-balance">(.*?)</p>', page, re.S).group(1).split())
    assert "<strong>15:00 h left in blocks</strong> this month (5:00 h used)" in balance
    assert 'id="balance-low"' not in page
    assert "Buy another block (invoiced now)" in page and 'name="top_up"' in page


def test_low_balance_is_highlighted(client, operator, delta, f):
    _client, _sub, ticket = delta
    log(f, ticket, 600)
    log(f, ticket, 360)  # 16 h of 20: 4 h left, under a quarter of a block
    page = client.get(f"/admin/tickets/{ticket.id}").text
    assert 'id="balance-low"' in page and "border-warning" in page
    assert "4:00 h left in blocks" in page


def test_package_balance_counts_the_carry_over(client, operator, f):
    acme = f.client("ACME GmbH")
    f.subscription(acme, f.plan("Flex", hours=10, rollover_months=1), last_month_start())
    ticket = f.ticket(acme)
    log_time(ticket, f.user("operator"), TimeInput(360, last_month_day(), ""))
    db.session.commit()
    close_period(period_of(last_month_start()))
    db.session.commit()
    log(f, ticket, 60)
    page = client.get(f"/admin/tickets/{ticket.id}").text
    sidebar = " ".join(re.search(r'id="client-card">(.*?)</section>', page, re.S).group(1).split())
    assert (
        "<strong>13:00 h left</strong> of 10:00 h included and 4:00 h carried over this month "
        "(1:00 h used)" in sidebar
    )


def test_package_client_has_its_remaining_hours_and_no_top_up_box(client, operator, f):
    acme = f.client("ACME GmbH")
    plan = f.plan("Flex", hours=10, rollover_months=1)
    f.subscription(acme, plan, this_month_start())
    ticket = f.ticket(acme)
    page = client.get(f"/admin/tickets/{ticket.id}").text
    assert "<strong>10:00 h left</strong>" in page
    assert 'name="top_up"' not in page


def test_refuse_without_a_top_up_re_renders_with_the_message_and_saves_nothing(
    client, operator, refuser
):
    _client, _sub, ticket = refuser
    before = (count(TimeEntry), count(HourPool), count(Invoice), count(TicketMessage))
    response = submit(
        client, f"/admin/tickets/{ticket.id}", time_form("2", reply="Fixed the relay.")
    )
    assert response.status_code == 422
    message = field_error(response.text, "hours")
    assert "The prepaid hours of Block5" in message and "used up" in message
    assert 'value="Fixed the relay."' in response.text or "Fixed the relay." in response.text
    assert (count(TimeEntry), count(HourPool), count(Invoice), count(TicketMessage)) == before


def test_top_up_in_the_ticket_form_buys_a_block_and_logs_the_time_in_one_submit(
    client, operator, refuser
):
    _client, subscription, ticket = refuser
    invoices = count(Invoice)
    response = submit(client, f"/admin/tickets/{ticket.id}", time_form("2", top_up="y"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    until = block_validity(today(), 3)[1]
    assert (
        f"Ticket updated: 2:00 h logged, another block of 5:00 h bought and invoiced "
        f"(valid until {until:%Y-%m-%d})." in page
    )
    blocks = db.session.scalars(
        db.select(HourPool).filter_by(subscription_id=subscription.id).order_by(HourPool.id)
    ).all()
    assert [(b.minutes, b.valid_from) for b in blocks] == [
        (300, this_month_start()),
        (300, today()),
    ]
    assert count(Invoice) == invoices + 1
    assert count(TimeEntry) == 2
    assert "4:00 h left in blocks" in page  # 10 h bought, 6 h used


def test_top_up_alone_from_the_ticket_form_is_dated_on_the_work_date(client, operator, delta):
    _client, subscription, ticket = delta
    day = this_month_start()
    form = time_form("", note="", top_up="y", work_date=day.isoformat())
    response = submit(client, f"/admin/tickets/{ticket.id}", form)
    assert response.status_code == 302
    blocks = db.session.scalars(db.select(HourPool).filter_by(subscription_id=subscription.id))
    assert [block.valid_from for block in blocks] == [day, day]
    assert count(TimeEntry) == 0


def test_top_up_in_the_future_from_the_ticket_form_is_refused(client, operator, delta):
    _client, subscription, ticket = delta
    form = time_form("", note="", top_up="y", work_date=tomorrow().isoformat())
    response = submit(client, f"/admin/tickets/{ticket.id}", form)
    assert response.status_code == 422
    assert "cannot be dated in the future" in field_error(response.text, "work_date")
    assert count(HourPool, subscription_id=subscription.id) == 1


def test_top_up_box_is_ignored_for_a_package_client(client, operator, f):
    acme = f.client("ACME GmbH")
    f.subscription(acme, f.plan("Standard"), this_month_start())
    ticket = f.ticket(acme)
    response = submit(client, f"/admin/tickets/{ticket.id}", time_form("1", top_up="y"))
    assert response.status_code == 302
    assert count(HourPool) == 0 and count(TimeEntry) == 1


def test_client_page_shows_the_blocks_and_tops_up(client, operator, delta, f):
    delta_client, subscription, ticket = delta
    log(f, ticket, 300)
    url = f"/admin/clients/{delta_client.id}"
    page = client.get(url).text
    table = re.search(r'<table[^>]*id="blocks">.*?</table>', page, re.S).group(0)
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table)]
    until = block_validity(this_month_start(), 3)[1]
    assert cells == [this_month_start().isoformat(), "20:00", "5:00", "15:00", until.isoformat()]
    assert f'value="{today().isoformat()}"' in page  # the date defaults to today
    post = f"{url}/subscriptions/{subscription.id}/top-ups"
    response = submit(client, url, {"date": today().isoformat()}, post)
    assert response.status_code == 302
    invoice = db.session.scalars(db.select(Invoice).order_by(Invoice.id.desc())).first()
    page = client.get(url).text
    assert "Another block of 20:00 h bought, valid until" in page
    assert f">{invoice.number}</a>" in page
    assert count(HourPool, subscription_id=subscription.id) == 2
    assert "35:00 h left" in page  # 40 h in the two blocks, 5 h used


def test_client_page_top_up_in_the_future_is_refused_and_saves_nothing(client, operator, delta):
    delta_client, subscription, _ticket = delta
    url = f"/admin/clients/{delta_client.id}"
    before = (count(HourPool), count(Invoice))
    post = f"{url}/subscriptions/{subscription.id}/top-ups"
    response = submit(client, url, {"date": tomorrow().isoformat()}, post)
    assert response.status_code == 422
    assert "A top-up cannot be dated in the future." in field_error(response.text, "date")
    assert f'value="{tomorrow().isoformat()}"' in response.text  # the input is kept
    assert (count(HourPool), count(Invoice)) == before


def test_a_package_subscription_cannot_be_topped_up(client, admin, f):
    acme = f.client("ACME GmbH")
    subscription = f.subscription(acme, f.plan("Standard"), this_month_start())
    url = f"/admin/clients/{acme.id}"
    post = f"{url}/subscriptions/{subscription.id}/top-ups"
    response = submit(client, url, {"date": today().isoformat()}, post)
    assert response.status_code == 422
    assert "Only a prepaid-block plan is topped up" in response.text
    assert count(HourPool) == 0


def test_another_clients_subscription_is_not_found(client, admin, delta, f):
    _delta, subscription, _ticket = delta
    other = f.client("Other")
    url = f"/admin/clients/{other.id}"
    post = f"{url}/subscriptions/{subscription.id}/top-ups"
    response = submit(client, url, {"date": today().isoformat()}, post)
    assert response.status_code == 404
    assert count(HourPool) == 1


def test_billing_page_lists_the_months_beside_blocks_invoiced_at_once(client, admin, delta):
    # A block's item belongs to no month: the billing page used to fail on it with a 500.
    response = client.get("/admin/billing")
    assert response.status_code == 200
    assert month_name(period_of(today())) in response.text
