"""Staff invoice pages: list with filters, the invoice, mark paid and cancel."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, Invoice
from portal.services.billing.close import close_period
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import assert_confirmation_page, audit_rows, confirm, csrf_token_from, submit


@pytest.fixture
def invoices(f):
    """Two clients closed for September 2026: ACME (193.33 EUR) and Beta (fee only)."""
    save_settings({"business_timezone": "Europe/Warsaw"})
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    acme, beta = f.client("ACME GmbH"), f.client("Beta Ltd")
    f.subscription(acme, plan, date(2026, 9, 11))
    f.subscription(beta, plan, date(2026, 9, 1))
    log_time(f.ticket(acme), f.user("operator"), TimeInput(465, date(2026, 9, 14)))
    result = close_period("2026-09")
    db.session.commit()
    return {inv.client.name: inv for inv in result.invoices}


def test_invoice_page_shows_lines_and_total(client, admin, invoices):
    acme = invoices["ACME GmbH"]
    page = client.get(f"/admin/invoices/{acme.id}").text
    assert acme.number in page and "ACME GmbH" in page
    assert "€133.33" in page and "€60.00" in page and "€193.33" in page
    assert "Mark paid" in page and "Cancel invoice" in page


def test_list_filters_by_client_status_and_period(client, admin, invoices):
    acme, beta = invoices["ACME GmbH"], invoices["Beta Ltd"]
    page = client.get(f"/admin/invoices?client_id={beta.client_id}").text
    assert beta.number in page and acme.number not in page
    assert acme.number in client.get("/admin/invoices?period=2026-09&status=Unpaid").text
    assert acme.number not in client.get("/admin/invoices?status=Paid").text
    assert "No invoices match" in client.get("/admin/invoices?period=2026-08").text


def test_mark_paid_then_further_moves_are_refused(client, admin, invoices):
    acme = invoices["ACME GmbH"]
    url = f"/admin/invoices/{acme.id}"
    response = submit(client, url, {}, post_url=f"{url}/mark-paid")
    assert response.status_code == 302
    page = client.get(url).text
    assert f"Invoice {acme.number} marked paid." in page and "Mark paid" not in page
    db.session.refresh(acme)
    assert acme.status == "Paid" and acme.paid_date is not None
    # No button, but posted anyway: refused at once, without a confirmation page first.
    refused = submit(client, url, {}, post_url=f"{url}/cancel")
    assert refused.status_code == 302
    assert "it cannot become Cancelled" in client.get(url).text
    db.session.refresh(acme)
    assert acme.status == "Paid"
    actions = set(db.session.scalars(db.select(AuditLogEntry.action)))
    assert "invoice.paid" in actions


def test_cancel_asks_first_and_changes_nothing_until_confirmed(client, admin, invoices):
    beta = invoices["Beta Ltd"]
    url = f"/admin/invoices/{beta.id}"
    asked = submit(client, url, {}, post_url=f"{url}/cancel")
    assert_confirmation_page(
        asked,
        f"Cancel invoice {beta.number}?",
        "Beta Ltd",
        "€200.00",
        "its number stays used",
        "Yes, cancel invoice",
        f'href="{url}"',
    )
    token = csrf_token_from(asked.text)
    for other in ("", "0", "yes"):  # only the page's own value acts; anything else asks again
        again = client.post(f"{url}/cancel", data={"csrf_token": token, "confirmed": other})
        assert_confirmation_page(again, f"Cancel invoice {beta.number}?")
    db.session.expire_all()
    assert db.session.get(Invoice, beta.id).status == "Unpaid"
    assert audit_rows("invoice.cancelled") == []
    assert "cancelled." not in client.get(url).text


def test_cancel_keeps_the_number(client, admin, invoices):
    beta = invoices["Beta Ltd"]
    url = f"/admin/invoices/{beta.id}"
    response = confirm(client, url, f"{url}/cancel")
    assert response.status_code == 302 and response.headers["Location"] == url
    page = client.get(url).text
    db.session.refresh(beta)
    note = beta.credit_note
    assert f"Invoice {beta.number} cancelled; credit note {note.number} issued." in page
    assert len(audit_rows("invoice.cancelled")) == 1
    assert beta.status == "Cancelled" and note.number.startswith("CN-")
    assert db.session.scalar(db.select(Invoice.number).filter_by(id=beta.id)) == beta.number


def test_operator_reads_invoices_but_cannot_change_them(client, login_as, invoices):
    login_as("operator")
    acme = invoices["ACME GmbH"]
    url = f"/admin/invoices/{acme.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Mark paid" not in page.text
    assert submit(client, url, {}, post_url=f"{url}/mark-paid").status_code == 403
    assert submit(client, url, {}, post_url=f"{url}/cancel").status_code == 403
    db.session.refresh(acme)
    assert acme.status == "Unpaid"


def test_unknown_invoice_is_404(client, admin):
    assert client.get("/admin/invoices/999999").status_code == 404


def test_client_page_shows_usage_history_items_and_invoices(client, admin, invoices):
    acme = invoices["ACME GmbH"]
    page = client.get(f"/admin/clients/{acme.client_id}").text
    assert "Usage this month" in page and "Standard" in page
    assert "2026-09" in page and "7:45" in page and "6:45" in page  # used, included
    assert acme.number in page and "€193.33" in page
    assert "overtime, September 2026" in page
