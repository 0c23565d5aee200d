"""`flask backup PATH`: an online, consistent, self-contained copy of the SQLite database.

Every test here runs on a SQLite app of its own (built through the migrations), so the
file runs unchanged on the SQLite and on the PostgreSQL pass of the suite.
"""

import re
import sqlite3
import threading
from contextlib import closing
from datetime import date
from pathlib import Path

import pytest
from flask_migrate import upgrade

from portal import create_app
from portal.config import normalise_database_url
from portal.database import write_intent
from portal.extensions import db
from portal.services.tickets.time_entries import TimeInput, log_time
from tests import factories as f
from tests.helpers import make_config


@pytest.fixture
def sqlite_app(tmp_path, monkeypatch):
    """An app on a fresh SQLite file (WAL mode, as in production), inside its app context."""
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        make_config(f"sqlite:///{tmp_path / 'portal.sqlite3'}"), from_environment=False
    )
    with app.app_context():
        upgrade()
        with write_intent():
            yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def shop(sqlite_app):
    """Two clients, a plan, tickets and time: rows in most tables, some only in the WAL."""
    plan = f.plan("Standard")
    acme, beta = f.client("ACME GmbH"), f.client("Beta Ltd")
    f.subscription(acme, plan, date(2026, 9, 1))
    operator = f.user("operator", name="Olga Operator")
    for subject in ("Mail down", "VPN slow"):
        log_time(f.ticket(acme, subject=subject), operator, TimeInput(90, date(2026, 9, 14)))
    f.ticket(beta)
    db.session.commit()
    return sqlite_app


def database_file(app) -> Path:
    """The app's SQLite file."""
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def backup(app, *args: str):
    """Run `flask backup ARGS` against the app."""
    return app.test_cli_runner().invoke(args=["backup", *args])


