"""Client usage history and invoices: rows after a close, paid status, printable invoice, 404s."""

import re

from portal.extensions import db
from portal.models import Invoice
from portal.services.billing.close import close_period
from portal.services.billing.invoices import cancel_invoice
from portal.services.billing.one_off import add_one_off_item
from portal.services.billing.payments import mark_paid, record_payment
from portal.services.billing.periods import month_name, period_of
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import last_month_day, last_month_start, today


def bill_last_month(f, client, minutes=660) -> Invoice:
    """Standard (10 h, EUR 200/60) from last month's first day, time logged, last month closed."""
    plan = f.plan(hours=10, prices={"EUR": ("200.00", "60.00")})
    f.subscription(client, plan, last_month_start())
    operator = f.user("operator", name="Olga")
    log_time(f.ticket(client), operator, TimeInput(minutes, last_month_day(), "Migration"))
    log_time(f.ticket(client), operator, TimeInput(30, today(), "Check"))
    db.session.commit()
    result = close_period(period_of(last_month_start()))
    db.session.commit()
    [invoice] = result.invoices
    return invoice


def row_of(page: str, period: str) -> str:
    """The usage history row of one period."""
    start = page.index(f'<tr data-period="{period}">')
    return page[start : page.index("</tr>", start)]


def test_usage_history_after_a_close_shows_invoice_and_unpaid_then_paid(client, acme_user, f):
    invoice = bill_last_month(f, acme_user.client)
    last = period_of(last_month_start())
    page = client.get("/client/usage").text
    row = row_of(page, last)
    assert month_name(last) in row
    for text in ("10:00", "11:00", "1:00", "€260.00", invoice.number, "Unpaid"):
        assert text in row
    assert f'href="/client/invoices/{invoice.id}"' in row

    mark_paid(invoice, f.user("admin"))
    db.session.commit()
    row = row_of(client.get("/client/usage").text, last)
    assert "Paid" in row and "Unpaid" not in row


def test_usage_history_open_month_and_no_months_before_the_first_subscription(client, acme_user, f):
    bill_last_month(f, acme_user.client)
    page = client.get("/client/usage").text
    current = row_of(page, period_of(today()))
    assert "Open month" in current and "0:30" in current
    assert page.count("<tr data-period=") == 2  # this month and last month only
    assert page.index(period_of(today())) < page.index(period_of(last_month_start()))


def test_usage_history_without_plan_is_empty(client, acme_user):
    page = client.get("/client/usage").text
    assert "No usage yet" in page and "<tr data-period=" not in page


def test_usage_page_links_to_both_exports(client, acme_user):
    page = client.get("/client/usage").text
    assert "/client/export/usage.csv" in page and "/client/export/time-entries.csv" in page


def test_invoice_list_shows_number_period_dates_total_status(client, acme_user, f):
    invoice = bill_last_month(f, acme_user.client)
    page = client.get("/client/invoices").text
    row = page[page.index(invoice.number) :]
    row = row[: row.index("</tr>")]
    for text in (
        month_name(period_of(last_month_start())),
        invoice.issue_date.isoformat(),
        invoice.due_date.isoformat(),
        "€260.00",
        "Unpaid",
    ):
        assert text in row


def test_invoice_page_shows_lines_and_total(client, acme_user, f):
    invoice = bill_last_month(f, acme_user.client)
    page = client.get(f"/client/invoices/{invoice.id}").text
    assert f"Invoice {invoice.number}" in page and "Support Hours Portal" in page
    assert "ACME GmbH" in page and acme_user.client.email in page
    lines = page[page.index("<tbody>", page.index("invoice-lines")) : page.index("</tbody>")]
    rows = lines.split("</tr>")[:-1]
    assert len(rows) == 2
    # A package is quantity 1 at its price; overtime is hours × the hourly rate.
    assert "support package" in rows[0] and ">1.00<" in rows[0] and rows[0].count("€200.00") == 2
    assert "overtime" in rows[1] and "1.00 h" in rows[1] and rows[1].count("€60.00") == 2
    assert "11.00 h used of 10.00 h included" in page
    assert 'class="num invoice-total">€260.00<' in page


def test_client_gets_404_for_another_clients_invoice(client, acme_user, f):
    other = bill_last_month(f, f.client("Globex Secret Corp"))
    response = client.get(f"/client/invoices/{other.id}")
    assert response.status_code == 404
    assert other.number not in response.text and "Globex Secret Corp" not in response.text
    assert other.number not in client.get("/client/invoices").text
    assert client.get("/client/invoices/999999").status_code == 404


def test_invoice_page_is_printable(client, acme_user, f):
    invoice = bill_last_month(f, acme_user.client)
    page = client.get(f"/client/invoices/{invoice.id}").text
    assert "no-print" in page
    # Only the app's own script files (the phone menu's Bootstrap), nothing inline.
    assert all('src="/' in tag for tag in re.findall(r"<script[^>]*>", page))
    assert "<script>" not in page
    with client.get("/static/css/app.css") as response:
        css = response.text
    print_rules = css[css.rindex("@media print") :]
    assert "nav" in print_rules and ".btn" in print_rules and "#fff" in print_rules


def test_staff_cannot_use_client_pages(client, login_as):
    login_as("operator")
    for url in ("/client/usage", "/client/invoices", "/client/invoices/1"):
        assert client.get(url).status_code == 403


def _invoiced(client_row, admin, price: str) -> Invoice:
    """A one-off item of `price` invoiced at once: its invoice."""
    values = {"description": "Visit", "quantity": "1", "unit_price": price, "date": today()}
    item = add_one_off_item(client_row, values, admin, invoice_now=True)
    db.session.commit()
    return db.session.get(Invoice, item.invoice_id)


def _row(page: str, number: str) -> str:
    """The invoice list row of one number."""
    start = page.index(f">{number}</a>")
    return page[start : page.index("</tr>", start)]


def test_invoice_list_shows_credit_notes_and_balances(client, acme_user, f):
    admin = f.user("admin")
    paid = _invoiced(acme_user.client, admin, "300.00")
    record_payment(paid, admin, {"date": today(), "amount": "120.00", "method": "card"})
    cancelled = _invoiced(acme_user.client, admin, "80.00")
    cancel_invoice(cancelled, admin)
    db.session.commit()
    note = cancelled.credit_note
    page = client.get("/client/invoices").text
    row = _row(page, paid.number)
    assert '<td data-label="Kind">Invoice</td>' in row and "€300.00" in row and "€180.00" in row
    row = _row(page, cancelled.number)
    assert "Cancelled" in row and "€0.00" in row  # nothing is owed on a cancelled invoice
    row = _row(page, note.number)
    assert '<td data-label="Kind">Credit note</td>' in row and "€80.00" in row and "Issued" in row
    assert f"/client/invoices/{note.id}" in page


def test_invoice_page_lists_the_payments_and_the_balance(client, acme_user, f):
    invoice = bill_last_month(f, acme_user.client)
    values = {"date": invoice.issue_date, "amount": "100.00", "method": "bank_transfer"}
    record_payment(invoice, None, values | {"reference": "SEPA 4711"})
    db.session.commit()
    page = client.get(f"/client/invoices/{invoice.id}").text
    payments = page[page.index("Payments received") :]
    assert "Bank transfer" in payments and "SEPA 4711" in payments and "€100.00" in payments
    assert "€160.00" in payments  # the balance of 260.00
