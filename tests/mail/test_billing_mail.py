"""Billing mail through the doors people use: the close (CLI) issues invoice mail that the
sender delivers with the PDF and its Factur-X XML; payments, cancellations, the daily
reminders with the calendar moved, and usage alerts from the operator's ticket form."""

import io
import threading
from datetime import UTC, date, datetime

import pytest
from facturx import get_xml_from_pdf
from pypdf import PdfReader
from sqlalchemy import create_engine

from portal.extensions import db
from portal.models import Invoice, MailStatus, OutboxMessage, Ticket, TimeEntry, User
from portal.services import settings as settings_service
from portal.services.billing.profiles import save_business_profile
from portal.services.mail.compose import build
from portal.services.mail.sender import deliver_due
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from portal.transaction import unit_of_work
from tests.helpers import at_once, bearer, count, statements_run, submit, until_someone_waits

API = "/api/v1"


@pytest.fixture
def clock(monkeypatch):
    """Set the business "today" (noon UTC of the day given)."""

    def set_today(day: date) -> None:
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        monkeypatch.setattr(settings_service, "utcnow", lambda: moment)

    return set_today


@pytest.fixture
def shop(f, clock):
    """October 1st 2026: a business profile, ACME (two billing emails) and Nowak (none: its
    account email) on 200 EUR packages since September, and an admin's API token."""
    clock(date(2026, 10, 1))
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
    plan = f.plan("Standard", hours=10, prices={"EUR": ("200.00", "60.00")})
    acme = f.client("ACME", billing_emails=["ap@acme.example", "cfo@acme.example"])
    nowak = f.client("Nowak")
    for client in (acme, nowak):
        f.subscription(client, plan, date(2026, 9, 1))
    return {"acme": acme, "nowak": nowak, "admin": bearer(f.api_token(f.user("admin")))}


def rows(**where) -> list[OutboxMessage]:
    """Outbox rows, oldest first, filtered by column values."""
    db.session.expire_all()
    query = db.select(OutboxMessage).filter_by(**where).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def close(runner, period="2026-09"):
    """`flask close-month`, as an admin would run it."""
    result = runner.invoke(args=["close-month", period])
    assert result.exit_code == 0, result.output
    return result


def pdf_of(message):
    """The one PDF attached to a received message: (filename, bytes)."""
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    return part.get_filename(), part.get_content()


# ---- invoice_issued ---------------------------------------------------------------------------


def test_close_writes_one_invoice_mail_per_invoice_delivered_with_pdf_and_factur_x(
    app, shop, runner, smtp
):
    close(runner)
    invoices = {i.client_id: i for i in db.session.scalars(db.select(Invoice))}
    mails = rows(kind="invoice_issued")
    assert len(mails) == len(invoices) == 2
    by_client = {mail.client_id: mail for mail in mails}
    acme, nowak = shop["acme"], shop["nowak"]
    assert by_client[acme.id].recipients == ["ap@acme.example", "cfo@acme.example"]
    assert by_client[nowak.id].recipients == [nowak.email]
    for client_id, mail in by_client.items():
        invoice = invoices[client_id]
        assert mail.event_key == f"invoice:{invoice.id}:issued"
        assert (mail.invoice_id, mail.status) == (invoice.id, MailStatus.QUEUED)
        assert invoice.number in mail.subject and "Support Hours Sp. z o.o." in mail.subject
        assert "€200.00" in mail.body_text  # no tax rate configured: the total is the net

    assert len(deliver_due().sent) == 2
    received = {item.rcpt_tos[0]: item.message for item in smtp.received}
    assert sorted(received) == ["ap@acme.example", nowak.email]
    message = received["ap@acme.example"]
    invoice = invoices[acme.id]
    text = message.get_body(("plain",)).get_content()
    assert f"http://127.0.0.1:5000/client/invoices/{invoice.id}" in text
    assert "due on 2026-10-15" in text
    filename, pdf = pdf_of(message)
    safe = invoice.number.replace("/", "-")
    assert filename == f"invoice-{safe}.pdf"
    assert invoice.number in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    _name, xml = get_xml_from_pdf(pdf, check_xsd=False)
    assert invoice.number.encode() in xml

    # Closing again finds the month closed and writes no second message.
    assert "already closed" in close(runner).output
    assert len(rows()) == 2 and deliver_due().handled == 0


