"""SPEC.md's worked example run through the admin pages: an invoice of 193.33 EUR, two items."""

from decimal import Decimal

from portal.extensions import db
from portal.models import Client, Invoice, Plan, Ticket
from tests.helpers import confirm, submit


def test_worked_example_through_the_pages(client, login_as, f):
    f.currency("EUR", is_default=True)
    login_as("admin")
    assert (
        submit(
            client,
            "/admin/settings",
            {
                "business_timezone": "Europe/Warsaw",
                "invoice_on_close": "y",
                "due_days": "14",
                "invoice_number_format": "{YYYY}/{MM}/{SEQ}",
                "credit_note_number_format": "CN-{YYYY}/{SEQ}",
                "send_invoices_automatically": "y",
                "reminder_days_before_due": "3",
                "overdue_reminder_days": "1, 7, 14",
                "payment_received_mail": "y",
            },
        ).status_code
        == 302
    )
    response = submit(
        client,
        "/admin/plans/new",
        {
            "name": "Standard",
            "model": "package",
            "included_hours": "10",
            "prorate": "y",
            "active": "y",
            "price-EUR-fee": "200.00",
            "price-EUR-rate": "60.00",
        },
    )
    assert response.status_code == 302, response.text
    eur = f.currency("EUR")
    response = submit(
        client,
        "/admin/clients/new",
        {
            "name": "ACME",
            "email": "billing@acme.example.com",
            "currency": str(eur.id),
            "active": "y",
        },
    )
    assert response.status_code == 302, response.text
    acme = db.session.scalar(db.select(Client))
    plan = db.session.scalar(db.select(Plan))
    response = submit(
        client,
        f"/admin/clients/{acme.id}",
        {"plan": str(plan.id), "start_date": "2026-09-11"},
        post_url=f"/admin/clients/{acme.id}/subscriptions",
    )
    assert response.status_code == 302, response.text
    submit(
        client,
        "/admin/tickets/new",
        {
            "client": str(acme.id),
            "subject": "Servers",
            "department": "Support",
            "priority": "Medium",
            "message": "Please look",
            "time_tracking": "y",
        },
    )
    ticket = db.session.scalar(db.select(Ticket))
    for hours, work_date, billable in (
        ("4.25", "2026-09-14", "y"),
        ("3:30", "2026-09-22", "y"),
        ("1", "2026-09-23", ""),
    ):
        data = {"hours": hours, "work_date": work_date}
        if billable:
            data["billable"] = billable
        assert submit(client, f"/admin/tickets/{ticket.id}", data).status_code == 302
    assert confirm(client, "/admin/billing", "/admin/billing/2026-09/close").status_code == 302
    invoice = db.session.scalar(db.select(Invoice))
    assert invoice.total == Decimal("193.33") and len(invoice.lines) == 2
    page = client.get(f"/admin/invoices/{invoice.id}").text
    assert "€133.33" in page and "€60.00" in page and "€193.33" in page
