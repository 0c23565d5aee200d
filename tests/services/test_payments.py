"""Payments: never above the balance, Paid on the date of the one that completes it."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import Invoice, Payment
from portal.services.billing.invoices import InvalidTransition, cancel_invoice
from portal.services.billing.one_off import add_one_off_item
from portal.services.billing.payments import mark_paid, record_payment
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today
from tests.hypothesis_profiles import profile_settings


def _invoice(f, price="1829.63", currency="PLN", decimals=2) -> Invoice:
    """An invoice of `price` (a one-off item invoiced at once, no tax configured)."""
    f.currency(currency, decimals=decimals)
    client = f.client(currency_code=currency)
    values = {"description": "Support", "quantity": "1", "unit_price": price}
    item = add_one_off_item(client, values | {"date": business_today()}, None, invoice_now=True)
    db.session.commit()
    return db.session.get(Invoice, item.invoice_id)


def pay(invoice, amount, days_ago=0, method="bank_transfer"):
    day = business_today() - timedelta(days=days_ago)
    values = {"date": day, "amount": amount, "method": method, "reference": "TR/1"}
    return record_payment(invoice, None, values)


def test_spec_example_part_paid_then_paid_on_the_last_payments_date(f):
    invoice = _invoice(f)
    invoice.issue_date = business_today() - timedelta(days=10)
    pay(invoice, "1000.00", days_ago=7)
    assert (invoice.status, invoice.balance) == ("Unpaid", D("829.63"))
    pay(invoice, "829,63", days_ago=2)
    db.session.commit()
    assert invoice.status == "Paid" and invoice.balance == 0
    assert invoice.paid_date == business_today() - timedelta(days=2)
    assert [p.amount for p in invoice.payments] == [D("1000.00"), D("829.63")]


@pytest.mark.parametrize(
    ("amount", "days_ago", "method", "field", "message"),
    [
        ("1829.64", 0, "card", "amount", "The open balance is 1829.63 PLN"),
        ("0", 0, "card", "amount", "above 0"),
        ("0.00", 0, "card", "amount", "above 0"),
        ("12.345", 0, "card", "amount", "at most 2 decimals"),
        ("-5", 0, "card", "amount", "no sign"),
        ("abc", 0, "card", "amount", "Enter an amount in PLN"),
        ("10.00", -1, "card", "date", "cannot be in the future"),
        ("10.00", 1, "card", "date", "cannot be dated before it"),
        ("10.00", 0, "cheque", "method", "bank transfer, card, cash or other"),
    ],
)
def test_bad_payments_are_refused_and_save_nothing(f, amount, days_ago, method, field, message):
    invoice = _invoice(f)
    with pytest.raises(ValidationFailed) as refused:
        pay(invoice, amount, days_ago, method)
    assert message in refused.value.fields[field]
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 0
    assert db.session.get(Invoice, invoice.id).paid_total == 0


def test_whole_units_currency_takes_no_decimals(f):
    invoice = _invoice(f, price="5000", currency="JPY", decimals=0)
    with pytest.raises(ValidationFailed, match="whole units"):
        pay(invoice, "10.5")
    pay(invoice, "5000")
    assert invoice.status == "Paid"


def test_no_payment_on_a_paid_cancelled_or_credit_note(f):
    paid = _invoice(f)
    mark_paid(paid, None)
    assert paid.status == "Paid" and paid.payments[0].reference == "Marked paid"
    cancelled = _invoice(f)
    cancel_invoice(cancelled, None)
    for invoice in (paid, cancelled, cancelled.credit_note):
        with pytest.raises(InvalidTransition):
            pay(invoice, "1.00")


def test_a_part_paid_invoice_cannot_be_cancelled(f):
    invoice = _invoice(f)
    pay(invoice, "1.00")
    with pytest.raises(InvalidTransition, match="part-paid"):
        cancel_invoice(invoice, None)
    mark_paid(invoice, None)  # the rest, dated today
    assert invoice.paid_total == invoice.total and len(invoice.payments) == 2


@profile_settings({"ci": 25, "deep": 400}, "PROPERTY_EXAMPLES")
@given(cents=st.lists(st.integers(min_value=-5, max_value=200_000), min_size=1, max_size=8))
def test_payments_never_exceed_the_total(f, cents):
    """Whatever amounts come in, the paid total stays within the invoice's, and the invoice
    is Paid exactly when they meet."""
    invoice = _invoice(f, price="1000.00")
    for amount in cents:
        try:
            pay(invoice, f"{D(amount) / 100:.2f}" if amount >= 0 else str(amount))
        except (ValidationFailed, InvalidTransition):
            pass
        assert 0 <= invoice.paid_total <= invoice.total
        assert (invoice.status == "Paid") == (invoice.paid_total == invoice.total)
    assert invoice.paid_total == sum((p.amount for p in invoice.payments), D(0))
    db.session.rollback()