def test_an_invoice_mail_reads_its_invoice_in_four_statements(app, shop, runner):
    """A sender builds thousands of these after a close: the invoice with its currency and
    period, its lines, its taxes and the month's hours, whatever the number of lines."""
    close(runner)
    [mail, *_] = rows(kind="invoice_issued")
    db.session.expire_all()
    mail = db.session.get(OutboxMessage, mail.id)  # the row, read as the sender reads it
    statements, message = statements_run(lambda: build(mail))
    assert statements == 4
    [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert part.get_content().startswith(b"%PDF")


def test_invoice_mail_is_held_when_invoices_are_not_sent_automatically(app, shop, runner, smtp):
    save_settings({"send_invoices_automatically": False})
    db.session.commit()
    close(runner)
    assert {mail.status for mail in rows(kind="invoice_issued")} == {MailStatus.HELD}
    assert deliver_due().handled == 0 and smtp.received == []


def test_invoice_now_and_credit_note_are_mailed(app, client, shop, smtp):
    acme, admin = shop["acme"], shop["admin"]
    item = {"description": "Server move", "quantity": "1", "unit_price": "450.00"}
    item |= {"date": "2026-10-01", "invoice_now": True}
    response = client.post(f"{API}/clients/{acme.id}/items", json=item, headers=admin)
    assert response.status_code == 201, response.json
    invoice_id = response.json["invoice_id"]
    [issued] = rows(kind="invoice_issued")
    assert (issued.invoice_id, issued.recipients[0]) == (invoice_id, "ap@acme.example")

    cancelled = client.post(f"{API}/invoices/{invoice_id}/cancel", headers=admin)
    assert cancelled.status_code == 200, cancelled.json
    note_id = cancelled.json["credit_note_id"]
    [note_mail] = rows(kind="credit_note_issued")
    assert note_mail.event_key == f"invoice:{note_id}:issued"
    assert note_mail.invoice_id == note_id and "Credit note" in note_mail.subject
    number = db.session.get(Invoice, invoice_id).number
    assert f"cancels invoice {number}" in note_mail.body_text

    deliver_due()
    notes = [r.message for r in smtp.received if r.message["X-Portal-Kind"] == "credit_note_issued"]
    filename, pdf = pdf_of(notes[0])
    assert filename.startswith("credit-note-") and PdfReader(io.BytesIO(pdf)).pages


def test_an_invoice_cancelled_while_held_is_never_mailed_nor_its_credit_note(
    app, client, shop, runner, smtp
):
    save_settings({"send_invoices_automatically": False})
    db.session.commit()
    close(runner)
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    others = len(rows(kind="invoice_issued")) - 1
    response = client.post(f"{API}/invoices/{invoice.id}/cancel", headers=shop["admin"])
    assert response.status_code == 200, response.json
    assert invoice.id not in [m.invoice_id for m in rows(kind="invoice_issued")]
    assert rows(kind="credit_note_issued") == []  # the client never saw the invoice
    released = client.post(f"{API}/emails/release-held", headers=shop["admin"])
    assert released.status_code == 200 and released.json == {"released": others}
    deliver_due()
    assert all(r.message["X-Portal-Kind"] == "invoice_issued" for r in smtp.received)
    assert invoice.number not in " ".join(r.message["Subject"] for r in smtp.received)


def test_a_refused_cancel_writes_no_credit_note_mail(app, client, shop, runner):
    close(runner)
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    payment = {"date": "2026-10-01", "amount": "10.00", "method": "card", "reference": ""}
    client.post(f"{API}/invoices/{invoice.id}/payments", json=payment, headers=shop["admin"])
    response = client.post(f"{API}/invoices/{invoice.id}/cancel", headers=shop["admin"])
    assert response.status_code == 409
    assert rows(kind="credit_note_issued") == []


# ---- payment_received -----------------------------------------------------------------------


def pay(client, shop, invoice, amount, day="2026-10-05"):
    """A payment through the API."""
    body = {"date": day, "amount": amount, "method": "bank_transfer", "reference": "x"}
    return client.post(f"{API}/invoices/{invoice.id}/payments", json=body, headers=shop["admin"])


def test_payment_that_completes_an_invoice_is_mailed_once(app, client, shop, runner, clock):
    close(runner)
    clock(date(2026, 10, 6))
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    assert pay(client, shop, invoice, "100.00").status_code == 201
    assert rows(kind="payment_received") == []  # part-paid: nothing to thank for yet
    assert pay(client, shop, invoice, "100.00").status_code == 201
    [mail] = rows(kind="payment_received")
    assert mail.event_key == f"invoice:{invoice.id}:paid"
    assert mail.recipients == ["ap@acme.example", "cfo@acme.example"]
    assert "€200.00" in mail.body_text and "2026-10-05" in mail.body_text
    assert pay(client, shop, invoice, "1.00").status_code == 409  # paid: nothing more
    assert len(rows(kind="payment_received")) == 1


def test_payment_received_mail_can_be_switched_off(app, client, shop, runner, clock):
    close(runner)
    save_settings({"payment_received_mail": False})
    db.session.commit()
    clock(date(2026, 10, 6))
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    assert pay(client, shop, invoice, "200.00").status_code == 201
    assert rows(kind="payment_received") == []


def test_a_refused_payment_writes_no_mail(app, client, shop, runner):
    close(runner)
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    assert pay(client, shop, invoice, "200.01").status_code == 400
    assert rows(kind="payment_received") == []


# ---- payment_reminder and invoice_overdue: the daily job --------------------------------------


def remind(runner) -> str:
    """`flask send-reminders`, as the daily job runs it."""
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    return result.output


def reminder_keys() -> list[str]:
    """Event keys of the reminders and overdue notices written so far."""
    return [
        mail.event_key for mail in rows() if mail.kind in ("payment_reminder", "invoice_overdue")
    ]


def test_reminder_then_each_overdue_stage_once(app, shop, runner, clock):
    close(runner)  # issued 2026-10-01, due 2026-10-15 (14 days)
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    other = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["nowak"].id))
    key = f"invoice:{invoice.id}"
    clock(date(2026, 10, 11))  # four days before: nothing yet
    remind(runner)
    assert reminder_keys() == []
    clock(date(2026, 10, 12))  # three days before: the reminder
    assert "Reminders queued: 2" in remind(runner)
    remind(runner)  # a second run the same day, or the next: nothing new
    clock(date(2026, 10, 14))
    remind(runner)
    assert reminder_keys() == [f"{key}:reminder", f"invoice:{other.id}:reminder"]
    [mail] = rows(event_key=f"{key}:reminder")
    assert mail.kind == "payment_reminder" and mail.invoice_id == invoice.id
    assert mail.recipients == ["ap@acme.example", "cfo@acme.example"]
    assert "in 3 days, on 2026-10-15" in mail.body_text and "€200.00" in mail.body_text
    assert f"/client/invoices/{invoice.id}" in mail.body_html

    for day, stage in ((16, "overdue:1"), (22, "overdue:7"), (29, "overdue:14")):
        clock(date(2026, 10, day - 1))
        remind(runner)
        assert f"{key}:{stage}" not in reminder_keys()  # not a day early
        clock(date(2026, 10, day))
        remind(runner)
        assert f"{key}:{stage}" in reminder_keys()
    overdue = rows(event_key=f"{key}:overdue:14")[0]
    assert overdue.kind == "invoice_overdue" and "14 days ago" in overdue.body_text
    clock(date(2026, 12, 31))
    remind(runner)
    acme_keys = [k for k in reminder_keys() if k.startswith(f"{key}:")]
    assert acme_keys == [f"{key}:{s}" for s in ("reminder", "overdue:1", "overdue:7", "overdue:14")]


