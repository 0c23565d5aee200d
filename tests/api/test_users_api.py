"""POST /users and PATCH /users/{id}: admin only, bad input answers 400 with fields."""

import pytest

from portal.extensions import db
from portal.models import User
from tests.helpers import audit_rows, bearer

ONE_TIME = "quiet meadow lantern 42"


@pytest.fixture
def admin_headers(f):
    return bearer(f.api_token(f.user("admin", email="root@example.com")))


def test_post_users_creates_a_user_who_must_change_the_password(app, f, admin_headers):
    acme = f.client("ACME")
    body = {
        "email": "ann@acme.example.com",
        "name": "Ann",
        "role": "client",
        "client_id": acme.id,
        "password": ONE_TIME,
    }
    response = app.test_client().post("/api/v1/users", json=body, headers=admin_headers)
    assert response.status_code == 201
    assert response.json["must_change_password"] is True and response.json["client_id"] == acme.id
    assert audit_rows("user.create")[0].object_id == response.json["id"]


def test_post_users_refuses_bad_input_per_field(app, f, admin_headers):
    f.user("operator", email="taken@example.com")
    api = app.test_client()
    dup = {"email": "taken@example.com", "name": "X", "role": "operator", "password": ONE_TIME}
    response = api.post("/api/v1/users", json=dup, headers=admin_headers)
    assert response.status_code == 400 and "email" in response.json["fields"]
    weak = {"email": "w@example.com", "name": "W", "role": "client", "password": "password123"}
    response = api.post("/api/v1/users", json=weak, headers=admin_headers)
    assert response.status_code == 400
    assert {"password", "client_id"} <= set(response.json["fields"])
    response = api.post("/api/v1/users", json={"email": "x@example.com"}, headers=admin_headers)
    assert response.status_code == 400


def test_operators_may_not_add_users(app, f):
    token = f.api_token(f.user("operator"))
    body = {"email": "x@example.com", "name": "X", "role": "admin", "password": ONE_TIME}
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
