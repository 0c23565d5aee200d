"""The users page: 50 a page with each client user's account named, whatever the count."""

import re

import pytest


@pytest.fixture
def admin(auth, f):
    """A logged-in admin."""
    user = f.user("admin", email="root@example.com")
    auth.login(user.email)
    return user


def emails_on(page: str) -> list[str]:
    """The email cells of the users table, in order."""
    return re.findall(r"<td>([^<@]+@[^<]+)</td>", page)


def test_users_are_paged_with_their_client_names(client, admin, f):
    acme = f.client("ACME GmbH")
    for n in range(54):
        f.user("client", email=f"user{n:02d}@acme.example.com", client=acme)
    first = client.get("/admin/users").text
    second = client.get("/admin/users?page=2").text
    on_first, on_second = emails_on(first), emails_on(second)
    assert (len(on_first), len(on_second)) == (50, 5)  # 54 client users + the admin
    assert set(on_first).isdisjoint(on_second)
    assert "root@example.com" in on_first + on_second
    assert first.count("<td>ACME GmbH</td>") + second.count("<td>ACME GmbH</td>") == 54
    assert 'href="/admin/users?page=2"' in first