def test_a_late_run_sends_only_the_latest_stage_reached(app, shop, runner, clock):
    close(runner)  # due 2026-10-15
    clock(date(2026, 10, 25))  # the job did not run for two weeks: overdue 10 days
    remind(runner)
    assert {key.split(":", 2)[2] for key in reminder_keys()} == {"overdue:7"}
    assert "10 days ago" in rows(kind="invoice_overdue")[0].body_text
    clock(date(2026, 10, 16))  # a reminder is never sent after its due date has passed
    remind(runner)
    assert not any(key.endswith(":reminder") for key in reminder_keys())


def test_never_for_a_paid_cancelled_or_held_invoice(app, client, shop, runner, clock):
    save_settings({"send_invoices_automatically": False})
    db.session.commit()
    close(runner)
    acme = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["acme"].id))
    nowak = db.session.scalar(db.select(Invoice).filter_by(client_id=shop["nowak"].id))
    clock(date(2026, 10, 20))
    remind(runner)
    assert reminder_keys() == []  # their invoices have not gone out yet
    db.session.execute(db.update(OutboxMessage).values(status=MailStatus.QUEUED))
    db.session.commit()  # an admin released them
    assert pay(client, shop, acme, "200.00", "2026-10-20").status_code == 201
    assert (
        client.post(f"{API}/invoices/{nowak.id}/cancel", headers=shop["admin"]).status_code == 200
    )
    clock(date(2026, 10, 30))
    remind(runner)
    assert reminder_keys() == []


