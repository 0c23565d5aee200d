"""A `flask close-month` that dies halfway leaves nothing behind.

On PostgreSQL the process is SIGKILLed while its transaction, period row and usage already
inserted, waits on the invoice counter row that the test holds locked. On any database the
command fails from an injected error after its invoices and items are written. Either way
the month must stay open (no period row, items, usage, invoices or locks, counter unchanged)
and a re-run must bill it exactly as a close without the failure does.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from portal.extensions import db
from portal.models import (
    BillableItem,
    BillingPeriod,
    Counter,
    Invoice,
    InvoiceLine,
    UsageRecord,
)
from portal.services.billing import invoices
from portal.services.billing.close import close_period
from portal.services.billing.invoices import COUNTER
from portal.services.billing.periods import period_of
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import count, last_month_start
from tests.reliability.conftest import is_postgres

pytestmark = pytest.mark.reliability

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60


@pytest.fixture
def books(f):
    """Three EUR clients subscribed since the month before last, which is closed (so the
    invoice counter stands at 2); last month holds their time and is still open."""
    earlier = (last_month_start() - timedelta(days=1)).replace(day=1)
    standard = f.plan("Standard", hours=10, prices={"EUR": ("200.00", "60.00")})
    hourly = f.plan("Hourly", model="hourly", hours=0, prices={"EUR": ("0", "75.00")})
    small = f.plan("Small", hours=5, prices={"EUR": ("100.00", "50.00")})
    operator = f.user("operator")
    clients = []
    for plan, minutes in ((standard, [600, 150]), (hourly, [120, 75]), (small, [])):
        client = f.client()
        f.subscription(client, plan, earlier)
        ticket = f.ticket(client)
        for offset, spent in enumerate(minutes):
            day = last_month_start() + timedelta(days=offset + 2)
            log_time(ticket, operator, TimeInput(spent, day))
        log_time(ticket, operator, TimeInput(240, last_month_start(), billable=False))
        clients.append(client.id)
    db.session.commit()
    close_period(period_of(earlier))
    db.session.commit()
    return {"period": period_of(last_month_start()), "clients": clients}


def figures(period: str) -> dict:
    """What a close of `period` left: items, invoices (numbers, totals, lines) and usage."""
    period_id = db.session.scalar(db.select(BillingPeriod.id).filter_by(period=period))
    items = db.session.execute(
        db.select(BillableItem, Invoice.number)
        .outerjoin(Invoice, Invoice.id == BillableItem.invoice_id)
        .where(BillableItem.period_id == period_id)
    ).all()
    bills = db.session.scalars(db.select(Invoice).filter_by(period_id=period_id)).all()
    usage = db.session.scalars(db.select(UsageRecord).filter_by(period_id=period_id)).all()
    return {
        "items": sorted((i.client_id, i.kind, i.minutes, i.amount, n) for i, n in items),
        "invoices": sorted((b.client_id, b.number, b.total, len(b.lines)) for b in bills),
        "usage": sorted(
            (u.client_id, u.included_minutes, u.used_minutes, u.overtime_minutes) for u in usage
        ),
    }


def reference_close(period: str) -> dict:
    """Close the month in the test's own transaction, read what it made, and roll it back."""
    db.session.commit()
    close_period(period)
    db.session.flush()
    made = figures(period)
    db.session.rollback()
    assert db.session.scalar(db.select(BillingPeriod.id).filter_by(period=period)) is None
    return made


def check_hand_figures(made: dict, clients: list[int]) -> None:
    """The fixture's month, worked out by hand: 12.5 h on 10 h, 3.25 h hourly, 5 h unused."""
    a, b, c = clients
    amounts = [
        (client, kind, minutes, amount) for client, kind, minutes, amount, _n in made["items"]
    ]
    assert amounts == [
        (a, "overtime", 150, Decimal("150.00")),
        (a, "package_fee", 600, Decimal("200.00")),
        (b, "hourly", 195, Decimal("243.75")),
        (c, "package_fee", 300, Decimal("100.00")),
    ]
    totals = [(client, number[-4:], total) for client, number, total, _l in made["invoices"]]
    assert totals == [
        (a, "0003", Decimal("350.00")),
        (b, "0004", Decimal("243.75")),
        (c, "0005", Decimal("100.00")),
    ]
    # Hourly plans include nothing: all their used minutes count as charged (overtime).
    assert made["usage"] == [(a, 600, 750, 150), (b, 0, 195, 195), (c, 300, 0, 0)]


def state() -> dict:
    """Row counts the close writes to, and the invoice counter."""
    db.session.commit()  # a fresh snapshot
    return {
        "periods": count(BillingPeriod),
        "items": count(BillableItem),
        "usage": count(UsageRecord),
        "invoices": count(Invoice),
        "lines": count(InvoiceLine),
        "counter": db.session.scalar(db.select(Counter.value).filter_by(name=COUNTER)),
    }


def advisory_locks() -> int:
    """Advisory locks held or awaited in this run's database (PostgreSQL)."""
    db.session.commit()
    return db.session.scalar(
        db.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    )


def cli_env(database_url: str, instance: Path) -> dict:
    """The environment of a production `flask close-month`: this run's database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))}
    env.update(DATABASE_URL=database_url, PORTAL_INSTANCE_PATH=str(instance), SECRET_KEY="x")
    return env


def close_month_command(period: str) -> list[str]:
    """The command line, with this virtualenv's Python."""
    return [sys.executable, "-m", "flask", "--app", "wsgi", "close-month", period]


