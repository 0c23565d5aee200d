"""One-off items on the staff client page: added for the next close or invoiced at once;
bad input shows its message and saves nothing; only admins get the form."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import BillableItem, Invoice
from portal.services.billing.one_off import add_one_off_item
from portal.services.billing.periods import month_name, period_of
from tests.helpers import close_month, count, field_error, last_month_day, submit, today


@pytest.fixture
def acme(f):
    """A EUR client."""
    return f.client("ACME GmbH", currency_code="EUR")


def page(client_row) -> str:
    """The client page's URL."""
    return f"/admin/clients/{client_row.id}"


def add(client, client_row, **values):
    """Post the one-off item form from the client page."""
    data = {"description": "Server move", "quantity": "2", "unit_price": "45.00"}
    data |= {"date": today().isoformat(), **values}
    return submit(client, page(client_row), data, post_url=f"{page(client_row)}/one-off-items")


def test_form_shows_the_currency_and_today(client, admin, acme):
    html = client.get(page(acme)).text
    assert "Add a one-off item" in html and "Unit price (EUR)" in html
    assert f'value="{today().isoformat()}"' in html and "Invoice it now" in html
    assert "None waiting." in html


def test_item_for_later_waits_on_the_page(client, admin, acme):
    response = add(client, acme, quantity="2,5")
    assert response.status_code == 302
    html = client.get(page(acme)).text
    month = month_name(period_of(today()))
    assert f"Added “Server move” to the next invoice of {month}." in html
    table = html[html.index('id="one-off-items"') :]
    assert "Server move" in table and "2.50" in table and "€45.00" in table and "€112.50" in table
    item = db.session.scalar(db.select(BillableItem))
    assert item.invoice_id is None and item.amount == Decimal("112.50")
    assert count(Invoice) == 0


def test_item_invoiced_now_gets_its_invoice(client, admin, acme):
    response = add(client, acme, invoice_now="y")
    assert response.status_code == 302
    invoice = db.session.scalar(db.select(Invoice))
    assert invoice.total == Decimal("90.00") and invoice.client_id == acme.id
    html = client.get(page(acme)).text
    assert f'Invoiced as <a href="/admin/invoices/{invoice.id}">{invoice.number}</a>.' in html
    assert "None waiting." in html


BAD = [
    ({"quantity": "0"}, "quantity", "Enter a quantity above 0"),
    ({"description": ""}, "description", "Describe what the item is for"),
    ({"unit_price": "45.001"}, "unit_price", "at most 2 decimals"),
    ({"date": ""}, "date", "Enter the item&#39;s date"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD, ids=lambda v: str(v)[:30])
def test_bad_item_is_shown_again_and_nothing_is_saved(client, admin, acme, values, field, message):
    response = add(client, acme, invoice_now="y", **values)
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert "Add a one-off item" in response.text
    assert count(BillableItem) == 0 and count(Invoice) == 0


def test_item_in_a_closed_month_is_refused(client, admin, acme):
    day = last_month_day()
    close_month(day)
    response = add(client, acme, date=day.isoformat())
    assert response.status_code == 422
    assert f"{period_of(day)} is closed" in field_error(response.text, "date")
    assert count(BillableItem) == 0


def test_operator_sees_waiting_items_but_no_form(client, login_as, acme, f):
    values = {"description": "On-site visit", "quantity": "1", "unit_price": "300", "date": today()}
    add_one_off_item(acme, values, f.user("admin"))
    db.session.commit()
    login_as("operator")
    html = client.get(page(acme)).text
    assert "On-site visit" in html and "Add a one-off item" not in html
    assert add(client, acme).status_code == 403
    assert count(BillableItem) == 1