def test_reminder_settings_change_the_stages(app, shop, runner, clock):
    save_settings({"reminder_days_before_due": 0, "overdue_reminder_days": [3]})
    db.session.commit()
    close(runner)
    clock(date(2026, 10, 14))
    remind(runner)
    assert reminder_keys() == []
    clock(date(2026, 10, 18))
    remind(runner)
    assert sorted(key.split(":", 2)[2] for key in reminder_keys()) == ["overdue:3"] * 2


# ---- usage_80 and usage_100 -------------------------------------------------------------------


@pytest.fixture
def desk(f, clock, login_as):
    """October 20th 2026: an operator logged in; ACME on a 10 h package prorated from
    October 16th (16/31 of the month: 5:15 h included), a client user who wants alerts and
    one who does not, an admin who wants alerts and one who does not."""
    clock(date(2026, 10, 20))
    operator = login_as("operator")
    acme = f.client("ACME", billing_emails=["ap@acme.example"])
    plan = f.plan("Standard", hours=10, prices={"EUR": ("200.00", "60.00")}, prorate=True)
    subscription = f.subscription(acme, plan, date(2026, 10, 16))
    f.user("client", client=acme, email="anna@acme.example")
    f.update(f.user("client", client=acme, email="quiet@acme.example"), notify_alerts=False)
    f.user("admin", email="boss@example.com")
    f.update(f.user("admin", email="busy@example.com"), notify_alerts=False)
    return operator, acme, subscription, f.ticket(acme, subject="Backups")


def log_hours(client, ticket, hours, day="2026-10-20", billable=True):
    """The operator's inline ticket form, logging time only."""
    data = {"reply": "", "status": "", "hours": hours, "work_date": day, "note": ""}
    if billable:
        data["billable"] = "y"
    response = submit(client, f"/admin/tickets/{ticket.id}", data)
    assert response.status_code == 302, response.text
    return response


