"""Fixtures: a database per run (SQLite file, or a PostgreSQL database of its own), the app,
a test client that logs in through the real form with CSRF on, and row factories."""

import os
import re
import secrets
import uuid
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import normalise_database_url
from portal.database import write_intent
from portal.extensions import db
from tests import factories


def _create_postgres_database(base_url: str) -> str:
    """Create a database just for this run and return its URL; fail or skip if unreachable."""
    import psycopg

    url = make_url(normalise_database_url(base_url))
    name = f"portal_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin_dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but unreachable at {base_url}: {exc}", False)
        pytest.skip(f"PostgreSQL unreachable at {base_url}: {exc}")
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(base_url: str, test_url: str) -> None:
    """Drop this run's database, closing whatever connections are left."""
    import psycopg

    admin_dsn = (
        make_url(normalise_database_url(base_url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    name = make_url(test_url).database
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """One database for the whole run: PostgreSQL when TEST_DATABASE_URL is set, else SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        url = _create_postgres_database(base)
        yield url
        _drop_postgres_database(base, url)
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal.sqlite3")


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory):
    """An instance folder of the run's own."""
    return str(tmp_path_factory.mktemp("instance"))


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


@pytest.fixture(scope="session")
def _schema(database_url, instance_path):
    """Build the schema once per run through the Alembic migrations."""
    os.environ["PORTAL_INSTANCE_PATH"] = instance_path
    app = create_app(make_config(database_url), from_environment=False)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


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


@pytest.fixture
def app(_schema, database_url):
    """The application, inside an app context, on an emptied database."""
    with app_on_emptied_database(database_url) as app:
        yield app


@pytest.fixture
def make_app(_schema, database_url):
    """Build more apps on the run's database with other settings (a second process, HTTPS,
    short timeouts); their connection pools are closed after the test."""
    made = []

    def build(**overrides):
        """An app with these settings over the test configuration."""
        new = create_app(make_config(database_url, **overrides), from_environment=False)
        new.test_client_class = FreshContextClient
        made.append(new)
        return new

    yield build
    for new in made:
        with new.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client with cookies."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


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


@pytest.fixture
def auth(client):
    """Login helper bound to the test client."""
    return AuthActions(client)


@pytest.fixture
def f(app):
    """Row factories, committed, bound to this test's app."""
    return factories
