"""The outbox and its sender against a real SMTP server: exactly-once writing, delivery,
back-off, permanent failures, the file transport and the CLI."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from portal.extensions import db
from portal.models import MailStatus, OutboxMessage
from portal.models.types import utcnow
from portal.services.errors import DomainError
from portal.services.mail import sender as sender_module
from portal.services.mail.outbox import queue_mail
from portal.services.mail.sender import (
    RETRY_MINUTES,
    Delivery,
    _record_failure,
    deliver_batch,
    deliver_due,
    retry,
)
from portal.transaction import unit_of_work
from tests.helpers import at_once, count
from tests.mail.smtp import SmtpServer, free_port


def write(key: str = "test:1", to=("anna@example.com",), subject="Your ticket was answered"):
    """One message through the service, committed."""
    with unit_of_work():
        return queue_mail(
            "ticket_reply",
            key,
            list(to),
            subject,
            "ticket_reply",
            recipient_name="Anna",
            author_name="Olga",
            ticket={"number": "123456", "subject": "Printer"},
            body="Fixed.",
            attachment_names=[],
            ticket_url="http://portal.example/t/1",
            account_url="http://portal.example/account",
        )


def only() -> OutboxMessage:
    db.session.expire_all()
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    return row


def make_due(row: OutboxMessage) -> None:
    """Move a message's next attempt to now, as time passing would."""
    with unit_of_work():
        db.session.get(OutboxMessage, row.id).next_attempt_at = utcnow()


def test_the_same_event_writes_one_message(app):
    assert write("invoice:1:issued") is True
    assert write("invoice:1:issued") is False
    assert count(OutboxMessage) == 1


def test_eight_threads_raising_the_same_event_write_one_message(app):
    results = at_once(app, lambda: write("usage:45:2026-11:80"))
    assert sorted(results) == [False] * 7 + [True]
    assert count(OutboxMessage) == 1


def test_a_rolled_back_change_leaves_no_message(app):
    with pytest.raises(RuntimeError), unit_of_work():
        queue_mail(
            "ticket_reply",
            "rolled:back",
            ["anna@example.com"],
            "Never",
            "ticket_reply",
            recipient_name="A",
            author_name="B",
            ticket={"number": "1", "subject": "s"},
            body="b",
            attachment_names=[],
            ticket_url="u",
            account_url="u",
        )
        raise RuntimeError("the change failed")
    assert count(OutboxMessage) == 0


def test_header_injection_in_a_subject_stays_in_the_subject(app, smtp):
    write(to=["anna@example.com"], subject="x\r\nBcc: victim@example.com")
    assert "\n" not in only().subject and "\r" not in only().subject
    deliver_due()
    [received] = smtp.received
    assert received.rcpt_tos == ["anna@example.com"]
    assert received.message["Bcc"] is None
    assert received.message["Subject"] == "x Bcc: victim@example.com"


def test_smtp_refusing_the_connection_retries_with_back_off_and_loses_nothing(app, smtp):
    write("a:1")
    write("a:2")
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    before = utcnow()
    done = deliver_due()
    assert done.sent == [] and len(done.retrying) == 1  # the first tried, the rest released
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [row.status for row in rows] == ["queued", "queued"]
    assert rows[0].attempts == 1 and "cannot connect" in rows[0].last_error
    assert rows[1].attempts == 0  # never tried: not counted against it
    assert all(row.next_attempt_at >= before + timedelta(seconds=59) for row in rows)

    app.config["MAIL_URL"] = smtp.url  # the server is back
    for row in rows:
        make_due(row)
    assert len(deliver_due().sent) == 2
    assert len(smtp.received) == 2


def test_451_retries_after_1_5_30_120_720_minutes_then_fails(app, smtp):
    write()
    smtp.handler.data_answer = "451 4.3.0 Try again later"
    waits = []
    for _attempt in RETRY_MINUTES:
        before = utcnow()
        assert len(deliver_due().retrying) == 1
        row = only()
        assert row.status == "queued" and "451" in row.last_error
        waits.append(round((row.next_attempt_at - before).total_seconds() / 60))
        assert deliver_due().handled == 0  # not due before its time
        make_due(row)
    assert waits == list(RETRY_MINUTES)
    assert len(deliver_due().failed) == 1
    row = only()
    assert (row.status, row.attempts) == ("failed", 6) and "451" in row.last_error
    assert smtp.received == []

    # An admin retries it once the server is well again: sent, exactly once.
    smtp.handler.data_answer = None
    with unit_of_work():
        retry(db.session.get(OutboxMessage, row.id))
    assert len(deliver_due().sent) == 1
    assert only().status == "sent" and len(smtp.received) == 1


@pytest.mark.parametrize("stage", ["rcpt", "data"])
def test_550_fails_at_once_with_its_error(app, smtp, stage):
    write()
    setattr(smtp.handler, f"{stage}_answer", "550 5.1.1 No such user")
    assert len(deliver_due().failed) == 1
    row = only()
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in row.last_error and "No such user" in row.last_error
    assert deliver_due().handled == 0  # failed messages are not taken again