def test_usage_alerts_at_80_and_100_percent_of_the_prorated_hours(app, client, desk):
    _operator, _acme, subscription, ticket = desk
    key = f"usage:{subscription.id}:2026-10"
    log_hours(client, ticket, "4:00")  # 240 of 315 minutes: 76 %
    log_hours(client, ticket, "2:00", billable=False)  # not billable: does not count
    assert rows() == []
    log_hours(client, ticket, "0:15")  # 255 of 315: 81 %
    mails = rows()
    assert [(m.kind, m.event_key) for m in mails] == [
        ("usage_80", f"{key}:80"),
        ("usage_80", f"{key}:80:staff"),
    ]
    assert mails[0].recipients == ["anna@acme.example", "ap@acme.example"]
    assert mails[1].recipients == ["boss@example.com"]
    assert [m.to_staff for m in mails] == [
        False,
        True,
    ]  # the admins' copy stays off the client's log
    assert "4.25 of the 5.25 support hours" in mails[0].body_text
    assert "You have used" in mails[0].body_text and "ACME has used" in mails[1].body_text
    assert (
        "/client/usage" in mails[0].body_text and f"/admin/clients/{_acme.id}" in mails[1].body_text
    )
    log_hours(client, ticket, "0:30")  # 88 %: 80 % was told already
    assert len(rows()) == 2
    log_hours(client, ticket, "0:30")  # 315 of 315: 100 %
    assert [m.event_key for m in rows(kind="usage_100")] == [f"{key}:100", f"{key}:100:staff"]
    log_hours(client, ticket, "1:00")
    assert len(rows()) == 4


def test_time_logged_or_edited_through_the_api_raises_the_alert(app, client, desk, f):
    _operator, _acme, subscription, ticket = desk
    token = bearer(f.api_token(f.user("operator")))
    url = f"{API}/tickets/{ticket.id}/time-entries"
    body = {"hours": "4", "work_date": "2026-10-20"}
    response = client.post(url, json=body, headers=token)
    assert response.status_code == 201, response.json
    assert rows() == []
    entry = response.json["id"]
    response = client.patch(f"{API}/time-entries/{entry}", json={"hours": "4.5"}, headers=token)
    assert response.status_code == 200, response.json
    assert [m.event_key for m in rows()][0] == f"usage:{subscription.id}:2026-10:80"


def test_an_entry_past_both_thresholds_says_100_only(app, client, desk):
    _operator, _acme, subscription, ticket = desk
    log_hours(client, ticket, "6:00")
    assert {m.kind for m in rows()} == {"usage_100"}


def test_hourly_plans_get_no_alerts(app, client, f, clock, login_as):
    clock(date(2026, 10, 20))
    login_as("operator")
    acme = f.client("ACME")
    f.subscription(acme, f.plan("Hourly", model="hourly"), date(2026, 10, 1))
    log_hours(client, f.ticket(acme), "10:00")
    assert count(TimeEntry) == 1 and rows() == []


def test_eight_concurrent_entries_write_one_alert(app, f, clock):
    """Each of eight entries takes the month past 80 % (7:45 h logged before, 15 minutes
    each, never 100 %): they race to write the same event, and one message is written."""
    clock(date(2026, 10, 20))
    acme = f.client("ACME")
    subscription = f.subscription(acme, f.plan("Standard", hours=10), date(2026, 10, 1))
    ticket = f.ticket(acme)
    operator = f.user("operator")
    log_time(ticket, operator, TimeInput(465, date(2026, 10, 2)))
    db.session.commit()
    assert rows() == []
    ids = (ticket.id, operator.id)

    def log_quarter():
        from portal.models import Ticket, User

        with unit_of_work():
            log_time(
                db.session.get(Ticket, ids[0]),
                db.session.get(User, ids[1]),
                TimeInput(15, date(2026, 10, 20)),
            )

    at_once(app, log_quarter)
    assert count(TimeEntry) == 9
    assert [m.event_key for m in rows()] == [f"usage:{subscription.id}:2026-10:80"]


