"""The users page: 50 a page with each client user's account named, whatever the count."""

import re

import pytest

from portal.extensions import db
from portal.models import ApiToken, OutboxMessage, User
from tests.helpers import audit_rows, field_error, submit


@pytest.fixture
def admin(login_as):
    """A logged-in admin whose address the list is checked for."""
    return login_as("admin", email="root@example.com")


def emails_on(page: str) -> list[str]:
    """The email cells of the users table, in order."""
    return re.findall(r"<td[^>]*>([^<@]+@[^<]+)</td>", page)


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
    assert first.count(">ACME GmbH</td>") + second.count(">ACME GmbH</td>") == 54
    assert 'href="/admin/users?page=2"' in first


def test_disabling_a_user_revokes_their_api_tokens_for_good(app, client, admin, f):
    operator = f.user("operator", email="op@example.com")
    leaked, spare = f.api_token(operator), f.api_token(operator)
    api = app.test_client()

    def me(token: str):
        """The API's answer to GET /me with this token."""
        return api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})

    assert (me(leaked).status_code, me(spare).status_code) == (200, 200)

    response = submit(client, "/admin/users", {}, post_url=f"/admin/users/{operator.id}/disable")
    assert response.status_code == 302
    assert (me(leaked).status_code, me(spare).status_code) == (401, 401)
    submit(client, "/admin/users", {}, post_url=f"/admin/users/{operator.id}/enable")

    assert (me(leaked).status_code, me(spare).status_code) == (401, 401)  # they stay dead
    tokens = db.session.scalars(db.select(ApiToken).filter_by(user_id=operator.id)).all()
    assert len(tokens) == 2 and all(token.is_revoked for token in tokens)
    revoked = audit_rows("api_token.revoke")
    assert sorted(row.object_id for row in revoked) == sorted(token.id for token in tokens)
    assert {(row.user_id, row.after["reason"]) for row in revoked} == {(admin.id, "user.disable")}
    assert audit_rows("user.disable")[0].after == {"active": False, "api_tokens_revoked": 2}
    created = submit(client, "/admin/api-tokens", {"user": str(operator.id), "name": "new"})
    fresh = re.search(r'id="new-token">([^<]+)<', created.text).group(1)
    assert me(fresh).status_code == 200 and me(fresh).json["email"] == "op@example.com"


def test_the_users_page_says_disabling_revokes_tokens_for_good(client, admin, f):
    operator = f.user("operator", email="op@example.com")
    f.api_token(operator)
    page = client.get("/admin/users").text
    assert "revokes their API tokens for good" in page
    assert 'title="Also revokes the API tokens of op@example.com for good' in page

    submit(client, "/admin/users", {}, post_url=f"/admin/users/{operator.id}/disable")

    flashed = client.get("/admin/users").text
    assert "op@example.com is disabled and logged out everywhere" in flashed
    assert "1 API token revoked for good" in flashed


def test_an_admin_adds_an_operator_who_is_invited_by_mail(client, admin):
    response = submit(
        client,
        "/admin/users",
        {"name": "Olga", "email": "Olga@Example.com", "role": "operator", "client_id": ""},
        post_url="/admin/users/new",
    )
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="olga@example.com"))
    assert (user.role, user.client_id, user.awaiting_password) == ("operator", None, True)
    assert audit_rows("user.create")[0].after["role"] == "operator"
    [mail] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (mail.kind, mail.recipients) == ("invitation", ["olga@example.com"])


def test_a_client_user_needs_a_client_and_bad_input_comes_back_per_field(client, admin, f):
    acme = f.client("ACME GmbH")
    f.user("operator", email="taken@example.com")
    bad = submit(
        client,
        "/admin/users",
        {"name": "", "email": "taken@example.com", "role": "client", "client_id": ""},
        post_url="/admin/users/new",
    )
    assert bad.status_code == 422
    for field in ("name", "email", "client_id"):
        assert field_error(bad.text, field)
    ok = submit(
        client,
        "/admin/users",
        {
            "name": "Cleo",
            "email": "cleo@acme.example.com",
            "role": "client",
            "client_id": str(acme.id),
        },
        post_url="/admin/users/new",
    )
    assert ok.status_code == 302
    assert (
        db.session.scalar(db.select(User).filter_by(email="cleo@acme.example.com")).client_id
        == acme.id
    )


def test_the_add_user_form_finds_the_client_by_name_instead_of_listing_every_client(
    client, admin, f
):
    for n in range(30):
        f.client(f"Bulk client {n:02d}")
    acme = f.client("ACME GmbH")
    page = client.get("/admin/users")
    assert "Bulk client" not in page.text and "ACME GmbH" not in page.text
    typed = {"name": "Cleo", "email": "cleo@acme.example.com", "role": "client"}
    found = submit(
        client,
        "/admin/users",
        {**typed, "client_name": "acme", "find": "Find"},
        post_url="/admin/users/new",
    )
    assert found.status_code == 200
    assert re.search(rf'<option selected value="{acme.id}">ACME GmbH</option>', found.text)
    assert "Bulk client" not in found.text
    assert 'value="cleo@acme.example.com"' in found.text  # nothing typed is lost
    assert db.session.scalar(db.select(User).filter_by(email="cleo@acme.example.com")) is None
    none = submit(
        client, "/admin/users", {"client_name": "nobody", "find": "Find"}, "/admin/users/new"
    )
    assert "No client&#39;s name contains" in none.text or "No client's name contains" in none.text
    added = submit(
        client,
        "/admin/users",
        {**typed, "client_id": str(acme.id), "submit": "Add user"},
        post_url="/admin/users/new",
    )
    assert added.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="cleo@acme.example.com"))
    assert user.client_id == acme.id


def test_roles_change_but_never_the_last_admin_or_oneself(client, admin, f):
    operator = f.user("operator", email="op@example.com")
    submit(client, "/admin/users", {"role": "admin"}, post_url=f"/admin/users/{operator.id}/role")
    assert db.session.get(User, operator.id).role == "admin"
    assert audit_rows("user.role_change")[0].after == {"role": "admin"}
    refused = submit(
        client, "/admin/users", {"role": "operator"}, post_url=f"/admin/users/{admin.id}/role"
    )
    assert refused.status_code == 302
    assert "cannot take away your own admin rights" in client.get("/admin/users").text
    assert db.session.get(User, admin.id).role == "admin"


def test_the_last_active_admin_is_not_disabled_or_demoted(app, f):
    from portal.services.accounts.users import change_role, set_user_active
    from portal.services.errors import ValidationFailed

    only = f.user("admin", email="only@example.com")
    other = f.user("admin", email="other@example.com")
    set_user_active(only, other, False)
    with pytest.raises(ValidationFailed) as demoted:
        change_role(other, only, "operator")
    assert "last active admin" in demoted.value.fields["role"]
    with pytest.raises(ValidationFailed) as disabled:
        set_user_active(other, only, False)
    assert "last active admin" in disabled.value.fields["active"]
