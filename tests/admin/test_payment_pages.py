"""Payments on the staff invoice page: recorded through the form until the invoice is Paid;
bad input shows its message and saves nothing; operators only read."""

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Invoice, Payment
from portal.services.billing.invoices import cancel_invoice
from portal.services.billing.one_off import add_one_off_item
from portal.services.billing.payments import record_payment
from tests.helpers import count, field_error, submit, today, tomorrow


@pytest.fixture
def invoice(f) -> Invoice:
    """The SPEC's Nowak invoice: 1,487.50 PLN net at VAT 23 % = 1,829.63 PLN, issued 30 days
    ago (so that payments can be dated between then and today)."""
    f.tax_rate("VAT 23%", "23", is_default=True)
    nowak = f.client("Nowak", currency_code="PLN")
    item = add_one_off_item(
        nowak,
        {
            "description": "October support",
            "quantity": "1",
            "unit_price": "1487.50",
            "date": today(),
        },
        f.user("admin"),
        invoice_now=True,
    )
    db.session.commit()
    row = db.session.get(Invoice, item.invoice_id)
    issued = today() - timedelta(days=30)
    return f.update(row, issue_date=issued, due_date=issued + timedelta(days=14))


def page(invoice: Invoice) -> str:
    """The invoice page's URL."""
    return f"/admin/invoices/{invoice.id}"


def pay(client, invoice: Invoice, **values):
    """Post the payment form from the invoice page."""
    data = {"method": "bank_transfer", "reference": "", **values}
    return submit(client, page(invoice), data, post_url=f"{page(invoice)}/payments")


def reloaded(invoice: Invoice) -> Invoice:
    """The invoice as the database has it."""
    db.session.expire_all()
    return db.session.get(Invoice, invoice.id)


def test_form_defaults_to_today_and_the_balance(client, admin, invoice):
    html = client.get(page(invoice)).text
    assert invoice.total == Decimal("1829.63")
    assert "Record a payment" in html and "No payments yet." in html
    assert 'name="amount" type="text" value="1829.63"' in html
    assert f'value="{today().isoformat()}"' in html
    assert "Amount (PLN)" in html


def test_two_payments_make_it_paid_on_the_second_date(client, admin, invoice):
    first, second = today() - timedelta(days=20), today() - timedelta(days=10)
    response = pay(client, invoice, date=first.isoformat(), amount="1000.00", reference="TX-1")
    assert response.status_code == 302
    html = client.get(page(invoice)).text
    assert "Payment of 1000.00 PLN recorded" in html
    assert "TX-1" in html and "Bank transfer" in html
    assert 'value="829.63"' in html  # the next payment's default: the balance
    saved = reloaded(invoice)
    assert (saved.status, saved.paid_total, saved.balance) == ("Unpaid", 1000, Decimal("829.63"))

    response = pay(client, invoice, date=second.isoformat(), amount="829,63", method="card")
    assert response.status_code == 302
    saved = reloaded(invoice)
    assert saved.status == "Paid" and saved.paid_date == second and saved.balance == 0
    html = client.get(page(invoice)).text
    assert "It is paid in full." in html and "Card" in html
    assert "Record a payment" not in html  # a paid invoice takes no more payments
    assert count(Payment, invoice_id=invoice.id) == 2


BAD = [
    ({"amount": "1829.64"}, "amount", "The open balance is 1829.63 PLN"),
    ({"amount": "0"}, "amount", "Enter an amount above 0."),
    ({"date": "tomorrow"}, "date", "cannot be in the future"),
    ({"method": ""}, "method", "Choose how it was paid"),
    ({"date": ""}, "date", "Enter the date the money came in"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD, ids=lambda v: str(v)[:30])
def test_bad_payment_is_shown_again_and_nothing_is_saved(
    client, admin, invoice, values, field, message
):
    data = {"date": today().isoformat(), "amount": "100.00", **values}
    if data["date"] == "tomorrow":  # the day after today when the test runs
        data["date"] = tomorrow().isoformat()
    response = pay(client, invoice, **data)
    assert response.status_code == 422
    error = field_error(response.text, field)
    assert error and message in error
    assert "Record a payment" in response.text and invoice.number in response.text
    assert count(Payment) == 0
    assert reloaded(invoice).paid_total == 0


def test_amount_with_too_many_decimals_for_eur(client, admin, f):
    acme = f.client("ACME GmbH", currency_code="EUR")
    item = add_one_off_item(
        acme,
        {"description": "Server move", "quantity": "2", "unit_price": "45.00", "date": today()},
        f.user("admin"),
        invoice_now=True,
    )
    db.session.commit()
    invoice = db.session.get(Invoice, item.invoice_id)
    response = pay(client, invoice, date=today().isoformat(), amount="12.345")
    assert response.status_code == 422
    assert "Enter an amount in EUR" in field_error(response.text, "amount")
    assert "at most 2 decimals" in field_error(response.text, "amount")
    assert count(Payment) == 0


def test_operator_sees_payments_but_no_form_and_cannot_post(client, login_as, invoice, f):
    record_payment(
        invoice,
        f.user("admin"),
        {"date": today(), "amount": "1000.00", "method": "cash", "reference": "till"},
    )
    db.session.commit()
    login_as("operator")
    html = client.get(page(invoice)).text
    assert "Payments" in html and "Cash" in html and "till" in html
    assert "Record a payment" not in html
    response = pay(client, invoice, date=today().isoformat(), amount="829.63")
    assert response.status_code == 403
    assert reloaded(invoice).paid_total == Decimal("1000.00")


def test_cancelled_invoice_links_its_credit_note_and_back(client, admin, invoice, f):
    cancel_invoice(invoice, f.user("admin"))
    db.session.commit()
    note = reloaded(invoice).credit_note
    html = client.get(page(invoice)).text
    assert "Cancelled by credit note" in html and note.number in html
    assert f'href="/admin/invoices/{note.id}"' in html
    assert "Record a payment" not in html
    back = client.get(f"/admin/invoices/{note.id}").text
    assert "Credit note for invoice" in back and f'href="/admin/invoices/{invoice.id}"' in back
