"""Response headers that keep pages from being framed, sniffed, cached or fed outside code."""

import pytest

from portal.security import CONTENT_SECURITY_POLICY

COMMON = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def test_the_policy_allows_only_the_app_itself():
    directives = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/login", "/no-such-page", "/static/css/app.css", "/api/v1/openapi.json"]
)
def test_anonymous_responses_carry_the_headers(client, path):
    with client.get(path) as response:  # closes the static file's handle
        for name, value in COMMON.items():
            assert response.headers[name] == value, name
        assert "Strict-Transport-Security" not in response.headers


def test_private_pages_and_api_answers_are_not_stored(client, auth, f):
    user = f.user("client", email="acme@example.com")
    token = f.api_token(user)
    auth.login("acme@example.com")

    page = client.get("/client/")
    api = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    with client.get("/static/css/app.css") as css:
        css_cache = css.headers.get("Cache-Control", "")

    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert api.status_code == 200 and api.headers["Cache-Control"] == "no-store"
    assert "no-store" not in css_cache
    for name, value in COMMON.items():
        assert page.headers[name] == value


def test_no_page_uses_inline_styles_or_scripts(client, auth, f):
    """The policy forbids them, so a page that used one would break in the browser."""
    from tests.factories import plan, subscription

    user = f.user("client", email="acme@example.com")
    subscription(user.client, plan())
    auth.login("acme@example.com")
    for path in ("/client/", "/client/tickets", "/client/usage", "/client/invoices"):
        html = client.get(path).text
        assert " style=" not in html, path
        assert "<script>" not in html and "<style" not in html, path


def test_a_form_post_with_a_nul_character_is_refused_whole(client, auth, f):
    from portal.models import Client
    from tests.helpers import count, submit

    f.user("admin", email="admin@example.com")
    f.currency("EUR")
    auth.login("admin@example.com")
    before = count(Client)

    response = submit(
        client,
        "/admin/clients/new",
        {"name": "Nul\x00Corp", "email": "nul@example.com", "currency": "EUR"},
    )

    assert response.status_code == 400
    assert "NUL characters" in response.text
    assert count(Client) == before
