""" "Forgot password?": the same answer for every address, a link that works once for one
hour and dies with any password change, rate limits that answer 429, and no input that
causes a 500 or a message that should not exist."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.extensions import db
from portal.models import OutboxMessage, User
from portal.services.accounts.links import (
    INVITATION,
    PASSWORD_RESET,
    LinkInvalid,
    make_link_token,
    user_for_link,
)
from portal.services.accounts.recovery import _choose_password, request_password_reset
from portal.services.mail import accounts as accounts_mail
from portal.transaction import unit_of_work
from tests.auth.aging import age_new_links
from tests.factories import PASSWORD
from tests.helpers import AuthActions, at_once, count, csrf_token_from, field_error, submit

NEW = "violet harbour compass drum"
OTHER = "copper meadow lantern yawns"
LINK = re.compile(r"http://127\.0\.0\.1:5000(/password/reset/[A-Za-z0-9_.\-]+)")


def ask(client, email: str, address: str = "198.51.100.7"):
    """One request through the real form, from the client address `address`."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/password/forgot", environ_base=environ)
    data = {"email": email, "csrf_token": csrf_token_from(page.text)}
    return client.post("/password/forgot", data=data, environ_base=environ)


def last_link() -> str:
    """The reset link of the newest outbox message."""
    row = db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return LINK.search(row.body_text).group(1)


def choose(client, link: str, password: str = NEW, confirm: str | None = None):
    """Submit the form of a reset link."""
    data = {"new_password": password, "confirm_password": confirm or password}
    return submit(client, link, data)


@pytest.fixture
def anna(f):
    """An active client user."""
    return f.user("client", email="anna@acme.example", name="Anna")


def test_known_unknown_and_disabled_addresses_get_the_same_answer(client, f, anna):
    gone = f.user("operator", email="gone@example.com")
    f.update(gone, active=False)
    answers = []
    for email in ("anna@acme.example", "nobody@example.com", "gone@example.com"):
        response = ask(client, email)
        flashed = client.get("/password/forgot").text
        answers.append((response.status_code, response.headers.get("Location"), flashed))
    assert answers[0][:2] == (302, "/password/forgot")
    assert len({(status, location) for status, location, _ in answers}) == 1
    for *_, page in answers:
        assert "If an account exists for that address, we have sent a link" in page
    [row] = db.session.scalars(db.select(OutboxMessage)).all()  # only for the active user
    assert row.recipients == [anna.email]


@pytest.mark.parametrize(
    "email",
    ["not an address", "x\r\nBcc: y@example.com", "anna@acme.example\nBcc: evil@example.com", "@"],
)
def test_what_is_not_an_address_is_refused_on_the_field_and_mails_nothing(client, anna, email):
    response = ask(client, email)
    assert response.status_code == 422
    assert "valid email" in field_error(response.text, "email")
    assert count(OutboxMessage) == 0


def test_a_link_works_once_and_ends_every_session(app, client, f, anna):
    f.update(anna, must_change_password=True)
    elsewhere = app.test_client()
    assert AuthActions(elsewhere).login(anna.email).status_code == 302
    ask(client, anna.email)
    link = last_link()
    assert choose(client, link).status_code == 302
    db.session.expire_all()
    user = db.session.get(User, anna.id)
    assert user.must_change_password is False
    assert elsewhere.get("/client/").headers["Location"].startswith("/login")  # logged out

    used = client.get(link)
    assert used.status_code == 400 and "already used" in used.text
    assert 'href="/password/forgot"' in used.text
    page = client.get("/password/forgot")  # a POST with the old link changes nothing either
    data = {"new_password": OTHER, "confirm_password": OTHER}
    replay = client.post(link, data=data | {"csrf_token": csrf_token_from(page.text)})
    assert replay.status_code == 400
    assert AuthActions(client).login(anna.email, NEW).status_code == 302


def test_a_password_change_ends_a_link_sent_before(client, auth, anna):
    ask(client, anna.email)
    link = last_link()
    auth.login(anna.email)
    changed = submit(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": OTHER, "confirm_password": OTHER},
    )
    assert changed.status_code == 302
    response = client.get(link)
    assert response.status_code == 400 and "This link no longer works" in response.text


def test_a_second_link_does_not_end_the_first_but_using_one_ends_both(client, anna, monkeypatch):
    ask(client, anna.email)
    first = last_link()
    minute = accounts_mail.reset_window()
    monkeypatch.setattr(accounts_mail, "reset_window", lambda: minute + 1)  # a minute later
    ask(client, anna.email)
    second = last_link()
    assert count(OutboxMessage) == 2  # each minute's request its own message
    assert choose(client, second).status_code == 302
    assert client.get(first).status_code == 400


def test_a_burst_of_requests_within_a_minute_mails_one_link(app, anna, monkeypatch):
    """Eight requests at once (a rate limiter counts them only after they answer): one
    message, because its key names the minute and the database keeps keys unique."""
    email = anna.email  # read here: the threads must not touch the test's own session
    # All in one minute, as the test says: a burst that straddled a minute's end on a slow
    # machine wrote that minute's message and the next one's.
    minute = accounts_mail.reset_window()
    monkeypatch.setattr(accounts_mail, "reset_window", lambda: minute)

    def request_link():
        with unit_of_work():
            return request_password_reset(email)

    assert sorted(at_once(app, request_link)) == [False] * 7 + [True]
    assert count(OutboxMessage) == 1


