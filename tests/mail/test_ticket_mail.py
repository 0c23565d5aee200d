"""Ticket mail through the doors people use: written with the reply, delivered by the sender
to a real SMTP server on loopback, read back."""

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services.mail.sender import deliver_due
from portal.services.settings import business_today
from tests.helpers import AuthActions, count, csrf_token_from, submit


@pytest.fixture
def desk(f, login_as):
    """A logged-in operator, a client with two users (one wants no replies), a ticket."""
    operator = login_as("operator", name="Olga Operator")
    acme = f.client("ACME GmbH")
    anna = f.user("client", client=acme, email="anna@acme.example", name="Anna")
    bert = f.user("client", client=acme, email="bert@acme.example", name="Bert")
    quiet = f.user("client", client=acme, email="quiet@acme.example", name="Quiet")
    f.update(quiet, notify_replies=False)
    ticket = f.ticket(acme, subject="Mail server down")
    return operator, acme, (anna, bert), ticket


def staff_reply(client, ticket, text, **fields):
    """The inline update form with a reply (CSRF on)."""
    return submit(client, f"/admin/tickets/{ticket.id}", {"reply": text, "status": "", **fields})


def test_staff_reply_is_mailed_to_each_client_user_who_wants_replies(client, desk, smtp):
    _operator, _acme, (anna, bert), ticket = desk
    assert staff_reply(client, ticket, "Restarted the mail server.").status_code == 302
    rows = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [(row.kind, row.recipients, row.status) for row in rows] == [
        ("ticket_reply", [anna.email], "queued"),
        ("ticket_reply", [bert.email], "queued"),
    ]  # not the user who switched replies off

    done = deliver_due()
    assert len(done.sent) == 2 and not done.retrying and not done.failed
    by_recipient = {item.rcpt_tos[0]: item.message for item in smtp.received}
    assert sorted(by_recipient) == [anna.email, bert.email]
    mail = by_recipient[anna.email]
    row = rows[0]
    assert mail["Message-ID"] == row.message_id
    assert mail["To"] == anna.email
    assert mail["Subject"] == f"[#{ticket.number}] Mail server down"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Restarted the mail server." in body and "Olga Operator" in body
        assert f"http://127.0.0.1:5000/client/tickets/{ticket.id}" in body
    assert "Hello Anna" in text
    db.session.expire_all()
    assert {row.status for row in db.session.scalars(db.select(OutboxMessage))} == {"sent"}
    assert all(
        row.sent_at and row.attempts == 1 for row in db.session.scalars(db.select(OutboxMessage))
    )
    # Nothing is due any more: a second run sends nothing again.
    assert deliver_due().handled == 0 and len(smtp.received) == 2


def test_internal_note_writes_no_mail(client, desk):
    _operator, _acme, _users, ticket = desk
    response = staff_reply(
        client, ticket, "Client's admin password is on the sticky note", internal="y"
    )
    assert response.status_code == 302
    assert count(OutboxMessage) == 0


def test_refused_update_leaves_no_message(client, desk):
    _operator, _acme, _users, ticket = desk
    response = staff_reply(
        client, ticket, "Done.", hours="1:10", work_date=business_today().isoformat()
    )
    assert response.status_code == 422  # 1:10 is not a quarter hour: nothing is saved
    assert count(OutboxMessage) == 0


def test_client_message_goes_to_the_assignee_or_to_staff_who_asked(client, f, smtp):
    acme = f.client("ACME GmbH")
    owner = f.user("operator", email="owner@example.com", name="Owen")
    watcher = f.user("operator", email="watcher@example.com", name="Wanda")
    f.update(watcher, notify_new_tickets=True)
    f.user("operator", email="other@example.com")  # asked for nothing
    anna = f.user("client", client=acme, email="anna@acme.example", name="Anna")
    AuthActions(client).login(anna.email)

    page = client.get("/client/tickets/new")
    response = client.post(
        "/client/tickets/new",
        data={
            "subject": "VPN drops",
            "department": "Support",
            "priority": "High",
            "message": "Every hour the VPN drops.",
            "csrf_token": csrf_token_from(page.text),
        },
    )
    assert response.status_code == 302
    [new] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (new.kind, new.recipients, new.to_staff) == ("ticket_new", [watcher.email], True)
    assert "VPN drops" in new.subject and "ACME GmbH" in new.subject

    ticket = new.ticket_id
    from portal.models import Ticket

    f.update(db.session.get(Ticket, ticket), assignee_id=owner.id)
    reply = submit(client, f"/client/tickets/{ticket}", {"message": "Still dropping."})
    assert reply.status_code == 302
    latest = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert (latest.kind, latest.recipients) == ("ticket_client_reply", [owner.email])
    assert "/admin/tickets/" in latest.body_text and "assigned to you" in latest.body_text

    deliver_due()
    assert sorted(item.rcpt_tos[0] for item in smtp.received) == [owner.email, watcher.email]
