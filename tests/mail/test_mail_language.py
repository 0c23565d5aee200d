"""Mail in its reader's language (SPEC "Languages"): a person's mail in their own choice (else
their client's), billing mail in the client's, each message of one event in its own reader's
language. Written to the real outbox and delivered to a real SMTP server on loopback.

Until the catalogs are filled the words stay English, so these tests check what Babel does
without them (money, dates) and under which locale each message was rendered; the tests of
the words themselves are skipped while gettext does not translate a known message yet."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.support import Translations

from portal.extensions import db
from portal.i18n import current_language
from portal.models import Invoice, OutboxMessage
from portal.services import settings as settings_service
from portal.services.billing.invoices import buyer_snapshot
from portal.services.billing.profiles import save_business_profile
from portal.services.mail import outbox
from portal.services.mail.accounts import mail_password_reset
from portal.services.mail.billing import tell_invoice_issued
from portal.services.mail.sender import deliver_due
from tests.helpers import submit

CATALOGS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def translated(language: str, msgid: str) -> bool:
    """Whether the compiled catalog of `language` translates `msgid` yet."""
    catalog = Translations.load(str(CATALOGS), [language], domain="messages")
    return catalog.gettext(msgid) != msgid


RESET_SUBJECT = "Reset your Support Hours Portal password"
INVOICE_SUBJECT = "Invoice %(number)s from %(seller)s"
needs_pl = pytest.mark.skipif(
    not translated("pl", RESET_SUBJECT), reason="the Polish catalog is not filled yet"
)
needs_de = pytest.mark.skipif(
    not translated("de", INVOICE_SUBJECT), reason="the German catalog is not filled yet"
)


@pytest.fixture
def spoken(monkeypatch):
    """Every mail template rendered: (template, recipient name, language spoken then)."""
    seen = []
    render = outbox.render_mail

    def recording(name, context):
        seen.append((name, context.get("recipient_name"), current_language()))
        return render(name, context)

    monkeypatch.setattr(outbox, "render_mail", recording)
    return seen


def languages(seen, recipient=None) -> set[str]:
    """The languages the templates (of one recipient) were rendered in."""
    return {language for _name, who, language in seen if recipient in (None, who)}


def delivered(smtp, address: str):
    """The message the sender delivered to `address`."""
    deliver_due()
    [message] = [item.message for item in smtp.received if item.rcpt_tos == [address]]
    return message


# ---- a person's mail ---------------------------------------------------------------------------


def test_password_reset_is_written_in_the_users_own_language(app, f, smtp, spoken):
    user = f.user("client", email="ola@acme.example", name="Ola")
    f.update(user, language="pl")
    assert mail_password_reset(user)
    db.session.commit()
    assert languages(spoken) == {"pl"} and len(spoken) == 2  # the text and the HTML
    mail = delivered(smtp, "ola@acme.example")
    assert "Hello Ola" in mail.get_body(("plain",)).get_content() or translated("pl", RESET_SUBJECT)


def test_a_users_mail_follows_the_client_language_when_they_chose_none(app, f, spoken):
    acme = f.client("ACME GmbH")
    f.update(acme, language="de")
    user = f.user("client", client=acme, email="jan@acme.example", name="Jan")
    english = f.user("client", client=acme, email="en@acme.example", name="Eve")
    f.update(english, language="en")
    mail_password_reset(user)
    mail_password_reset(english)
    assert languages(spoken, "Jan") == {"de"} and languages(spoken, "Eve") == {"en"}


def test_the_request_goes_on_in_its_own_language_after_writing_the_mail(client, f, spoken):
    user = f.user("client", email="ola@acme.example", name="Ola")
    f.update(user, language="pl")
    page = submit(client, "/password/forgot", {"email": "ola@acme.example"})
    assert page.status_code == 302
    assert languages(spoken) == {"pl"}
    # The English visitor's page is still English (the mail's locale ended with it).
    assert "If an account exists for that address" in client.get("/password/forgot").text


def test_a_reply_to_several_client_users_is_written_in_each_ones_language(
    client, f, login_as, smtp, spoken
):
    login_as("operator", name="Olga Operator")
    acme = f.client("ACME GmbH")
    f.update(acme, language="de")
    ola = f.user("client", client=acme, email="ola@acme.example", name="Ola")
    f.update(ola, language="pl")
    jan = f.user("client", client=acme, email="jan@acme.example", name="Jan")
    eve = f.user("client", client=acme, email="eve@acme.example", name="Eve")
    f.update(eve, language="en")
    ticket = f.ticket(acme, subject="Drukarka")
    answer = submit(client, f"/admin/tickets/{ticket.id}", {"reply": "Done.", "status": ""})
    assert answer.status_code == 302
    assert languages(spoken, "Ola") == {"pl"}
    assert languages(spoken, "Jan") == {"de"}
    assert languages(spoken, "Eve") == {"en"}
    mails = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert sorted(m.recipients[0] for m in mails) == sorted(u.email for u in (ola, jan, eve))
    assert all(m.subject == f"[#{ticket.number}] Drukarka" for m in mails)
    assert "Done." in delivered(smtp, "ola@acme.example").get_body(("plain",)).get_content()


@needs_pl
def test_polish_words_in_the_password_reset(app, f):
    user = f.user("client", email="ola@acme.example", name="Ola")
    f.update(user, language="pl")
    mail_password_reset(user)
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert row.subject != RESET_SUBJECT
    assert "Hello Ola" not in row.body_text


# ---- billing mail ------------------------------------------------------------------------------


@pytest.fixture
def german_client(f, monkeypatch):
    """October 1st 2026: a business profile and a German-speaking client on a package of
    1,829.63 EUR a month since September."""
    moment = datetime(2026, 10, 1, 12, tzinfo=UTC)
    monkeypatch.setattr(settings_service, "utcnow", lambda: moment)
    save_business_profile(
        {
            "legal_name": "Support Hours Sp. z o.o.",
            "address_lines": ["ul. Prosta 20"],
            "postal_code": "00-850",
            "city": "Warszawa",
            "country": "PL",
            "tax_id": "PL5260250274",
        },
        None,
    )
    db.session.commit()
    plan = f.plan("Standard", hours=10, prices={"EUR": ("1829.63", "60.00")})
    kunde = f.client("Kunde GmbH", billing_emails=["buchhaltung@kunde.example"])
    f.update(kunde, language="de")
    f.subscription(kunde, plan, date(2026, 9, 1))
    return kunde


def close(runner, period="2026-09"):
    """`flask close-month`, as an admin would run it."""
    result = runner.invoke(args=["close-month", period])
    assert result.exit_code == 0, result.output


def issued_in(language: str, invoice: Invoice) -> None:
    """Mail the invoice again as if it had been issued to a buyer speaking `language`."""
    db.session.execute(db.delete(OutboxMessage))
    invoice.buyer = {**invoice.buyer, "language": language}
    db.session.flush()
    tell_invoice_issued(invoice)
    db.session.commit()


def test_invoice_mail_speaks_the_buyers_language_as_issued(app, runner, german_client, smtp):
    close(runner)
    invoice = db.session.scalar(db.select(Invoice))
    issued_in("de", invoice)
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert "1.829,63\xa0€" in row.body_text  # Babel's German money, catalog or not
    assert "€1,829.63" not in row.body_html
    message = delivered(smtp, "buchhaltung@kunde.example")
    assert "1.829,63\xa0€" in message.get_body(("plain",)).get_content()

    issued_in("en", invoice)
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert "€1,829.63" in row.body_text


def test_the_close_groups_invoice_mail_by_language(app, runner, f, german_client, spoken):
    english = f.client("English Ltd")
    f.subscription(english, f.plan(), date(2026, 9, 1))
    polish = f.client("Polska sp. z o.o.")
    f.update(polish, language="pl")
    f.subscription(polish, f.plan(), date(2026, 9, 1))
    close(runner)
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert len(rows) == 3
    if "language" not in buyer_snapshot(german_client):
        pytest.skip("invoices do not keep the buyer's language yet")
    by_client = {row.client_id: row for row in rows}
    assert "1.829,63\xa0€" in by_client[german_client.id].body_text
    assert "€" in by_client[english.id].body_text and "\xa0€" not in by_client[english.id].body_text
    # One switch of locale per language, not per message: the renders come in language runs.
    runs = [language for _name, _who, language in spoken]
    changes = sum(1 for a, b in zip(runs, runs[1:], strict=False) if a != b)
    assert changes <= 2


def test_reminders_and_payments_speak_the_clients_language(
    app, client, runner, german_client, monkeypatch
):
    close(runner)
    moment = datetime(2026, 10, 12, 12, tzinfo=UTC)  # three days before the due date
    monkeypatch.setattr(settings_service, "utcnow", lambda: moment)
    assert runner.invoke(args=["send-reminders"]).exit_code == 0
    invoice = db.session.scalar(db.select(Invoice))
    [reminder] = db.session.scalars(db.select(OutboxMessage).filter_by(kind="payment_reminder"))
    assert "15.10.2026" in reminder.subject  # the German date, catalog or not
    assert "1.829,63\xa0€" in reminder.body_text
    assert invoice.number in reminder.subject


@needs_de
def test_german_words_in_the_invoice_mail(app, runner, german_client):
    close(runner)
    invoice = db.session.scalar(db.select(Invoice))
    issued_in("de", invoice)
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert not row.subject.startswith("Invoice ")
