"""The admin API-token page: create (shown once), list, revoke."""

import re

from portal.extensions import db
from portal.models import ApiToken
from tests.helpers import audit_rows, submit


def test_admin_creates_a_token_that_works_and_revokes_it(client, login_as, f):
    login_as("admin")
    operator = f.user("operator", email="op@example.com")
    response = submit(client, "/admin/api-tokens", {"user": str(operator.id), "name": "helpdesk"})
    assert response.status_code == 200
    plain = re.search(r'id="new-token">([^<]+)<', response.text).group(1)
    assert "cannot be shown again" in response.text
    assert plain not in client.get("/admin/api-tokens").text  # shown once
    api = {"Authorization": f"Bearer {plain}"}
    assert client.get("/api/v1/me", headers=api).json["email"] == "op@example.com"
    token = db.session.scalar(db.select(ApiToken))
    assert token.token_hash != plain and token.name == "helpdesk"
    submit(client, "/admin/api-tokens", {}, post_url=f"/admin/api-tokens/{token.id}/revoke")
    assert client.get("/api/v1/me", headers=api).status_code == 401
    assert "revoked" in client.get("/admin/api-tokens").text


def test_token_form_needs_a_user(client, login_as):
    login_as("admin")
    response = submit(client, "/admin/api-tokens", {"user": ""})
    assert response.status_code == 422 and "Choose a user." in response.text
    assert db.session.scalar(db.select(db.func.count(ApiToken.id))) == 0


def test_operators_cannot_manage_tokens(client, login_as):
    login_as("operator")
    assert client.get("/admin/api-tokens").status_code == 403


def test_the_page_audits_each_create_and_revoke_once_as_the_admin(client, auth, f):
    admin = f.user("admin")
    auth.login(admin.email)
    operator = f.user("operator", email="op@example.com")
    submit(client, "/admin/api-tokens", {"user": str(operator.id), "name": "helpdesk"})
    token = db.session.scalar(db.select(ApiToken))
    submit(client, "/admin/api-tokens", {}, post_url=f"/admin/api-tokens/{token.id}/revoke")
    (created,) = audit_rows("api_token.create")
    (revoked,) = audit_rows("api_token.revoke")
    assert (created.user_id, created.object_id) == (admin.id, token.id)
    assert created.after == {"user": "op@example.com", "name": "helpdesk"}
    assert (revoked.user_id, revoked.object_id, revoked.after) == (admin.id, token.id, None)
