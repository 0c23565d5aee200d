"""Login rate limits (Flask-Limiter): per client address and per account, failures only, shared
between processes through Redis; the client address comes from X-Forwarded-For only behind a
configured proxy."""

import secrets

import pytest

from portal.extensions import db
from portal.models import User
from tests.helpers import csrf_token_from


def attempt(client, email, password="wrong-password-guess", address="198.51.100.7", headers=None):
    """One login attempt through the real form, from `address`."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/login", environ_base=environ)
    return client.post(
        "/login",
        environ_base=environ,
        headers=headers or {},
        data={"email": email, "password": password, "csrf_token": csrf_token_from(page.text)},
    )


def test_ten_failures_from_one_address_lock_it_out_for_a_while(app, client, f):
    f.user("operator", email="op@example.com")
    for n in range(10):
        assert attempt(client, f"guess{n}@example.com").status_code == 200

    refused = attempt(client, "op@example.com", f.PASSWORD)

    assert refused.status_code == 429
    assert "Too many attempts" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    # Another address is not affected.
    assert attempt(client, "op@example.com", f.PASSWORD, address="203.0.113.9").status_code == 302


def test_five_failures_on_one_account_from_many_addresses_lock_that_account(app, client, f):
    f.user("operator", email="op@example.com")
    f.user("operator", email="other@example.com")
    for n in range(5):
        assert attempt(client, "op@example.com", address=f"192.0.2.{n + 1}").status_code == 200

    assert attempt(client, " OP@example.com ", f.PASSWORD, address="192.0.2.99").status_code == 429
    assert attempt(client, "other@example.com", f.PASSWORD, address="192.0.2.99").status_code == 302


def test_successful_logins_do_not_count(app, f):
    f.user("operator", email="op@example.com")
    for _ in range(12):
        browser = app.test_client()
        assert attempt(browser, "op@example.com", f.PASSWORD).status_code == 302


def test_wrong_current_passwords_on_the_password_page_are_limited_per_user(app, client, auth, f):
    user = f.user("client", email="acme@example.com")
    auth.login("acme@example.com")
    data = {"new_password": "lantern orchard velvet", "confirm_password": "lantern orchard velvet"}
    for _ in range(5):
        page = client.get("/account/password")
        response = client.post(
            "/account/password",
            data={
                **data,
                "current_password": "not-it-at-all",
                "csrf_token": csrf_token_from(page.text),
            },
        )
        assert response.status_code == 200
    page = client.get("/account/password")
    response = client.post(
        "/account/password",
        data={**data, "current_password": f.PASSWORD, "csrf_token": csrf_token_from(page.text)},
    )
    assert response.status_code == 429
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 1  # nothing changed


def test_forwarded_addresses_are_ignored_without_a_configured_proxy(app, client, f):
    f.user("operator", email="op@example.com")
    for n in range(10):
        spoofed = {"X-Forwarded-For": f"10.0.0.{n}"}
        attempt(client, f"guess{n}@example.com", headers=spoofed)
    assert (
        attempt(client, "guess@example.com", headers={"X-Forwarded-For": "10.9.9.9"}).status_code
        == 429
    )


def test_behind_a_configured_proxy_the_forwarded_address_is_the_client(f, make_app):
    f.user("operator", email="op@example.com")
    proxied = make_app(PROXY_FIX_HOPS=1)
    browser = proxied.test_client()
    for n in range(10):
        attempt(browser, f"guess{n}@example.com", headers={"X-Forwarded-For": "198.51.100.1"})

    assert (
        attempt(browser, "x@example.com", headers={"X-Forwarded-For": "198.51.100.1"}).status_code
        == 429
    )
    ok = attempt(browser, "op@example.com", f.PASSWORD, headers={"X-Forwarded-For": "198.51.100.2"})
    assert ok.status_code == 302
    # The scheme the proxy saw decides about HSTS.
    secure = browser.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in secure.headers


def _redis_url() -> str:
    """The local Redis, or skip when there is none."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError as exc:
        pytest.skip(f"Redis unreachable at {url}: {exc}")
    return url


def test_processes_share_the_count_through_redis(f, make_app):
    """A second app instance (as a second gunicorn worker) sees the first one's failures."""
    url = _redis_url()
    import redis

    f.user("operator", email="op@example.com")
    prefix = "portal-test-" + secrets.token_hex(4)

    def worker():
        """A new app with its own limiter storage client, as a new process would have."""
        return make_app(RATELIMIT_STORAGE_URI=url, RATELIMIT_KEY_PREFIX=prefix)

    first = worker()
    for n in range(5):
        assert attempt(first.test_client(), f"guess{n}@example.com").status_code == 200
    second = worker()  # in-memory storage would start from zero here
    for n in range(5):
        assert attempt(second.test_client(), f"more{n}@example.com").status_code == 200

    try:
        assert attempt(second.test_client(), "op@example.com", f.PASSWORD).status_code == 429
    finally:
        store = redis.Redis.from_url(url)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_memory_storage_is_per_process(f, make_app):
    """The counter-check of the Redis test: without Redis, a new process starts from zero."""
    f.user("operator", email="op@example.com")
    first = make_app()
    for n in range(10):
        attempt(first.test_client(), f"guess{n}@example.com")
    second = make_app()
    assert attempt(second.test_client(), "op@example.com", f.PASSWORD).status_code == 302