def all_rows(path: Path) -> dict[str, list]:
    """Every row of every table of a SQLite file, in a stable order."""
    with closing(sqlite3.connect(path)) as conn:
        tables = [
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {
            t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
        }


def header_versions(path: Path) -> tuple[int, int]:
    """Bytes 18 and 19 of the file header: (2, 2) for WAL mode, (1, 1) for a rollback journal."""
    header = path.read_bytes()[:20]
    return header[18], header[19]


def test_backup_copies_every_row_into_one_self_contained_file(shop, tmp_path):
    source = database_file(shop)
    wal = Path(f"{source}-wal")
    assert header_versions(source) == (2, 2) and wal.stat().st_size > 0  # data sits in the WAL
    target = tmp_path / "copies" / "portal-backup.sqlite3"
    target.parent.mkdir()

    result = backup(shop, str(target))

    assert result.exit_code == 0, result.output
    assert all_rows(target) == all_rows(source)
    # One file in rollback-journal mode: nothing else is needed to open it.
    assert sorted(p.name for p in target.parent.iterdir()) == ["portal-backup.sqlite3"]
    assert header_versions(target) == (1, 1)
    moved = tmp_path / "elsewhere.sqlite3"
    moved.write_bytes(target.read_bytes())
    with closing(sqlite3.connect(moved)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM time_entry").fetchone() == (2,)
    # The report: size, integrity, and the row counts of the key tables.
    assert f"{target.stat().st_size:,} bytes, integrity ok." in result.output
    counts = dict(re.findall(r"^  (\w+) +(\d+) rows$", result.output, re.M))
    assert counts == {
        "client": "2",
        "user_account": "1",
        "subscription": "1",
        "ticket": "3",
        "time_entry": "2",
        "billable_item": "0",
        "invoice": "0",
        "audit_log": "3",
    }
    print(f"\nbackup of {len(all_rows(target))} tables: {target.stat().st_size:,} bytes")


def test_backup_during_an_open_write_transaction_has_the_committed_state_only(shop, tmp_path):
    source = database_file(shop)
    committed = all_rows(source)
    writer = sqlite3.connect(source, isolation_level=None, timeout=5)
    writer.execute("BEGIN IMMEDIATE")  # holds the write lock, as a request that is saving
    writer.execute("UPDATE client SET name = 'Uncommitted name'")
    for n in range(3):
        writer.execute(
            "INSERT INTO audit_log (at, action, object_type) VALUES (?, 'test.uncommitted', ?)",
            ("2026-11-01 10:00:00.000000", f"row{n}"),
        )
    target = tmp_path / "during-write.sqlite3"
    outcome = {}

    def run():
        """The backup, in an app context of the thread's own."""
        with shop.app_context():
            outcome["result"] = backup(shop, str(target))

    # In a thread with a deadline: a backup that waited for the writer would fail, not hang.
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    try:
        assert not thread.is_alive(), "the backup waited for the open write transaction"
        assert outcome["result"].exit_code == 0, outcome["result"].output
        assert all_rows(target) == committed
        with closing(sqlite3.connect(target)) as conn:
            assert "Uncommitted name" not in {n for (n,) in conn.execute("SELECT name FROM client")}
    finally:
        writer.execute("COMMIT")
        writer.close()
    # The rows were real: once committed, the live database has them.
    with closing(sqlite3.connect(source)) as conn:
        assert conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'test.uncommitted'"
        ).fetchone() == (3,)


def test_backups_while_writers_commit_are_each_a_consistent_state(shop, tmp_path):
    source = database_file(shop)
    stop, committed = threading.Event(), []

    def write_audit_rows():
        """Commit one audit row at a time until told to stop."""
        with closing(sqlite3.connect(source, isolation_level=None, timeout=10)) as conn:
            for n in range(5000):
                if stop.is_set():
                    break
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "INSERT INTO audit_log (at, action, object_type) VALUES (?, 'test.load', ?)",
                    ("2026-11-01 10:00:00.000000", f"n{n}"),
                )
                conn.execute("COMMIT")
                committed.append(n)

    writer = threading.Thread(target=write_audit_rows)
    writer.start()
    try:
        for _ in range(500):  # let the writer get going first (at most 5 s)
            if len(committed) >= 5:
                break
            stop.wait(0.01)
        copies = []
        for n in range(3):
            target = tmp_path / f"live-{n}.sqlite3"
            result = backup(shop, str(target))
            assert result.exit_code == 0, result.output
            copies.append(target)
    finally:
        stop.set()
        writer.join(30)
    seen = []
    for target in copies:
        with closing(sqlite3.connect(target)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            loaded = [
                int(name[1:])
                for (name,) in conn.execute(
                    "SELECT object_type FROM audit_log WHERE action = 'test.load' ORDER BY id"
                )
            ]
        # Committed rows form an unbroken prefix: no row is missing in the middle.
        assert loaded == list(range(len(loaded)))
        seen.append(len(loaded))
    assert seen[0] >= 5 and seen == sorted(seen) and seen[-1] <= len(committed)
    print(f"\nrows seen by three backups taken while a writer committed: {seen}")


def test_refuses_an_existing_path_unless_forced(shop, tmp_path):
    target = tmp_path / "exists.sqlite3"
    target.write_bytes(b"keep me")
    result = backup(shop, str(target))
    assert result.exit_code == 1
    assert f"{target} exists; use --force to replace it." in result.output
    assert target.read_bytes() == b"keep me"
    forced = backup(shop, str(target), "--force")
    assert forced.exit_code == 0, forced.output
    assert all_rows(target) == all_rows(database_file(shop))
    assert not list(tmp_path.glob("*.part"))  # the temporary copy was renamed into place


def test_refuses_a_missing_directory_or_a_directory(shop, tmp_path):
    missing = tmp_path / "no-such-dir" / "b.sqlite3"
    result = backup(shop, str(missing))
    assert result.exit_code == 1
    assert f"The directory {missing.parent} does not exist." in result.output
    assert not missing.parent.exists()
    result = backup(shop, str(tmp_path), "--force")
    assert result.exit_code == 1
    assert "is a directory; give the backup a file name." in result.output


def test_refuses_to_overwrite_the_live_database_even_when_forced(shop):
    source = database_file(shop)
    before = all_rows(source)
    for path in (source, Path(f"{source}-wal")):
        result = backup(shop, str(path), "--force")
        assert result.exit_code == 1
        assert "is the live database; choose another file." in result.output
    assert all_rows(source) == before


def test_refuses_postgresql_and_points_to_pg_dump(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path / "instance"))
    # Nothing listens on port 1: the command must refuse without connecting.
    url = normalise_database_url("postgresql://nobody@127.0.0.1:1/portal")
    app = create_app(make_config(url), from_environment=False)
    target = tmp_path / "pg.sqlite3"
    with app.app_context():
        result = backup(app, str(target))
        db.engine.dispose()
    assert result.exit_code == 1
    assert "flask backup copies SQLite databases only; this one is postgresql." in result.output
    assert "Use pg_dump -Fc (see README, Backups)." in result.output
    assert not target.exists()
