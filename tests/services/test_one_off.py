"""One-off items: invoiced at once, or billed by their month's close, never in a closed month."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portal.extensions import db
from portal.models import BillableItem, Invoice
from portal.services.billing.close import close_period, due_periods, preview_period
from portal.services.billing.one_off import add_one_off_item
from portal.services.errors import ValidationFailed

OCTOBER = date(2026, 10, 15)


def item(client, when=OCTOBER, quantity="2", price="45.00", **kw):
    values = {"description": "On-site visit", "quantity": quantity, "unit_price": price}
    return add_one_off_item(client, values | {"date": when}, None, **kw)


def test_invoiced_now_gets_an_invoice_of_its_own_taxed_like_the_client(f):
    f.tax_rate("VAT 23%", "23", is_default=True)
    added = item(f.client(), invoice_now=True)
    invoice = db.session.get(Invoice, added.invoice_id)
    assert (added.amount, added.quantity, added.kind) == (D("90.00"), D("2.00"), "one_off")
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (
        D("90.00"),
        D("20.70"),
        D("110.70"),
    )
    assert invoice.period_id is None and invoice.lines[0].kind == "one_off"


def test_waits_for_its_months_close_and_joins_the_clients_invoice(f):
    client = f.client()
    plan = f.plan(hours=10, prices={"EUR": ("200.00", "60.00")})
    f.subscription(client, plan, date(2026, 10, 1))
    waiting = item(client)
    lonely = item(f.client("Only one-offs"), quantity="1.5", price="33.33")  # 49.995 -> 50.00
    db.session.commit()
    assert waiting.invoice_id is None and waiting.period_id is None
    closed, rows = preview_period("2026-10")
    assert not closed and sum(r["kind"] == "one_off" for r in rows) == 2
    result = close_period("2026-10")
    db.session.commit()
    assert result.invoice_count == 2
    by_client = {inv.client_id: inv for inv in result.invoices}
    assert [line.kind for line in by_client[client.id].lines] == ["package_fee", "one_off"]
    assert by_client[client.id].total == D("290.00")
    assert by_client[lonely.client_id].total == D("50.00")
    db.session.refresh(waiting)
    assert waiting.period_id == result.period_id and waiting.invoice_id is not None


def test_an_item_dated_in_another_month_waits_for_that_month(f):
    client = f.client()
    november = item(client, when=date(2026, 11, 3))
    close_period("2026-10")
    db.session.commit()
    db.session.refresh(november)
    assert november.period_id is None and november.invoice_id is None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"quantity": "0"}, "quantity", "above 0"),
        ({"quantity": "1.234"}, "quantity", "at most 2 decimals"),
        ({"quantity": "-1"}, "quantity", "above 0"),
        ({"price": "-1"}, "unit_price", "no sign"),
        ({"price": "0"}, "unit_price", "above 0"),
        ({"price": "1.005"}, "unit_price", "at most 2 decimals"),
        ({"quantity": "0.01", "price": "0.01"}, "quantity", "rounds to 0"),
        ({"when": date(1999, 12, 31)}, "date", "from 2000-01-01"),
        ({"when": date.today() + timedelta(days=400)}, "date", "a year ahead"),
    ],
)
def test_bad_items_are_refused(f, changes, field, message):
    with pytest.raises(ValidationFailed) as refused:
        item(f.client(), **changes)
    assert message in refused.value.fields[field]


def test_no_item_in_a_closed_month(f):
    client = f.client()
    close_period("2026-10")
    db.session.commit()
    with pytest.raises(ValidationFailed, match="2026-10 is closed"):
        item(client)
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(BillableItem)) == 0


def test_description_is_required_and_clean(f):
    with pytest.raises(ValidationFailed) as refused:
        add_one_off_item(
            f.client(),
            {"description": " \u200b ", "quantity": "1", "unit_price": "1", "date": OCTOBER},
            None,
        )
    assert "description" in refused.value.fields


def test_an_amount_beyond_the_money_columns_is_a_field_error(f):
    with pytest.raises(ValidationFailed) as refused:
        item(f.client(), quantity="99999.99", price="999999999")
    assert "an item is at most 999,999,999" in refused.value.fields["quantity"]


def test_a_client_with_items_keeps_its_currency(f):
    from portal.services.clients.accounts import ClientInput, save_client

    client = f.client()
    item(client)
    pln = f.currency("PLN")
    with pytest.raises(ValidationFailed, match="already billed in EUR"):
        save_client(client, ClientInput(client.name, client.email, pln.id), None)


def test_the_scheduler_closes_the_month_of_a_waiting_item_without_any_subscription(f):
    item(f.client())
    assert "2026-10" in due_periods()