def test_only_failed_messages_can_be_retried(app, smtp):
    write()
    with pytest.raises(DomainError), unit_of_work():
        retry(db.session.get(OutboxMessage, only().id))


def test_held_messages_wait(app, smtp):
    with unit_of_work():
        queue_mail(
            "invoice_issued",
            "invoice:9:issued",
            ["billing@example.com"],
            "Invoice",
            "ticket_reply",
            held=True,
            recipient_name="A",
            author_name="B",
            ticket={"number": "1", "subject": "s"},
            body="b",
            attachment_names=[],
            ticket_url="u",
            account_url="u",
        )
    assert deliver_due().handled == 0 and only().status == MailStatus.HELD


def test_file_transport_writes_eml_files_with_the_same_message_id(app, tmp_path, runner):
    app.config["MAIL_URL"] = (tmp_path / "outbox").as_uri()
    write()
    result = runner.invoke(args=["send-mail", "--once"])
    assert result.exit_code == 0, result.output
    assert f"files in {tmp_path / 'outbox'}" in result.output and "sent 1" in result.output
    [eml] = (tmp_path / "outbox").glob("*.eml")
    parsed = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == only().message_id
    assert parsed["To"] == "anna@example.com"
    assert "Fixed." in parsed.get_body(("plain",)).get_content()
    assert only().status == "sent"


def test_unset_mail_url_writes_into_the_instance_folder(app, runner):
    app.config["MAIL_URL"] = None
    result = runner.invoke(args=["send-mail", "--where"])
    assert result.exit_code == 0
    assert f"files in {app.instance_path}/mail" in result.output


def test_a_batch_gives_back_what_it_cannot_send_within_half_its_lease(app, smtp, monkeypatch):
    for number in range(6):
        write(f"slow:{number}")
    app.config["MAIL_LEASE_SECONDS"] = 1  # a batch may use half a second
    start = utcnow()
    # A slow server: each delivered message takes 0.2 s of the batch's clock.
    monkeypatch.setattr(
        "portal.services.mail.sender.utcnow",
        lambda: start + timedelta(milliseconds=200 * len(smtp.received)),
    )
    batch = deliver_batch()
    assert len(batch.sent) == 3  # begun at 0.0, 0.2 and 0.4 s; at 0.6 s the budget is spent
    db.session.expire_all()
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    untried = [row for row in rows if row.status == "queued"]
    assert len(untried) == 3 and all(row.attempts == 0 for row in untried)
    assert all(row.next_attempt_at <= start + timedelta(milliseconds=600) for row in untried)
    monkeypatch.undo()
    for row in untried:  # the batch's clock ran ahead of the real one: catch it up
        make_due(row)
    assert len(deliver_due().sent) == 3  # given back due at once, none counted as tried
    assert len(smtp.received) == 6


def test_a_late_failure_record_never_undoes_another_senders_delivery(app):
    write()
    row = only()
    with unit_of_work():
        db.session.get(OutboxMessage, row.id).status = "sent"  # the other sender recorded it
    _record_failure(row.id, "451 too late", permanent=False, result=Delivery())
    row = only()
    assert (row.status, row.attempts, row.last_error) == ("sent", 0, None)


def test_one_message_that_cannot_be_built_does_not_stop_the_others(app, smtp, monkeypatch):
    write("bad:1")
    write("good:2")
    real_build = sender_module.build

    def build(row):
        if row.event_key == "bad:1":
            raise RuntimeError("the PDF would not render")
        return real_build(row)

    monkeypatch.setattr(sender_module, "build", build)
    done = deliver_due()
    assert len(done.sent) == 1 and len(done.retrying) == 1
    db.session.expire_all()
    bad = db.session.scalar(db.select(OutboxMessage).filter_by(event_key="bad:1"))
    assert bad.status == "queued" and bad.attempts == 1
    assert "the PDF would not render" in bad.last_error
    assert len(smtp.received) == 1


def test_421_closes_the_connection_and_gives_the_rest_of_the_batch_back(app, smtp):
    write("c:1")
    write("c:2")
    smtp.handler.data_answer = "421 4.7.0 Closing the connection"
    done = deliver_due()
    assert len(done.retrying) == 1 and done.sent == []
    db.session.expire_all()
    first, second = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))
    assert (first.attempts, second.attempts) == (1, 0)  # the second was never tried
    assert "421" in first.last_error and second.status == "queued"


def test_an_address_only_smtputf8_can_carry_fails_for_good(app):
    server = SmtpServer(enable_SMTPUTF8=False).start()  # a server without SMTPUTF8
    try:
        app.config["MAIL_URL"] = server.url
        write(to=["jörg@example.com"])
        assert len(deliver_due().failed) == 1
        row = only()
        assert row.status == "failed" and "cannot take this message" in row.last_error
        assert server.received == []
    finally:
        server.stop()