def test_two_entries_that_only_together_reach_80_percent_write_the_alert(app, f, clock):
    """One operator's 7:30 h (75 % of 10 h) is saved but not yet committed when another
    logs 0:30 h (5 %) on another ticket: neither sees 80 % alone. The second decides after
    the first has committed, sees 8:00 h, and writes the alert (PostgreSQL: the
    subscription's row lock)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: the second entry cannot start before")
    clock(date(2026, 10, 20))
    acme = f.client("ACME")
    subscription = f.subscription(acme, f.plan("Standard", hours=10), date(2026, 10, 1))
    # Two tickets: entries on one ticket already wait for each other (its row is updated).
    ids = (f.ticket(acme).id, f.user("operator").id, f.ticket(acme).id)
    db.session.commit()
    first_decided, release, errors = threading.Event(), threading.Event(), []
    url = db.engine.url

    def first():
        try:
            with app.app_context(), unit_of_work():
                ticket, operator = db.session.get(Ticket, ids[0]), db.session.get(User, ids[1])
                log_time(ticket, operator, TimeInput(450, date(2026, 10, 20)))
                first_decided.set()
                release.wait(10)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            first_decided.set()

    def release_once_the_second_waits():
        watcher = create_engine(url)
        with watcher.connect() as conn:
            until_someone_waits(conn, 3)
        watcher.dispose()
        release.set()

    thread, watcher = (
        threading.Thread(target=first),
        threading.Thread(target=release_once_the_second_waits),
    )
    thread.start()
    assert first_decided.wait(10)
    watcher.start()
    with unit_of_work():
        log_time(
            db.session.get(Ticket, ids[2]),
            db.session.get(User, ids[1]),
            TimeInput(30, date(2026, 10, 20)),
        )
    thread.join(15)
    watcher.join(15)
    assert errors == []
    assert count(TimeEntry) == 2
    assert [m.event_key for m in rows()] == [f"usage:{subscription.id}:2026-10:80"]


# ---- settings through the API -----------------------------------------------------------------


def test_api_reads_and_changes_the_mail_settings(app, client, f):
    admin = bearer(f.api_token(f.user("admin")))
    got = client.get(f"{API}/settings", headers=admin).json
    assert got["send_invoices_automatically"] is True and got["payment_received_mail"] is True
    assert (got["reminder_days_before_due"], got["overdue_reminder_days"]) == (3, [1, 7, 14])
    changes = {
        "send_invoices_automatically": False,
        "reminder_days_before_due": 0,
        "overdue_reminder_days": [30, 5],
        "payment_received_mail": False,
    }
    response = client.patch(f"{API}/settings", json=changes, headers=admin)
    assert response.status_code == 200, response.json
    assert {key: response.json[key] for key in changes} == changes | {
        "overdue_reminder_days": [5, 30]
    }
    assert client.get(f"{API}/settings", headers=admin).json == response.json


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reminder_days_before_due": -1}, "reminder_days_before_due"),
        ({"reminder_days_before_due": 61}, "reminder_days_before_due"),
        ({"reminder_days_before_due": 2.5}, "reminder_days_before_due"),
        ({"reminder_days_before_due": "3"}, "reminder_days_before_due"),
        ({"overdue_reminder_days": []}, "overdue_reminder_days"),
        ({"overdue_reminder_days": [1, 2, 3, 4]}, "overdue_reminder_days"),
        ({"overdue_reminder_days": [0]}, "overdue_reminder_days"),
        ({"overdue_reminder_days": [91]}, "overdue_reminder_days"),
        ({"overdue_reminder_days": [7, 7]}, "overdue_reminder_days"),
        ({"overdue_reminder_days": ["7"]}, "overdue_reminder_days"),
        ({"overdue_reminder_days": 7}, "overdue_reminder_days"),
        ({"overdue_reminder_days": [10**30]}, "overdue_reminder_days"),
        ({"send_invoices_automatically": "no"}, "send_invoices_automatically"),
        ({"payment_received_mail": 1}, "payment_received_mail"),
    ],
)
@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_api_refuses_bad_mail_settings_and_saves_nothing(app, client, f, body, field, method):
    admin = bearer(f.api_token(f.user("admin")))
    before = client.get(f"{API}/settings", headers=admin).json
    response = client.open(f"{API}/settings", method=method, json=body, headers=admin)
    assert response.status_code == 400, response.json
    assert any(key.startswith(field) for key in response.json["fields"]), response.json
    assert client.get(f"{API}/settings", headers=admin).json == before
