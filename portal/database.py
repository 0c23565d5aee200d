"""Engine settings: SQLite in WAL mode with a busy timeout, write transactions that queue."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import Flask, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_write_intent: ContextVar[bool] = ContextVar("portal_sqlite_write_intent", default=False)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@contextmanager
def write_intent() -> Iterator[None]:
    """Mark the transactions begun inside as writers (CLI commands and jobs that write)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine, busy_timeout_ms: int) -> None:
    """Apply SQLite pragmas; PostgreSQL needs nothing here."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A writer takes the write lock when it begins, so concurrent writers queue on the
        # busy timeout; a deferred transaction that upgrades later fails at once instead.
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


def register_request_hooks(app: Flask) -> None:
    """Requests that may change state (POST, PUT, PATCH, DELETE) begin as writers."""

    @app.before_request
    def _mark_writer():
        if request.method not in SAFE_METHODS:
            g._write_intent_token = _write_intent.set(True)

    @app.teardown_request
    def _unmark_writer(_exc):
        _end_request_write_intent()

    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)


def _end_request_write_intent() -> None:
    """The request's writes are over: later transactions begin as readers."""
    token = g.pop("_write_intent_token", None)
    if token is not None:
        _write_intent.reset(token)


def _after_commit(_session) -> None:
    """A request is one write transaction: once it committed, what the request still reads
    (an object to answer with, say) must not queue for the write lock again."""
    if has_request_context():
        _end_request_write_intent()
