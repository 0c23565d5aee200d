"""Invitations: an admin adds a user by email (users page, client page or API) and the user
chooses their password through a link that works once, for 7 days; admins may resend it."""

import re

import pytest

from portal.extensions import db
from portal.models import OutboxMessage, User
from tests.auth.aging import age_new_links
from tests.helpers import AuthActions, audit_rows, bearer, count, field_error, submit

NEW = "violet harbour compass drum"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/invitation/[A-Za-z0-9_.\-]+)")


def invite(client, **fields):
    """The users page's add-user form."""
    data = {"name": "Olga", "email": "olga@example.com", "role": "operator", "client_id": ""}
    return submit(client, "/admin/users", data | fields, post_url="/admin/users/new")


def invitations() -> list[OutboxMessage]:
    """The invitation messages, oldest first."""
    query = db.select(OutboxMessage).filter_by(kind="invitation").order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def link_of(row: OutboxMessage) -> str:
    """The invitation link of a message."""
    return LINK.search(row.body_text).group(1)


def olga() -> User:
    """The invited operator, fresh from the database."""
    db.session.expire_all()
    return db.session.scalar(db.select(User).filter_by(email="olga@example.com"))


def test_the_add_user_form_takes_no_password_and_invites(client, admin):
    page = client.get("/admin/users").text
    assert 'name="password"' not in page and "invitation" in page
    response = invite(client, email="Olga@Example.com", password="typed by the admin 42")
    assert response.status_code == 302
    user = olga()
    assert (user.role, user.client_id, user.must_change_password) == ("operator", None, False)
    assert user.password_hash.startswith("!")  # no password matches it
    assert AuthActions(client.application.test_client()).login(user.email, "").status_code == 200
    [row] = invitations()
    assert row.recipients == ["olga@example.com"] and "added you" in row.body_text
    assert audit_rows("user.create")[0].after["role"] == "operator"
    assert "invited by mail" in client.get("/admin/users").text


def test_bad_input_comes_back_per_field_and_mails_nothing(client, admin, f):
    f.user("operator", email="taken@example.com")
    bad = invite(client, name="", email="taken@example.com", role="client")
    assert bad.status_code == 422
    for field in ("name", "email", "client_id"):
        assert field_error(bad.text, field)
    injected = invite(client, email="x\r\nBcc: y@example.com")
    assert injected.status_code == 422 and field_error(injected.text, "email")
    assert count(OutboxMessage) == 0


def test_resending_replaces_the_link(app, client, admin):
    invite(client)
    first = link_of(invitations()[0])
    page = client.get("/admin/users").text
    assert "Resend the invitation to olga@example.com" in page
    resent = submit(client, "/admin/users", {}, post_url=f"/admin/users/{olga().id}/invite")
    assert resent.status_code == 302
    assert "A new invitation is on its way" in client.get("/admin/users").text
    old, new = invitations()
    assert new.event_key == f"invitation:{olga().id}:2" != old.event_key
    browser = app.test_client()
    assert browser.get(first).status_code == 400  # the earlier link no longer works
    second = link_of(new)
    done = submit(browser, second, {"new_password": NEW, "confirm_password": NEW})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/"
    assert audit_rows("user.invitation_resend")[0].object_id == olga().id
    assert olga().last_login_at is not None

    # Olga chose her password: no more button, and a forged resend is refused.
    assert "Resend the invitation to olga@example.com" not in client.get("/admin/users").text
    refused = submit(client, "/admin/users", {}, post_url=f"/admin/users/{olga().id}/invite")
    assert refused.status_code == 302
    assert "has already chosen a password" in client.get("/admin/users").text
    assert len(invitations()) == 2


def test_an_invitation_lasts_seven_days(app, client, admin, monkeypatch):
    age_new_links(monkeypatch, 6 * 86400)
    invite(client)
    invite(client, email="late@example.com", name="Late")
    age_new_links(monkeypatch, 7 * 86400 + 1)
    submit(client, "/admin/users", {}, post_url=f"/admin/users/{olga().id + 1}/invite")
    monkeypatch.undo()
    six_days, _first_late, expired = invitations()
    browser = app.test_client()
    assert browser.get(link_of(six_days)).status_code == 200
    response = browser.get(link_of(expired))
    assert response.status_code == 400 and "This link has expired." in response.text
    assert "send a new invitation" in response.text


def test_an_invitation_is_no_reset_link_and_a_disabled_user_cannot_use_it(app, client, admin):
    invite(client)
    token = link_of(invitations()[0]).rsplit("/", 1)[1]
    browser = app.test_client()
    assert browser.get(f"/password/reset/{token}").status_code == 400
    submit(client, "/admin/users", {}, post_url=f"/admin/users/{olga().id}/disable")
    assert browser.get(f"/invitation/{token}").status_code == 400
    assert (
        'aria-label="Resend the invitation to olga@example.com"'
        not in client.get("/admin/users").text
    )


def test_the_client_page_invites_a_client_user(client, admin, f):
    acme = f.client("ACME GmbH")
    page = client.get(f"/admin/clients/{acme.id}").text
    assert 'name="password"' not in page
    data = {"name": "Carla", "email": "Carla@Acme.example.com"}
    response = submit(client, f"/admin/clients/{acme.id}", data, f"/admin/clients/{acme.id}/users")
    assert response.status_code == 302
    [row] = invitations()
    assert row.recipients == ["carla@acme.example.com"] and "ACME GmbH" in row.body_text
    assert "(invited)" in client.get(f"/admin/clients/{acme.id}").text


@pytest.fixture
def admin_headers(f):
    """An admin's API token."""
    return bearer(f.api_token(f.user("admin", email="root@example.com", name="Root")))


def test_post_users_invites(app, f, admin_headers):
    acme = f.client("ACME")
    body = {"email": "ann@acme.example.com", "name": "Ann", "role": "client", "client_id": acme.id}
    response = app.test_client().post("/api/v1/users", json=body, headers=admin_headers)
    assert response.status_code == 201
    assert response.json["invitation_pending"] is True
    assert response.json["must_change_password"] is False
    [row] = invitations()
    assert row.recipients == ["ann@acme.example.com"] and row.user_id == response.json["id"]
    assert "Root" in row.body_text


def test_post_users_refuses_a_password(app, f, admin_headers):
    body = {"email": "x@example.com", "name": "X", "role": "operator", "password": NEW}
    response = app.test_client().post("/api/v1/users", json=body, headers=admin_headers)
    assert response.status_code == 400 and "password" in response.json["fields"]
    assert count(OutboxMessage) == 0 and count(User, email="x@example.com") == 0
