"""Bearer-token authentication of the JSON API."""

import pytest

from portal.extensions import db
from portal.models import ApiToken
from portal.services.accounts.tokens import revoke_api_token
from tests.helpers import bearer


@pytest.mark.parametrize("role", ["admin", "operator", "client"])
def test_me_answers_with_the_token_user(client, f, role):
    user = f.user(role)
    response = client.get("/api/v1/me", headers=bearer(f.api_token(user)))
    assert response.status_code == 200
    assert response.json == {
        "id": user.id,
        "email": user.email,
        "role": role,
        "client_id": user.client_id,
        "language": None,
        "time_format": "hm",
        "notify_replies": True,
        "notify_alerts": True,
        "notify_new_tickets": False,
    }


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer ", "Bearer not-a-token", "Basic dXNlcjpwYXNz", "bearer " + "x" * 500],
)
def test_missing_or_invalid_token_is_401_json(client, header):
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_401(client, f):
    user = f.user("admin")
    token = f.api_token(user)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    f.db.session.rollback()
    revoke_api_token(db.session.scalar(db.select(ApiToken).filter_by(user_id=user.id)))
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_token_of_disabled_user_is_401(client, f):
    user = f.user("operator")
    token = f.api_token(user)
    f.update(user, active=False)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_only_the_digest_is_stored(f):
    user = f.user("admin")
    token = f.api_token(user)
    row = db.session.scalar(db.select(ApiToken).filter_by(user_id=user.id))
    assert token not in (row.token_hash, row.prefix)
    assert len(row.token_hash) == 64


@pytest.mark.parametrize("role", ["operator", "client"])
def test_wrong_role_is_403_json(client, f, role):
    token = f.api_token(f.user(role))
    response = client.get("/api/v1/settings", headers=bearer(token))
    assert response.status_code == 403
    assert response.json["error"] == "forbidden"


def test_admin_reads_settings(client, f):
    token = f.api_token(f.user("admin"))
    response = client.get("/api/v1/settings", headers=bearer(token))
    assert response.status_code == 200
    assert response.json == {
        "business_timezone": "UTC",
        "invoice_on_close": True,
        "due_days": 14,
        "invoice_number_format": "{YYYY}/{MM}/{SEQ}",
        "credit_note_number_format": "CN-{YYYY}/{SEQ}",
        "send_invoices_automatically": True,
        "reminder_days_before_due": 3,
        "overdue_reminder_days": [1, 7, 14],
        "payment_received_mail": True,
    }


def test_api_needs_no_csrf_and_no_cookie(client, f):
    token = f.api_token(f.user("admin"))
    response = client.post("/api/v1/me", headers=bearer(token))
    assert response.status_code == 405  # reached the route: no CSRF refusal
    assert response.json["error"] == "method_not_allowed"
    assert client.get_cookie("session") is None


def test_unknown_api_path_is_404_json(client, f):
    token = f.api_token(f.user("admin"))
    response = client.get("/api/v1/nothing-here", headers=bearer(token))
    assert response.status_code == 404
    assert response.json["error"] == "not_found"
