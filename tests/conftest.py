"""Fixtures: a database per run (SQLite file, or a PostgreSQL database of its own), the app,
a test client, logging in through the real form with CSRF on, and row factories.

Plain helpers (configuration, forms, dates) live in tests/helpers.py, row factories in
tests/factories.py; test modules import from those, never from this file.
"""

import os
import uuid

import pytest
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from portal import create_app
from portal.config import normalise_database_url
from portal.extensions import db
from tests import factories
from tests.helpers import AuthActions, FreshContextClient, app_on_emptied_database, make_config


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


@pytest.fixture(scope="session")
def _schema(database_url, instance_path):
    """Build the schema once per run through the Alembic migrations."""
    os.environ["PORTAL_INSTANCE_PATH"] = instance_path
    app = create_app(make_config(database_url), from_environment=False)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return True


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


@pytest.fixture
def auth(client):
    """Login helper bound to the test client."""
    return AuthActions(client)


@pytest.fixture
def f(app):
    """Row factories, committed, bound to this test's app."""
    return factories


@pytest.fixture
def login_as(auth, f):
    """Log in through the form as a new user: `login_as("admin", name="Ada")` returns the user.

    Takes the role and the user factory's keywords (email, name, client, password).
    """

    def log_in(role: str, **fields):
        """Create the user, log in as them and check the login went through."""
        user = f.user(role, **fields)
        response = auth.login(user.email, fields.get("password", factories.PASSWORD))
        assert response.status_code == 302, f"login as {role} answered {response.status_code}"
        return user

    return log_in


@pytest.fixture
def admin(login_as):
    """A logged-in admin."""
    return login_as("admin")


@pytest.fixture
def operator(login_as):
    """A logged-in operator."""
    return login_as("operator")


@pytest.fixture
def acme_user(login_as, f):
    """A logged-in client user of ACME GmbH (EUR)."""
    return login_as("client", client=f.client("ACME GmbH", currency_code="EUR"))