def test_an_expired_link_says_so(client, anna, monkeypatch):
    age_new_links(monkeypatch, 3601)
    ask(client, anna.email)
    monkeypatch.undo()
    link = last_link()
    response = client.get(link)
    assert response.status_code == 400 and "This link has expired." in response.text
    assert choose_refused(client, link)


def choose_refused(client, link: str) -> bool:
    """A POST of a new password through `link` is refused and the password stays."""
    page = client.get("/password/forgot")
    data = {"new_password": OTHER, "confirm_password": OTHER}
    response = client.post(link, data=data | {"csrf_token": csrf_token_from(page.text)})
    return (
        response.status_code == 400
        and AuthActions(client).login("anna@acme.example", OTHER).status_code == 200
    )


def test_an_hour_old_link_still_works(client, anna, monkeypatch):
    age_new_links(monkeypatch, 3540)
    ask(client, anna.email)
    monkeypatch.undo()
    assert client.get(last_link()).status_code == 200


def test_forged_and_tampered_links_are_refused(app, client, anna):
    ask(client, anna.email)
    good = last_link().rsplit("/", 1)[1]
    with app.test_request_context():
        invitation = make_link_token(anna, INVITATION)  # another purpose's salt
    other_key = URLSafeTimedSerializer("not-our-secret", salt=PASSWORD_RESET.salt)
    forged = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        good[:20],
        invitation,
        other_key.dumps([anna.id, "0" * 24]),
        "x" * 5000,
        "%00",
        "..",
    ]
    for token in forged:
        response = client.get(f"/password/reset/{token}")
        assert response.status_code in (400, 404), token
        if response.status_code == 400:
            assert "This link no longer works" in response.text
    assert choose_refused(client, f"/password/reset/{forged[0]}")


def test_a_user_disabled_after_asking_cannot_use_the_link(client, f, anna):
    ask(client, anna.email)
    link = last_link()
    f.update(anna, active=False)
    assert client.get(link).status_code == 400


def test_a_weak_or_mismatched_password_comes_back_on_the_form(client, anna):
    ask(client, anna.email)
    link = last_link()
    weak = choose(client, link, "password123")
    assert weak.status_code == 422 and field_error(weak.text, "new_password")
    differ = choose(client, link, NEW, OTHER)
    assert differ.status_code == 422 and "differ" in field_error(differ.text, "confirm_password")
    assert choose(client, link).status_code == 302  # the refusals did not use the link


def test_requests_are_limited_per_address_and_per_client_address(client, f, anna, monkeypatch):
    minutes = iter(range(10**6))  # each request in a minute of its own, as if spaced out
    monkeypatch.setattr(accounts_mail, "reset_window", lambda: next(minutes))
    for n in range(3):
        assert ask(client, anna.email, address=f"192.0.2.{n + 1}").status_code == 302
    refused = ask(client, " ANNA@acme.example", address="192.0.2.99")
    assert refused.status_code == 429 and "Too many attempts" in refused.text
    assert count(OutboxMessage) == 3
    for n in range(2):  # the limit per client address: 5 a minute, whatever the email
        assert ask(client, f"guess{n}@example.com", address="203.0.113.5").status_code == 302
    for n in range(3):
        assert ask(client, f"more{n}@example.com", address="203.0.113.5").status_code == 302
    assert ask(client, "other@example.com", address="203.0.113.5").status_code == 429
    assert ask(client, "other@example.com", address="203.0.113.6").status_code == 302


@pytest.mark.parametrize(
    "password",
    ["\x00" * 20, "a\x00b" * 10, "x" * 1025, "é" * 2000, " " * 30, "\r\n" * 10, ""],
    ids=["nul", "nul-inside", "too-long", "long-unicode", "spaces", "newlines", "empty"],
)
def test_hostile_passwords_on_a_link_get_a_message_never_a_500(client, anna, password):
    ask(client, anna.email)
    link = last_link()
    response = choose(client, link, password)
    assert response.status_code in (302, 400, 422), response.status_code
    if response.status_code == 400:  # the portal refuses NUL in any form, before the view
        assert "may not contain NUL characters" in response.text
        assert client.get(link).status_code == 200  # and the link still works
    if response.status_code == 422:
        assert field_error(response.text, "new_password") or field_error(
            response.text, "confirm_password"
        )


def test_of_two_requests_racing_with_one_link_only_the_first_changes_the_password(app, anna):
    with app.test_request_context():
        token = make_link_token(anna, PASSWORD_RESET)
        seen = user_for_link(token, PASSWORD_RESET)  # the second request has read the row ...
        # ... when the first one's change lands (written past the second one's loaded object)
        db.session.execute(
            db.update(User)
            .where(User.id == anna.id)
            .values(session_version=User.session_version + 1)
            .execution_options(synchronize_session=False)
        )
        with pytest.raises(LinkInvalid):
            _choose_password(seen, NEW, NEW, "user.password_reset")
        db.session.rollback()
