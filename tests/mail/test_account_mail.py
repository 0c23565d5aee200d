"""Account mail through the doors people use: "Forgot password?" and an admin's invitation,
each written with the request, delivered by the sender to a real SMTP server on loopback,
and the link read from the delivered mail and followed."""

import re

from portal.extensions import db
from portal.models import OutboxMessage, User
from portal.services.mail.sender import deliver_due
from tests.helpers import AuthActions, audit_rows, submit

NEW = "violet harbour compass drum"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/(?:password/reset|invitation)/[A-Za-z0-9_.\-]+)")


def delivered_link(smtp, recipient: str) -> str:
    """The path of the link in the last message delivered to `recipient`, checked to be the
    same in the plain text and the HTML body."""
    deliver_due()
    mail = [item.message for item in smtp.received if item.rcpt_tos == [recipient]][-1]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    [link] = set(LINK.findall(text))
    assert link in LINK.findall(html)
    return link


def test_forgot_password_mails_a_link_that_sets_a_new_password(client, f, smtp):
    user = f.user("client", email="anna@acme.example", name="Anna")
    login = client.get("/login").text
    assert 'href="/password/forgot">Forgot password?</a>' in login

    asked = submit(client, "/password/forgot", {"email": " Anna@ACME.example "})
    assert asked.status_code == 302 and asked.headers["Location"] == "/password/forgot"
    assert "If an account exists for that address" in client.get("/password/forgot").text
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (row.kind, row.recipients, row.user_id) == ("password_reset", [user.email], user.id)
    assert row.event_key.startswith(f"password_reset:{user.id}:")

    link = delivered_link(smtp, user.email)
    [mail] = [item.message for item in smtp.received]
    assert mail["Subject"] == "Reset your Support Hours Portal password"
    assert "Hello Anna" in mail.get_body(("plain",)).get_content()
    page = client.get(link)
    assert page.status_code == 200 and "Choose a new password" in page.text
    done = submit(client, link, {"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert audit_rows("user.password_reset")[0].object_id == user.id

    auth = AuthActions(client)
    assert auth.login(user.email).status_code == 200  # the old password is gone
    assert auth.login(user.email, NEW).status_code == 302
    again = client.get(link)  # the link worked once
    assert again.status_code == 400 and "This link no longer works" in again.text


def test_an_invited_user_chooses_a_password_from_the_mail_and_is_logged_in(
    app, client, login_as, f, smtp
):
    login_as("admin", name="Ada Admin")
    acme = f.client("ACME GmbH")
    added = submit(
        client,
        "/admin/users",
        {"name": "Cleo", "email": "Cleo@Acme.example", "role": "client", "client_id": acme.id},
        post_url="/admin/users/new",
    )
    assert added.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="cleo@acme.example"))
    assert user.awaiting_password and not user.must_change_password
    [row] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (row.kind, row.event_key) == ("invitation", f"invitation:{user.id}:1")
    assert "Ada Admin" in row.body_text and "ACME GmbH" in row.body_text

    link = delivered_link(smtp, user.email)
    assert link.startswith("/invitation/")
    invited = app.test_client()  # Cleo's own browser
    assert AuthActions(invited).login(user.email, "").status_code == 200  # no password yet
    page = invited.get(link)
    assert page.status_code == 200 and "choose your password" in page.text
    done = submit(invited, link, {"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/client/"
    assert invited.get("/client/").status_code == 200  # logged in at once
    db.session.expire_all()
    assert not db.session.get(User, user.id).awaiting_password
    assert invited.get(link).status_code == 400  # once
    AuthActions(invited).logout()
    assert AuthActions(invited).login(user.email, NEW).status_code == 302
