"""Sessions (OWASP ASVS V3): a new session at login; logout, password change and disabling end
every session; idle and absolute timeouts; cookie flags, with the __Host- prefix over HTTPS."""

import time

import pytest

from portal.config import https_cookies
from portal.extensions import db
from portal.models import User
from portal.security import AUTH_AT, SEEN_AT
from tests.helpers import AuthActions, audit_rows, csrf_token_from, submit

NEW_PASSWORD = "lantern orchard velvet compass"


def second_browser(app):
    """Another browser (its own cookie jar) on the same app."""
    return app.test_client()


def is_logged_out(response) -> bool:
    """A page that needs a login answered with the redirect to the login form."""
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_starts_a_new_session_without_what_was_there_before(app, client, auth, f):
    f.user("operator", email="op@example.com")
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    auth.login("op@example.com")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert isinstance(sess[AUTH_AT], int)
        assert sess["_user_id"].endswith(":1")
    assert client.get("/admin/").status_code == 200


def test_logout_makes_a_copied_session_cookie_worthless(app, client, auth, f):
    f.user("operator", email="op@example.com")
    auth.login("op@example.com")
    stolen = client.get_cookie("session").value
    thief = second_browser(app)
    thief.set_cookie("session", stolen)
    assert thief.get("/admin/").status_code == 200

    auth.logout()

    assert is_logged_out(thief.get("/admin/"))
    assert is_logged_out(client.get("/admin/"))


def test_password_change_logs_out_other_browsers_and_keeps_this_one(app, client, auth, f):
    user = f.user("client", email="acme@example.com")
    other = second_browser(app)
    AuthActions(other).login("acme@example.com")
    auth.login("acme@example.com")

    response = submit(
        client,
        "/account/password",
        {
            "current_password": f.PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert client.get("/client/").status_code == 200
    assert is_logged_out(other.get("/client/"))
    assert "Email or password is incorrect" in AuthActions(other).login("acme@example.com").text
    assert AuthActions(other).login("acme@example.com", NEW_PASSWORD).status_code == 302
    assert [row.user_id for row in audit_rows("user.password_change")] == [user.id]
    assert db.session.get(User, user.id).session_version == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"current_password": "wrong-password-here"},
            "current_password",
            "not your current password",
        ),
        ({"new_password": "short"}, "new_password", "at least 12 characters"),
        ({"new_password": "passwordpassword"}, "new_password", "too easy to guess"),
        ({"new_password": "acme@example.com1"}, "new_password", "too easy to guess"),
        ({"confirm_password": "something else entirely"}, "confirm_password", "differ"),
    ],
)
def test_a_refused_password_change_names_the_field_and_changes_nothing(
    app, client, auth, f, data, field, message
):
    user = f.user("client", email="acme@example.com")
    hash_before = user.password_hash
    auth.login("acme@example.com")
    form = {
        "current_password": f.PASSWORD,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
        **data,
    }
    if "new_password" in data:
        form["confirm_password"] = data["new_password"]

    response = submit(client, "/account/password", form)

    assert response.status_code == 200
    assert f'id="{field}-error"' in response.text
    assert message in response.text.lower() or message in response.text
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == hash_before
    assert client.get("/client/").status_code == 200  # still logged in


def test_disabling_a_user_ends_sessions_and_api_access(app, client, auth, f):
    f.user("admin", email="admin@example.com")
    operator = f.user("operator", email="op@example.com")
    token = f.api_token(operator)
    browser = second_browser(app)
    AuthActions(browser).login("op@example.com")
    assert browser.get("/admin/").status_code == 200
    auth.login("admin@example.com")

    response = submit(client, "/admin/users", {}, post_url=f"/admin/users/{operator.id}/disable")

    assert response.status_code == 302
    assert "disabled" in client.get("/admin/users").text
    assert is_logged_out(browser.get("/admin/"))
    assert AuthActions(browser).login("op@example.com").status_code == 200  # refused
    api = app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401
    assert [row.object_id for row in audit_rows("user.disable")] == [operator.id]

    submit(client, "/admin/users", {}, post_url=f"/admin/users/{operator.id}/enable")
    assert AuthActions(browser).login("op@example.com").status_code == 302


def test_an_admin_cannot_disable_their_own_account(app, client, auth, f):
    admin = f.user("admin", email="admin@example.com")
    auth.login("admin@example.com")

    response = submit(client, "/admin/users", {}, post_url=f"/admin/users/{admin.id}/disable")

    assert response.status_code == 302
    assert "cannot disable your own account" in client.get("/admin/users").text
    db.session.expire_all()
    assert db.session.get(User, admin.id).active is True


