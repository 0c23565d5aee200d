"""Mail choices on the account page and through PATCH /me: replies, usage alerts, and (staff
only) new tickets without an owner."""

import re

from portal.extensions import db
from portal.models import OutboxMessage, User
from tests.helpers import AuthActions, audit_rows, bearer, count, submit


def choices(user_id: int) -> tuple[bool, bool, bool]:
    """A user's three switches, fresh from the database."""
    db.session.expire_all()
    user = db.session.get(User, user_id)
    return user.notify_replies, user.notify_alerts, user.notify_new_tickets


def save(client, **boxes):
    """The account page's mail form with the given boxes ticked."""
    data = {name: "y" for name, ticked in boxes.items() if ticked}
    return submit(client, "/account/password", data, post_url="/account/notifications")


def test_a_client_user_chooses_replies_and_alerts_but_never_new_tickets(client, acme_user):
    page = client.get("/account/password").text
    assert 'name="notify_replies"' in page and 'name="notify_alerts"' in page
    assert 'name="notify_new_tickets"' not in page
    assert choices(acme_user.id) == (True, True, False)

    response = save(client, notify_alerts=True, notify_new_tickets=True)
    assert response.status_code == 302
    assert "Saved: your mail choices." in client.get("/account/password").text
    assert choices(acme_user.id) == (False, True, False)  # the staff box is not theirs
    [row] = audit_rows("user.notifications")
    assert row.before["notify_replies"] is True and row.after["notify_replies"] is False


def test_staff_ask_for_new_ticket_mail(client, operator):
    assert 'name="notify_new_tickets"' in client.get("/account/password").text
    assert save(client, notify_replies=True, notify_new_tickets=True).status_code == 302
    assert choices(operator.id) == (True, False, True)
    page = client.get("/account/password").text  # the boxes show what is saved
    assert re.search(r'<input checked[^>]*id="notify_new_tickets"', page)
    assert not re.search(r'<input checked[^>]*id="notify_alerts"', page)


def test_a_staff_reply_is_not_mailed_to_who_switched_replies_off(app, client, f, login_as):
    acme = f.client("ACME GmbH")
    anna = f.user("client", client=acme, email="anna@acme.example")
    AuthActions(client).login(anna.email)
    save(client, notify_alerts=True)
    AuthActions(client).logout()
    login_as("operator")
    ticket = f.ticket(acme, subject="Printer")
    reply = submit(client, f"/admin/tickets/{ticket.id}", {"reply": "Fixed.", "status": ""})
    assert reply.status_code == 302 and count(OutboxMessage) == 0


def test_get_and_patch_me(app, f):
    client_user = f.user("client", email="c@example.com")
    operator = f.user("operator", email="o@example.com")
    api = app.test_client()
    as_client, as_operator = bearer(f.api_token(client_user)), bearer(f.api_token(operator))
    me = api.get("/api/v1/me", headers=as_client).json
    assert (me["notify_replies"], me["notify_alerts"], me["notify_new_tickets"]) == (
        True,
        True,
        False,
    )
    changed = api.patch("/api/v1/me", json={"notify_alerts": False}, headers=as_client)
    assert changed.status_code == 200
    assert (changed.json["notify_replies"], changed.json["notify_alerts"]) == (True, False)
    assert choices(client_user.id) == (True, False, False)

    # A client user may send new-ticket mail as off (what GET /me shows), never as on.
    echoed = api.patch("/api/v1/me", json={"notify_new_tickets": False}, headers=as_client)
    assert echoed.status_code == 200
    refused = api.patch(
        "/api/v1/me",
        json={"notify_replies": False, "notify_new_tickets": True},
        headers=as_client,
    )
    assert refused.status_code == 400 and "notify_new_tickets" in refused.json["fields"]
    assert choices(client_user.id) == (True, False, False)  # nothing of it was kept

    bad_values = ({"notify_replies": "yes"}, {"notify_alerts": 1}, {"notify_replies": None})
    for bad in bad_values:
        response = api.patch("/api/v1/me", json=bad, headers=as_client)
        assert response.status_code == 400 and response.json["error"] == "validation", bad
    assert choices(client_user.id) == (True, False, False)

    staff = api.patch("/api/v1/me", json={"notify_new_tickets": True}, headers=as_operator)
    assert staff.status_code == 200 and staff.json["notify_new_tickets"] is True
    assert choices(operator.id) == (True, True, True)
