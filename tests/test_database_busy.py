"""SQLite under contention: one write transaction per request, and a clear 503 (not a 500)
when the single writer stays taken longer than the busy timeout."""

import contextvars
import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from portal.extensions import db
from portal.models import TimeEntry
from tests.helpers import count, today


@pytest.fixture
def sqlite_only(database_url):
    """These tests are about SQLite's single writer."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL writers do not queue on one lock")
    return make_url(database_url).database


def _world(f):
    """An operator with a token and a ticket of a client with a plan."""
    operator = f.user("operator", email="op@example.com")
    customer = f.client()
    f.subscription(customer, f.plan())
    return f.api_token(operator), f.ticket(customer)


def test_a_write_request_takes_the_write_lock_once(app, f, sqlite_only):
    token, ticket = _world(f)
    begins = []

    def note(_conn, _cursor, statement, *_args):
        if statement.startswith("BEGIN"):
            begins.append(statement)

    url = f"/api/v1/tickets/{ticket.id}/time-entries"
    body = {"hours": "1:30", "work_date": today().isoformat()}
    db.session.commit()  # the test holds no transaction (nor SQLite's write lock) meanwhile
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        # A context of its own, as a server thread has: the test's own write intent stays out.
        response = contextvars.Context().run(
            app.test_client().post,
            url,
            headers={"Authorization": f"Bearer {token}"},
            json=body,
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert response.status_code == 201 and response.json["minutes"] == 90
    # The request is one transaction, begun once as a writer: the answer is written before
    # the request's end commits, so nothing is read back afterwards (under any BEGIN).
    assert begins.count("BEGIN IMMEDIATE") == 1
    assert begins == ["BEGIN IMMEDIATE"]


def test_a_writer_that_cannot_get_the_lock_gets_503_and_saves_nothing(
    app, f, sqlite_only, make_app
):
    token, ticket = _world(f)
    url = f"/api/v1/tickets/{ticket.id}/time-entries"
    body = {"hours": "1:30", "work_date": today().isoformat()}
    db.session.commit()
    impatient = make_app(SQLITE_BUSY_TIMEOUT_MS=50)
    holder = sqlite3.connect(sqlite_only, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        response = impatient.test_client().post(
            url, headers={"Authorization": f"Bearer {token}"}, json=body
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    assert response.json["error"] == "busy"
    assert count(TimeEntry) == 0
    # Once the lock is free, the same request goes through.
    again = impatient.test_client().post(
        url, headers={"Authorization": f"Bearer {token}"}, json=body
    )
    assert again.status_code == 201