def _age_session(client, *, idle_seconds: int, age_seconds: int) -> None:
    """Pretend the session was last used `idle_seconds` ago and began `age_seconds` ago."""
    now = int(time.time())
    with client.session_transaction() as sess:
        sess[SEEN_AT] = now - idle_seconds
        sess[AUTH_AT] = now - age_seconds


@pytest.mark.parametrize(
    ("idle_minutes", "age_minutes", "expired"),
    [
        (29, 60, False),
        (31, 60, True),  # idle longer than 30 minutes
        (5, 11 * 60, False),
        (5, 12 * 60 + 1, True),  # older than 12 hours, however busy
    ],
)
def test_sessions_expire_when_idle_or_old(app, client, auth, f, idle_minutes, age_minutes, expired):
    f.user("operator", email="op@example.com")
    auth.login("op@example.com")
    _age_session(client, idle_seconds=idle_minutes * 60, age_seconds=age_minutes * 60)

    response = client.get("/admin/?status=open")

    assert is_logged_out(response) is expired
    if expired:
        assert "next=/admin/?status%3Dopen" in response.headers["Location"]
        assert "Your session has expired" in client.get(response.headers["Location"]).text
        assert is_logged_out(client.get("/admin/"))
    else:
        with client.session_transaction() as sess:
            assert time.time() - sess[SEEN_AT] < 5  # the idle clock starts again


def test_timeouts_are_configurable(f, make_app):
    f.user("operator", email="op@example.com")
    short = make_app(SESSION_IDLE_MINUTES=1)
    browser = short.test_client()
    AuthActions(browser).login("op@example.com")
    _age_session(browser, idle_seconds=90, age_seconds=90)
    assert is_logged_out(browser.get("/admin/"))


def test_cookie_flags_over_plain_http(app, client, auth, f):
    f.user("operator", email="op@example.com")
    response = auth.login("op@example.com")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    assert "Strict-Transport-Security" not in response.headers


def test_over_https_the_cookie_is_secure_host_prefixed_and_hsts_is_sent(f, make_app):
    f.user("operator", email="op@example.com")
    secure = make_app(HTTPS=True, **https_cookies())
    browser = secure.test_client()
    page = browser.get("/login", base_url="https://portal.example")
    response = browser.post(
        "/login",
        base_url="https://portal.example",
        # Over HTTPS the CSRF check also wants a same-site Referer, as browsers send it.
        headers={"Referer": "https://portal.example/login"},
        data={
            "email": "op@example.com",
            "password": f.PASSWORD,
            "csrf_token": csrf_token_from(page.text),
        },
    )

    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    for flag in ("Secure", "HttpOnly", "Path=/", "SameSite=Lax"):
        assert flag in cookie
    assert "Domain=" not in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


class Clock:
    """The time the session checks see, moved by the test."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        """What time.time() answers now."""
        return self.now


def test_a_user_active_within_the_idle_limit_is_never_logged_out(f, make_app, monkeypatch):
    f.user("operator", email="op@example.com")
    short = make_app(SESSION_IDLE_MINUTES=1)
    browser = short.test_client()
    clock = Clock()
    monkeypatch.setattr("portal.security.time", clock)
    AuthActions(browser).login("op@example.com")
    # Requests every 1 to 59 seconds, for half an hour of the clock: never logged out.
    for step in [1, 2, 59, 3, 58, 30, 57, 55, 5, 59] * 30:
        clock.now += step
        assert browser.get("/admin/").status_code == 200, step
    # Active 55 s before the limit was the case that logged people out.
    clock.now += 55
    assert browser.get("/admin/").status_code == 200
    # Quiet for longer than the limit (and its few seconds of resolution): logged out.
    clock.now += 60 + 4
    assert is_logged_out(browser.get("/admin/"))


def test_the_idle_clock_is_not_written_on_every_request(app, client, auth, f, monkeypatch):
    f.user("operator", email="op@example.com")
    clock = Clock()
    monkeypatch.setattr("portal.security.time", clock)
    auth.login("op@example.com")
    client.get("/admin/")  # the first page after the login shows (and drops) its message
    clock.now += 1
    assert "Set-Cookie" not in client.get("/admin/").headers  # 1 s of a 30-minute limit
    clock.now += 90
    assert "Set-Cookie" in client.get("/admin/").headers
