"""POST /users and PATCH /users/{id}: admin only, bad input answers 400 with fields."""

import pytest

from portal.extensions import db
from portal.models import OutboxMessage, User
from tests.helpers import audit_rows, bearer


@pytest.fixture
def admin_headers(f):
    return bearer(f.api_token(f.user("admin", email="root@example.com")))


def test_post_users_creates_a_user_who_is_invited_by_mail(app, f, admin_headers):
    acme = f.client("ACME")
    body = {"email": "ann@acme.example.com", "name": "Ann", "role": "client", "client_id": acme.id}
    response = app.test_client().post("/api/v1/users", json=body, headers=admin_headers)
    assert response.status_code == 201
    assert response.json["invitation_pending"] is True and response.json["client_id"] == acme.id
    assert audit_rows("user.create")[0].object_id == response.json["id"]
    [mail] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (mail.kind, mail.recipients) == ("invitation", ["ann@acme.example.com"])


def test_post_users_refuses_bad_input_per_field(app, f, admin_headers):
    f.user("operator", email="taken@example.com")
    api = app.test_client()
    dup = {"email": "taken@example.com", "name": "X", "role": "operator"}
    response = api.post("/api/v1/users", json=dup, headers=admin_headers)
    assert response.status_code == 400 and "email" in response.json["fields"]
    clientless = {"email": "w@example.com", "name": "W", "role": "client"}
    response = api.post("/api/v1/users", json=clientless, headers=admin_headers)
    assert response.status_code == 400 and "client_id" in response.json["fields"]
    response = api.post("/api/v1/users", json={"email": "x@example.com"}, headers=admin_headers)
    assert response.status_code == 400


def test_operators_may_not_add_users(app, f):
    token = f.api_token(f.user("operator"))
    body = {"email": "x@example.com", "name": "X", "role": "admin"}
    assert (
        app.test_client().post("/api/v1/users", json=body, headers=bearer(token)).status_code == 403
    )


def test_patch_users_changes_role_and_active(app, f, admin_headers):
    operator = f.user("operator", email="op@example.com")
    api = app.test_client()
    response = api.patch(
        f"/api/v1/users/{operator.id}", json={"role": "admin"}, headers=admin_headers
    )
    assert response.status_code == 200 and response.json["role"] == "admin"
    response = api.patch(
        f"/api/v1/users/{operator.id}", json={"active": False}, headers=admin_headers
    )
    assert response.status_code == 200 and response.json["active"] is False
    assert db.session.get(User, operator.id).active is False
    response = api.patch(
        f"/api/v1/users/{operator.id}", json={"role": "client"}, headers=admin_headers
    )
    assert response.status_code == 400 and "role" in response.json["fields"]
