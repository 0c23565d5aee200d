"""Shared pieces of the reliability tests: the real app behind a live HTTP server on the run's
database, a small JSON client over http.client, which database is in use, and what a
refusal for a closed month looks like."""

import http.client
import json
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest

from portal import create_app
from portal.extensions import db
from tests.helpers import make_config
from tests.live import serving


def is_postgres(database_url: str) -> bool:
    """True when the run's database is PostgreSQL."""
    return database_url.startswith("postgresql")


def is_closed_refusal(status: int, body: object, period: str) -> bool:
    """A post refused because its month is closed.

    The service answers 409 `period_closed` for edits and deletes; a new entry in a closed
    month is refused by the same rule as a field error on work_date (400 validation).
    """
    if not isinstance(body, dict):
        return False
    if status == 409:
        return body.get("error") == "period_closed"
    return (
        status == 400
        and body.get("error") == "validation"
        and set(body.get("fields", {})) == {"work_date"}
        and body["fields"]["work_date"].startswith(f"{period} is closed")
    )


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, content type and the decoded JSON body (None if not JSON)."""

    status: int
    content_type: str
    body: object


@dataclass(frozen=True)
class LiveServer:
    """Where a live server listens, and the app it serves."""

    host: str
    port: int
    app: object = field(repr=False, compare=False)

    def pool(self):
        """The served app's connection pool (to watch how many connections it uses)."""
        with self.app.app_context():
            return db.engine.pool

    def request(self, method: str, path: str, token: str, payload=None) -> Answer:
        """Send one request on a fresh connection (no keep-alive) and read the whole answer."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            data = None if payload is None else json.dumps(payload).encode()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            connection.request(method, "/api/v1" + path, body=data, headers=headers)
            response = connection.getresponse()
            raw = response.read()
            content_type = response.getheader("Content-Type", "")
        finally:
            connection.close()
        body = json.loads(raw) if content_type.startswith("application/json") and raw else None
        return Answer(response.status, content_type, body)


@pytest.fixture
def live_server(app, database_url):
    """Start the real app on 127.0.0.1 in a threaded werkzeug server; stopped after the test.

    Call it with the pool the concurrency needs: each request thread holds one connection.
    """
    with ExitStack() as servers:

        def start(pool_size: int = 5, max_overflow: int = 5) -> LiveServer:
            """Build an app with that pool on the run's database and serve it on a free port."""
            engine_options = {
                "pool_size": pool_size,
                "max_overflow": max_overflow,
                "pool_timeout": 30,
            }
            live_app = create_app(
                make_config(database_url, SQLALCHEMY_ENGINE_OPTIONS=engine_options),
                from_environment=False,
            )
            port = servers.enter_context(serving(live_app))
            return LiveServer("127.0.0.1", port, live_app)

        yield start
