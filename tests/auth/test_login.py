"""Login and logout through the real forms, with CSRF on."""

import pytest

from portal import create_app
from tests.helpers import csrf_token_from


@pytest.mark.parametrize(
    ("role", "home"), [("admin", "/admin/"), ("operator", "/admin/"), ("client", "/client/")]
)
def test_login_sends_each_role_to_its_home(client, auth, f, role, home):
    user = f.user(role)
    response = auth.login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200


def test_login_is_case_insensitive_on_email(client, auth, f):
    user = f.user("operator", email="mixed@example.com")
    assert auth.login("  MIXED@Example.com ").headers["Location"] == "/admin/"
    assert user.email == "mixed@example.com"


def test_wrong_password_rerenders_form_with_message_and_email(client, auth, f):
    user = f.user("admin")
    response = auth.login(user.email, "wrong-password-123")
    assert response.status_code == 200
    assert "Email or password is incorrect." in response.text
    assert f'value="{user.email}"' in response.text
    assert client.get("/admin/").status_code == 302  # still anonymous


def test_unknown_email_gets_the_same_message(auth):
    response = auth.login("nobody@example.com", "whatever-password")
    assert "Email or password is incorrect." in response.text


def test_empty_fields_get_a_message_each(client):
    token = csrf_token_from(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "email": "", "password": ""})
    assert response.status_code == 200
    assert response.text.count("This field is required.") == 2


def test_disabled_user_cannot_log_in(auth, f, app):
    user = f.update(f.user("operator"), active=False)
    assert "Email or password is incorrect." in auth.login(user.email).text


def test_login_without_csrf_token_is_refused(client, f):
    user = f.user("admin")
    response = client.post("/login", data={"email": user.email, "password": f.PASSWORD})
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_logout_ends_the_session(client, auth, f):
    user = f.user("client")
    auth.login(user.email)
    assert client.get("/client/").status_code == 200
    response = auth.logout()
    assert response.headers["Location"] == "/login"
    assert client.get("/client/").status_code == 302


def test_logout_is_post_only_and_needs_csrf(client, auth, f):
    user = f.user("client")
    auth.login(user.email)
    assert client.get("/logout").status_code == 405
    client.post("/logout", data={})  # no token: refused
    assert client.get("/client/").status_code == 200


@pytest.mark.parametrize("target", ["/admin/users", "/admin/?status=Open"])
def test_safe_next_is_followed(auth, f, target):
    user = f.user("admin")
    assert auth.login(user.email, next_url=target).headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/",
        "//evil.example.com/x",
        "http:evil",
        "/\\evil.example.com",
        "javascript:alert(1)",
    ],
)
def test_foreign_next_is_ignored(auth, f, target):
    user = f.user("admin")
    assert auth.login(user.email, next_url=target).headers["Location"] == "/admin/"


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_root_sends_anonymous_to_login_and_users_home(client, auth, f):
    assert client.get("/").headers["Location"] == "/login"
    auth.login(f.user("client").email)
    assert client.get("/").headers["Location"] == "/client/"


def test_login_page_shows_form(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text
    assert '<label class="form-label" for="email">Email</label>' in response.text


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, f):
    auth.login(f.user("admin").email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_session_cookie_is_secure_when_configured_for_https(f, make_app):
    user = f.user("admin")
    secure_app = make_app(SESSION_COOKIE_SECURE=True)
    secure_client = secure_app.test_client()
    page = secure_client.get("/login", base_url="https://localhost")
    secure_client.post(
        "/login",
        base_url="https://localhost",
        data={
            "email": user.email,
            "password": f.PASSWORD,
            "csrf_token": csrf_token_from(page.text),
        },
    )
    cookie = secure_client.get_cookie("session", domain="localhost")
    assert cookie is not None and cookie.secure


def test_session_is_invalid_after_session_version_changes(client, auth, f):
    user = f.user("operator")
    auth.login(user.email)
    assert client.get("/admin/").status_code == 200
    f.update(user, session_version=user.session_version + 1)
    assert client.get("/admin/").status_code == 302


def test_passwords_are_hashed_with_argon2id(f):
    user = f.user("admin")
    assert user.password_hash.startswith("$argon2id$")
    assert f.PASSWORD not in user.password_hash


def test_production_hasher_uses_library_defaults(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    hasher = create_app().extensions["password_hasher"]
    defaults = PasswordHasher()
    assert (hasher.time_cost, hasher.memory_cost) == (defaults.time_cost, defaults.memory_cost)
    assert hasher.memory_cost >= 19 * 1024  # OWASP's argon2id floor


def test_oversized_request_body_is_413_not_500(client):
    response = client.post("/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
