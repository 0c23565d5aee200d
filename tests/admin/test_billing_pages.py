"""The admin billing page: periods, preview, close (twice is harmless), waiting items."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Invoice
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import (
    assert_confirmation_page,
    confirm,
    confirmation_form,
    count,
    csrf_token_from,
    submit,
    this_month_start,
)


@pytest.fixture
def acme(f):
    """ACME on Standard since 2026-09-11 (Warsaw), 7.75 h billable in September."""
    save_settings({"business_timezone": "Europe/Warsaw"})
    client = f.client("ACME GmbH")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    f.subscription(client, plan, date(2026, 9, 11))
    log_time(f.ticket(client), f.user("operator"), TimeInput(465, date(2026, 9, 14)))
    db.session.commit()
    return client


def test_billing_page_lists_open_closed_and_current_months(client, admin, acme):
    page = client.get("/admin/billing").text
    assert "September 2026" in page and "Open, ready to close" in page
    assert "Current month" in page
    assert 'action="/admin/billing/2026-09/close"' in page
    current = this_month_start().strftime("%Y-%m")
    assert f'action="/admin/billing/{current}/close"' not in page


def test_preview_shows_items_and_writes_nothing(client, admin, acme):
    response = submit(client, "/admin/billing", {}, post_url="/admin/billing/2026-09/preview")
    assert response.status_code == 200
    assert "Nothing has been written" in response.text
    assert "€133.33" in response.text and "€60.00" in response.text
    assert "20/30 of the month" in response.text and "ACME GmbH" in response.text
    assert (count(BillingPeriod), count(BillableItem), count(Invoice)) == (0, 0, 0)


def test_close_asks_first_and_changes_nothing_until_confirmed(client, admin, acme):
    asked = submit(client, "/admin/billing", {}, post_url="/admin/billing/2026-09/close")
    assert_confirmation_page(
        asked,
        "Close September 2026?",
        "It bills 1 subscription(s) of 1 client(s)",
        "each of those clients gets an invoice",
        "Yes, close 2026-09",
        'href="/admin/billing"',
    )
    assert (count(BillingPeriod), count(BillableItem), count(Invoice)) == (0, 0, 0)
    assert "closed:" not in client.get("/admin/billing").text  # no flash was left behind


def test_the_preview_close_button_asks_too(client, admin, acme):
    preview = submit(client, "/admin/billing", {}, post_url="/admin/billing/2026-09/preview")
    assert 'action="/admin/billing/2026-09/close"' in preview.text
    token = csrf_token_from(preview.text)
    asked = client.post("/admin/billing/2026-09/close", data={"csrf_token": token})
    assert_confirmation_page(asked, "Close September 2026?")
    assert count(BillingPeriod) == 0
    action, data = confirmation_form(asked.text)
    assert client.post(action, data=data).status_code == 302
    assert count(BillingPeriod) == 1


def test_close_from_the_page_then_a_second_click_changes_nothing(client, admin, acme):
    first = confirm(client, "/admin/billing", "/admin/billing/2026-09/close")
    assert first.status_code == 302
    assert "2026-09 closed: 2 items, 1 invoices." in client.get("/admin/billing").text
    second = confirm(client, "/admin/billing", "/admin/billing/2026-09/close")
    assert second.status_code == 302
    assert "was already closed; nothing changed" in client.get("/admin/billing").text
    assert (count(BillingPeriod), count(BillableItem), count(Invoice)) == (1, 2, 1)
    page = client.get("/admin/billing").text
    assert "€193.33" in page


def test_current_month_close_is_refused_with_a_message(client, admin, acme):
    current = this_month_start().strftime("%Y-%m")
    asked = submit(client, "/admin/billing", {}, post_url=f"/admin/billing/{current}/close")
    assert asked.status_code == 302  # refused at once: nothing to confirm
    assert "has not ended yet" in client.get("/admin/billing").text
    page = client.get("/admin/billing").text
    confirmed = {"csrf_token": csrf_token_from(page), "confirmed": "1"}
    client.post(f"/admin/billing/{current}/close", data=confirmed)
    assert "has not ended yet" in client.get("/admin/billing").text
    assert count(BillingPeriod) == 0


@pytest.mark.parametrize("period", ["2026-13", "junk", "2026-9"])
def test_bad_period_is_a_message_not_a_500(client, admin, acme, period):
    response = submit(client, "/admin/billing", {}, post_url=f"/admin/billing/{period}/close")
    assert response.status_code == 302
    assert "YYYY-MM" in client.get("/admin/billing").text


def test_close_without_csrf_is_refused(client, admin, acme):
    response = client.post("/admin/billing/2026-09/close")
    assert response.status_code == 400
    assert count(BillingPeriod) == 0


def test_operators_cannot_bill(client, login_as, acme):
    login_as("operator")
    assert client.get("/admin/billing").status_code == 403
    response = submit(client, "/admin/", {}, post_url="/admin/billing/2026-09/close")
    assert response.status_code == 403
    assert count(BillingPeriod) == 0


def test_waiting_items_are_invoiced_on_request(client, admin, acme):
    save_settings({"invoice_on_close": False})
    db.session.commit()
    asked = submit(client, "/admin/billing", {}, post_url="/admin/billing/2026-09/close")
    assert "they wait on this page to be invoiced" in asked.text
    confirm(client, "/admin/billing", "/admin/billing/2026-09/close")
    page = client.get("/admin/billing").text
    assert "2 waiting" in page and "Invoice the waiting items" in page
    submit(client, "/admin/billing", {}, post_url="/admin/billing/invoice-waiting")
    assert count(Invoice) == 1
    assert "waiting" not in client.get("/admin/billing").text.split("<tbody>")[1]
