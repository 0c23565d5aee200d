"""Scratch databases for the benchmarks: made for one run, built by the migrations, dropped after.

PostgreSQL comes from DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test): a
database of the run's own is created beside it, as tests/conftest.py does. SQLite is a file
in a temporary directory.
"""

import gc
import os
import secrets
import shutil
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/close.py` from anywhere
    sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.config import normalise_database_url  # noqa: E402
from portal.extensions import db  # noqa: E402

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _admin_dsn(url: str) -> str:
    """A psycopg DSN for the server that holds `url` (any database on it)."""
    return (
        make_url(normalise_database_url(url))
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )


def make_database(kind: str) -> str:
    """Create an empty scratch database ("sqlite" or "postgresql") and return its URL."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="portal-bench-")
        return f"sqlite:///{folder}/bench.sqlite3"
    if kind != "postgresql":
        raise ValueError(f"unknown database kind {kind!r}: use sqlite or postgresql")
    import psycopg

    base = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    name = f"portal_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin_dsn(base), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(normalise_database_url(base)).set(database=name)
    return url.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop a scratch database made by make_database (its temporary folder, for SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        shutil.rmtree(Path(parsed.database).parent, ignore_errors=True)
        return
    import psycopg

    base = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    with psycopg.connect(_admin_dsn(base), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')


def bench_app(url: str):
    """The application on the scratch database, configured like production but quiet."""
    os.environ.setdefault("PORTAL_INSTANCE_PATH", tempfile.mkdtemp(prefix="portal-bench-i-"))
    config = {
        "SECRET_KEY": secrets.token_hex(16),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(url),
        "SCHEDULER_IN_PROCESS": False,
    }
    return create_app(config, from_environment=False)


def freeze_startup() -> None:
    """What wsgi.py does after start-up, for an app that is timed like a served one."""
    gc.collect()
    gc.freeze()


def build_schema(url: str) -> None:
    """Build the schema with the migrations (flask_migrate.upgrade)."""
    from flask_migrate import upgrade

    app = bench_app(url)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextmanager
def scratch_app(args, seed):
    """A scratch database of `args.db` built by the migrations, the app on it timed as a
    served one, and `seed(app, args)`'s summary: yields (url, app, summary); the database is
    dropped afterwards unless `args.keep`."""
    url = make_database(args.db)
    try:
        build_schema(url)
        app = bench_app(url)
        freeze_startup()
        summary = seed(app, args)
        if args.keep:
            print(f"database kept: {url}")
        yield url, app, summary
    finally:
        if not args.keep:
            drop_database(url)
