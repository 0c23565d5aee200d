"""Helpers shared by test modules and fixtures (plain functions and classes, no fixtures).

- building an app: a test configuration, an emptied database, a client with its own context;
- going through the forms: CSRF tokens, GET-then-POST, logging in and out;
- dates relative to the business "today", row counts, audit rows, field errors, closing.
"""

import re
import secrets
import threading
import time
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from portal import create_app
from portal.database import write_intent
from portal.extensions import db
from portal.models import AuditLogEntry, BillingPeriod
from portal.services.billing.periods import period_of
from portal.services.settings import business_today
from tests import factories

# --- building an app ----------------------------------------------------------------------


def make_config(database_url: str, **overrides) -> dict:
    """A complete test configuration: CSRF on, as in production."""
    config = {
        "TESTING": True,
        "SECRET_KEY": secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": True,
        "SERVER_NAME": None,
        # Still argon2id, at a cost that keeps the suite quick; production uses the defaults.
        "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
    }
    config.update(overrides)
    return config


def empty_all_tables() -> None:
    """Remove every row, children first, so each test starts from an empty database."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{name}"' for name in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f'DELETE FROM "{name}"'))
    db.session.commit()


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (own `g`, own DB session), as in production.

    The test itself runs inside an app context for its factories; without this, requests
    would share that context's `g` and session with the test and with each other.
    """

    def open(self, *args, **kwargs):
        # End the test's own transaction first: the request sees what the test set up, and
        # the test's next transaction starts after whatever the request commits.
        if has_app_context():  # not in a thread of its own
            db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@contextmanager
def app_on_emptied_database(database_url: str):
    """The application, inside an app context, on an emptied database; its pool is closed
    when the block ends."""
    app = create_app(make_config(database_url), from_environment=False)
    app.test_client_class = FreshContextClient
    # The test's own session writes too (factories), so its transactions begin as writers.
    with app.app_context(), write_intent():
        empty_all_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


# --- going through the forms --------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def bearer(token: str) -> dict:
    """The Authorization header of an API token."""
    return {"Authorization": f"Bearer {token}"}


def csrf_token_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def submit(client, page_url: str, data: dict, post_url: str | None = None):
    """GET a page, then POST its form with the page's CSRF token and `data`."""
    page = client.get(page_url)
    assert page.status_code == 200, f"{page_url} answered {page.status_code}"
    return client.post(
        post_url or page_url, data={**data, "csrf_token": csrf_token_from(page.text)}
    )


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD, next_url: str | None = None):
        """GET the login page, then POST the form with its CSRF token."""
        page = self._client.get("/login")
        data = {"email": email, "password": password, "csrf_token": csrf_token_from(page.text)}
        url = "/login" + (f"?next={next_url}" if next_url else "")
        return self._client.post(url, data=data)

    def logout(self):
        """POST the navbar's logout form with its CSRF token."""
        page = self._client.get("/")
        page = self._client.get(page.headers["Location"]) if page.status_code == 302 else page
        return self._client.post("/logout", data={"csrf_token": csrf_token_from(page.text)})


_CONFIRM_FORM = re.compile(
    r'<form method="post" action="([^"]+)"[^>]*>\s*<input[^>]*name="csrf_token"[^>]*value="([^"]+)"'
    r'[^>]*>\s*<input[^>]*name="confirmed"[^>]*value="1"',
)


def confirmation_form(html: str) -> tuple[str, dict]:
    """The action and fields of a confirmation page's "Yes" form."""
    match = _CONFIRM_FORM.search(html)
    assert match, "not a confirmation page"
    return match.group(1), {"csrf_token": match.group(2), "confirmed": "1"}


def assert_confirmation_page(response, *texts: str) -> None:
    """A confirmation page (200) that says `texts`, with no inline script or handler, under
    the app's Content-Security-Policy."""
    html = response.text
    assert response.status_code == 200, response.status_code
    confirmation_form(html)
    for said in texts:
        assert said in html, said
    assert "This cannot be undone." in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert "javascript:" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def confirm(client, page_url: str, post_url: str):
    """Press an irreversible button on `page_url` (a POST to `post_url`), then "Yes" on the
    confirmation page it leads to; both through the real forms. The second answer."""
    asked = submit(client, page_url, {}, post_url)
    assert asked.status_code == 200, f"{post_url} answered {asked.status_code}, no confirmation"
    action, data = confirmation_form(asked.text)
    assert action == post_url
    return client.post(action, data=data)


def field_error(html: str, field: str) -> str:
    """The text of a field's error message on a rendered form ("" when it has none)."""
    match = re.search(rf'<div id="{field}-error" class="invalid-feedback">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


# --- dates, rows and closing --------------------------------------------------------------


def today() -> date:
    """Today in the business time zone."""
    return business_today()


def tomorrow() -> date:
    """The first day that counts as the future."""
    return today() + timedelta(days=1)


def this_month_start() -> date:
    """First day of the current month."""
    return today().replace(day=1)


def last_month_end() -> date:
    """Last day of the previous month."""
    return this_month_start() - timedelta(days=1)


def last_month_start() -> date:
    """First day of the previous month."""
    return last_month_end().replace(day=1)


def last_month_day() -> date:
    """A day in the middle of the previous month."""
    return last_month_start() + timedelta(days=14)


def close_month(day: date) -> None:
    """Mark the month of `day` closed, as the billing run does: its period row exists."""
    db.session.add(BillingPeriod(period=period_of(day)))
    db.session.commit()


def close_committed(period: str):
    """Close a month through the service and commit; its CloseResult."""
    from portal.services.billing.close import close_period

    result = close_period(period)
    db.session.commit()
    return result


def amounts_by_kind(result) -> dict[str, Decimal]:
    """The items of a close as kind -> amount."""
    return {item.kind: item.amount for item in result.items}


def statements_run(action) -> tuple[int, object]:
    """How many statements `action()` runs through the engine, and what it returns."""
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        result = action()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return len(statements), result


def count(model, **where) -> int:
    """Rows of a model, optionally filtered by column values."""
    query = db.select(db.func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


def audit_rows(action: str) -> list:
    """Audit log rows of one action, oldest first."""
    return list(
        db.session.scalars(
            db.select(AuditLogEntry).filter_by(action=action).order_by(AuditLogEntry.id)
        )
    )


def at_once(app, action, threads: int = 8) -> list:
    """Run `action()` in `threads` threads released together, each in an app context of its
    own; returns what each returned, and fails the test with any exception one raised.
    The action must not touch the test's own session (read what it needs beforehand)."""
    barrier = threading.Barrier(threads)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(action())
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    db.session.commit()  # the threads see what the test set up
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert errors == [], errors
    assert len(results) == threads, "a thread did not finish"
    return results


# Lock waits of other sessions on this test's database (a row lock's wait is on a
# transaction id, whose pg_locks row names no database: the waiter's session does).
WAITING_HERE = text(
    "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
    " WHERE NOT l.granted AND l.pid <> pg_backend_pid() AND a.datname = current_database()"
)


def until_someone_waits(conn, seconds: float = 10) -> bool:
    """Poll PostgreSQL from `conn` until some transaction waits for a lock (True), or
    `seconds` pass (False): the moment a concurrency test lets its other side go on."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if conn.scalar(WAITING_HERE):
            return True
        time.sleep(0.02)
    return False
