"""The close's invoice mail, written from stencils, is the mail the templates render.

The close renders each language's invoice message once with stand-ins and fills in every
invoice's values (portal.services.mail.billing._Stencil); these tests render every message
of a close in full, as `message_values` does, and compare.
"""

from datetime import date

from portal.extensions import db
from portal.formatting import format_money
from portal.i18n import speaking
from portal.models import Invoice, OutboxMessage
from portal.services.billing.close import close_period
from portal.services.billing.profiles import save_business_profile
from portal.services.mail import billing as mail_billing
from portal.services.mail import outbox
from portal.services.tickets.time_entries import TimeInput, log_time

NAMES = {
    "en": "Smith & <Sons> \"Quoted\" 'Ltd'",
    "de": "Müller & Söhne <GmbH>",
    "pl": 'Zakład "Łódź" & spółka',
}


def _close_with_clients(f, names=NAMES):
    """Three clients (one per language, names HTML must escape) with overtime; closed."""
    save_business_profile(
        {
            "legal_name": "Seller & <Co>",
            "address_lines": ["1 Road"],
            "postal_code": "00-001",
            "city": "Warsaw",
            "country": "PL",
            "tax_id": "DE136695976",
            "email": "billing@seller.example",
        },
        None,
    )
    db.session.commit()
    plan = f.plan("Care & <Feed>", hours=1, prorate=False)
    operator = f.user("operator")
    for language, name in names.items():
        client = f.client(name, language=language)
        client.billing_emails = [f"b-{language}@example.com", f"a-{language}@example.com"]
        db.session.commit()
        f.subscription(client, plan, date(2026, 8, 1))
        log_time(f.ticket(client), operator, TimeInput(135, date(2026, 9, 3)))
    db.session.commit()
    close_period("2026-09")
    db.session.commit()


def _rendered(invoice: Invoice) -> dict:
    """The invoice's message as the templates render it in full."""
    row = mail_billing._invoice_row(invoice)
    with speaking(invoice.buyer["language"]):
        money = format_money(invoice.total, invoice.currency)
        return mail_billing._issued_values(row, False, money)


def test_every_message_of_a_close_is_the_rendered_one(f):
    _close_with_clients(f)
    invoices = db.session.scalars(db.select(Invoice).order_by(Invoice.id)).all()
    assert len(invoices) == 3
    for invoice in invoices:
        message = db.session.scalars(
            db.select(OutboxMessage).filter_by(invoice_id=invoice.id)
        ).one()
        expected = _rendered(invoice)
        for field in ("event_key", "kind", "recipients", "subject", "body_text", "body_html"):
            assert getattr(message, field) == expected[field], field
        assert "&amp;" in message.body_html and "&lt;" in message.body_html
        assert invoice.buyer["name"] in message.body_text


def test_a_template_that_changes_a_value_is_rendered_in_full(f, monkeypatch):
    real = outbox.render_mail

    def shouting(name, context):
        """A template that upper-cases the recipient's name (a stencil cannot fill that)."""
        if "invoice_issued" in name:
            context = {**context, "recipient_name": context["recipient_name"].upper()}
        return real(name, context)

    monkeypatch.setattr(outbox, "render_mail", shouting)
    _close_with_clients(f, {"en": "Quiet Client"})
    message = db.session.scalars(db.select(OutboxMessage).filter_by(kind="invoice_issued")).one()
    assert "QUIET CLIENT" in message.body_text
    assert "\ue000" not in message.body_text + message.body_html