def wait_for_blocked(watcher, locker_pid: int, process) -> tuple[int, str]:
    """The backend pid and query of the session waiting on the locker, once it waits."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        row = watcher.execute(
            "SELECT pid, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND %s = ANY(pg_blocking_pids(pid))",
            (locker_pid,),
        ).fetchone()
        if row:
            return row
        assert process.poll() is None, "close-month ended instead of waiting on the counter"
        time.sleep(0.05)
    pytest.fail(f"close-month did not block on the counter lock within {WAIT_SECONDS} s")


def wait_until_gone(watcher, pid: int) -> float:
    """Wait until a backend has ended; returns how long it took."""
    began = time.monotonic()
    while time.monotonic() - began < WAIT_SECONDS:
        if not watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            return time.monotonic() - began
        time.sleep(0.05)
    pytest.fail(f"backend {pid} of the killed close-month is still there")


def test_sigkilled_close_month_leaves_nothing_and_the_rerun_bills_once(
    database_url, books, tmp_path
):
    if not is_postgres(database_url):
        pytest.skip("SIGKILL mid-transaction needs PostgreSQL's row locks to hold the close")
    import psycopg

    period = books["period"]
    reference = reference_close(period)
    check_hand_figures(reference, books["clients"])
    before = state()
    assert before["counter"] == 2 and advisory_locks() == 0
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(False)
    log = tmp_path / "close-month.log"
    with (
        psycopg.connect(dsn, autocommit=True) as watcher,
        psycopg.connect(dsn) as locker,
        log.open("w") as output,
    ):
        # The close claims the month, inserts usage and reserves item ids before it takes
        # the counter row; invoices, items and lines follow the counter.
        locker.execute("SELECT value FROM counter WHERE name = %s FOR UPDATE", (COUNTER,))
        process = subprocess.Popen(
            close_month_command(period),
            cwd=ROOT,
            env=cli_env(database_url, tmp_path / "instance"),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            victim, query = wait_for_blocked(watcher, locker.info.backend_pid, process)
            held = watcher.execute(
                "SELECT coalesce(c.relname, l.locktype), l.mode FROM pg_locks l "
                "LEFT JOIN pg_class c ON c.oid = l.relation WHERE l.pid = %s AND l.granted",
                (victim,),
            ).fetchall()
            assert "counter" in query and "FOR UPDATE" in query
            for table in ("billing_period", "subscription_usage", "billable_item_id_seq"):
                assert (table, "RowExclusiveLock") in held, f"{table} not written yet: {held}"
            assert ("advisory", "ExclusiveLock") in held
            process.send_signal(signal.SIGKILL)
            assert process.wait(WAIT_SECONDS) == -signal.SIGKILL
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(WAIT_SECONDS)
        locker.rollback()  # the killed session gets the row, finds its client gone, and ends
        gone_after = wait_until_gone(watcher, victim)

    assert state() == before
    assert figures(period) == {"items": [], "invoices": [], "usage": []}
    assert advisory_locks() == 0

    rerun = subprocess.run(
        close_month_command(period),
        cwd=ROOT,
        env=cli_env(database_url, tmp_path / "instance"),
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{period} closed: 4 item(s), 3 invoice(s)." in rerun.stdout
    after = figures(period)
    assert after == reference
    assert [client for client, *_rest in after["invoices"]] == books["clients"]
    assert state()["counter"] == before["counter"] + 3 and advisory_locks() == 0
    print(
        f"\ncrash: close-month pid {process.pid} (backend {victim}) killed while waiting on the "
        f"counter with {len(held)} locks held; backend gone {gone_after:.2f}s after release; "
        f"left periods={before['periods']} items={before['items']} invoices={before['invoices']}"
        f" counter={before['counter']} (unchanged); re-run: {len(after['items'])} items, "
        f"{len(after['invoices'])} invoices "
        f"{', '.join(f'{n} {t:.2f}' for _c, n, t, _l in after['invoices'])}, equal to the reference"
    )


def test_close_month_failing_after_its_items_leaves_nothing_and_the_rerun_succeeds(
    app, runner, books, database_url, monkeypatch
):
    period = books["period"]
    reference = reference_close(period)
    check_hand_figures(reference, books["clients"])
    before = state()
    written = {}

    real_insert = invoices.bulk_insert

    def power_cut(model, rows):
        """Fail where the close writes invoice lines, after its invoices and items."""
        if model is not InvoiceLine:
            return real_insert(model, rows)
        written["items"] = db.session.scalar(
            db.select(db.func.count())
            .select_from(BillableItem)
            .join(BillingPeriod)
            .where(BillingPeriod.period == period)
        )
        raise RuntimeError("power cut")

    monkeypatch.setattr(invoices, "bulk_insert", power_cut)
    db.session.commit()  # the test's session holds no transaction while the command runs
    with app.app_context():  # the command's own context and session, as `flask` pushes one
        failed = runner.invoke(args=["close-month", period])
    assert failed.exit_code == 1 and isinstance(failed.exception, RuntimeError)
    assert written == {"items": 4}  # the failure came after the items were in the transaction
    monkeypatch.undo()

    assert state() == before
    assert figures(period) == {"items": [], "invoices": [], "usage": []}
    if is_postgres(database_url):
        assert advisory_locks() == 0
    db.session.commit()
    with app.app_context():
        rerun = runner.invoke(args=["close-month", period])
    assert rerun.exit_code == 0, rerun.output
    assert f"{period} closed: 4 item(s), 3 invoice(s)." in rerun.output
    assert figures(period) == reference
    assert state()["counter"] == before["counter"] + 3
