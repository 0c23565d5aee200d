"""The flask CLI commands of API.md: create-user, create-api-token, seed-demo."""

from portal.extensions import db
from portal.models import (
    ApiToken,
    Client,
    Currency,
    Plan,
    Subscription,
    Ticket,
    TicketMessage,
    TimeEntry,
    User,
)
from portal.services.settings import business_today
from tests.helpers import audit_rows


def test_create_user_adds_a_user_who_can_log_in(runner, auth, client):
    result = runner.invoke(
        args=["create-user", "Boss@Example.com", "--role", "admin", "--password", "long-enough-pw"]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin boss@example.com" in result.output
    assert auth.login("boss@example.com", "long-enough-pw").headers["Location"] == "/admin/"


def test_create_client_user_needs_client_id(runner, f):
    result = runner.invoke(
        args=["create-user", "c@example.com", "--role", "client", "--password", "long-enough-pw"]
    )
    assert result.exit_code == 2
    assert "client_id: A client user needs an existing client account." in result.output
    acme = f.client("ACME")
    result = runner.invoke(
        args=[
            "create-user",
            "c@example.com",
            "--role",
            "client",
            "--client-id",
            str(acme.id),
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User).filter_by(email="c@example.com")).client_id == acme.id


def test_create_user_refuses_bad_input_and_saves_nothing(runner, f):
    f.user("admin", email="taken@example.com")
    result = runner.invoke(
        args=["create-user", "taken@example.com", "--role", "operator", "--password", "short"]
    )
    assert result.exit_code == 2
    assert "email: A user with this email already exists." in result.output
    assert "password: Use at least 12 characters." in result.output
    result = runner.invoke(
        args=["create-user", "not-an-email", "--role", "operator", "--password", "x" * 12]
    )
    assert "email: Enter a valid email address." in result.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 1


def test_create_api_token_prints_a_working_token_last(runner, client, f):
    user = f.user("operator", email="op@example.com")
    result = runner.invoke(args=["create-api-token", "op@example.com"])
    assert result.exit_code == 0
    token = result.output.strip().splitlines()[-1]
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.json["id"] == user.id


def test_create_api_token_is_audited_as_done_by_the_system(runner, f):
    f.user("operator", email="op@example.com")
    result = runner.invoke(args=["create-api-token", "op@example.com", "--name", "backups"])
    assert result.exit_code == 0, result.output
    token = db.session.scalar(db.select(ApiToken))
    (row,) = audit_rows("api_token.create")
    assert (row.user_id, row.object_type, row.object_id) == (None, "api_token", token.id)
    assert row.after == {"user": "op@example.com", "name": "backups"}


def test_create_api_token_for_unknown_user_fails(runner):
    result = runner.invoke(args=["create-api-token", "ghost@example.com"])
    assert result.exit_code == 2
    assert "No active user" in result.output


def test_seed_demo_builds_the_demo_shop(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    count = lambda model: db.session.scalar(db.select(db.func.count()).select_from(model))  # noqa: E731
    assert {c.code for c in db.session.scalars(db.select(Currency))} == {"EUR", "USD", "PLN"}
    plans = db.session.scalars(db.select(Plan)).all()
    assert sorted(p.model for p in plans) == ["block", "hourly", "package", "package", "package"]
    assert count(Client) == 10
    assert count(Ticket) == 50
    assert count(TicketMessage) >= 100
    assert count(Subscription) == 8
    roles = [u.role for u in db.session.scalars(db.select(User))]
    assert roles.count("admin") == 1 and roles.count("operator") == 2
    assert roles.count("client") == 10
    dates = db.session.scalars(db.select(TimeEntry.work_date)).all()
    assert len(dates) >= 40
    today = business_today()
    assert max(dates) <= today
    # The three whole months before this one, plus this month so far.
    months = {(d.year, d.month) for d in dates}
    assert len(months) == 4
    earliest = (today.year * 12 + today.month - 1) - 3
    assert min(months) == (earliest // 12, earliest % 12 + 1)
    assert "admin@example.com / admin-demo-2026" in result.output


def test_seed_demo_logins_work_for_all_three_roles(runner, client, auth):
    output = runner.invoke(args=["seed-demo"]).output
    homes = {"admin": "/admin/", "operator": "/admin/", "client": "/client/"}
    seen = set()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[0] in homes and parts[0] not in seen:
            seen.add(parts[0])
            assert auth.login(parts[1], parts[3]).headers["Location"] == homes[parts[0]]
            assert client.get(homes[parts[0]]).status_code == 200
            auth.logout()
    assert seen == set(homes)


def test_seed_demo_leaves_a_non_empty_database_alone(runner, f):
    f.user("admin")
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "not loaded" in result.output
    assert db.session.scalar(db.select(db.func.count(Client.id))) == 0
