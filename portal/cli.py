"""Flask CLI commands: users, API tokens, the demo shop, the load generator."""

import os
import sqlite3
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app

from portal.extensions import db
from portal.models import Role, User
from portal.services.accounts.tokens import create_api_token
from portal.services.accounts.users import create_user, normalise_email
from portal.services.billing.close import item_row
from portal.services.errors import DomainError, ValidationFailed
from portal.transaction import unit_of_work


def _refuse_fields(exc: ValidationFailed) -> NoReturn:
    """Print each field's message and stop with exit status 2 (nothing is kept)."""
    for field, message in exc.fields.items():
        click.echo(f"{field}: {message}", err=True)
    raise SystemExit(2) from None


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice(Role.values()), required=True)
@click.option("--client-id", type=int, default=None, help="Client account (client users only).")
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--name", default=None, help="Display name (defaults to the email's local part).")
def create_user_command(email, role, client_id, password, name):
    """Add a user."""
    try:
        with unit_of_work():
            user = create_user(email, password, role, name=name, client_id=client_id)
    except ValidationFailed as exc:
        _refuse_fields(exc)
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("create-api-token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
def create_api_token_command(email, name):
    """Print a new API token for the user as the last line of output."""
    try:
        with unit_of_work():
            user = db.session.scalar(db.select(User).filter_by(email=normalise_email(email)))
            if user is None or not user.active:
                click.echo(f"No active user with email {email}.", err=True)
                raise SystemExit(2)
            _token, plain = create_api_token(user, name)
    except ValidationFailed as exc:
        _refuse_fields(exc)
    click.echo(f"API token for {user.email} ({user.role}); it is shown only once:")
    click.echo(plain)


@click.command("seed-demo")
def seed_demo_command():
    """Fill an empty database with a demo shop and print the logins."""
    from portal.seeding import demo

    with unit_of_work():
        empty = demo.database_is_empty()
        if empty:
            demo.seed(current_app.config.get("DEMO_SEED", 2026))
    if not empty:
        click.echo("The database already holds data; the demo shop was not loaded.")
        if demo.demo_present():
            demo.print_logins(click.echo)
        return
    click.echo("Demo shop loaded.")
    demo.print_logins(click.echo)


@click.command("close-month")
@click.argument("period")
@click.option("--dry-run", is_flag=True, help="Show the items a close would create; write nothing.")
def close_month_command(period, dry_run):
    """Close (or preview) a past month: billable items and invoices, exactly once."""
    from portal.formatting import format_money
    from portal.models import Currency
    from portal.services.billing.close import close_period, preview_period

    currencies = {c.id: c for c in db.session.scalars(db.select(Currency))}
    try:
        with unit_of_work():  # a dry run writes nothing, so it commits nothing
            if dry_run:
                already, rows = preview_period(period)
            else:
                result = close_period(period)
                rows = [item_row(item) for item in result.items]
    except DomainError as exc:
        click.echo(exc.message, err=True)
        raise SystemExit(1) from None
    if dry_run:
        state = "closed; its items" if already else "a close would create"
        click.echo(f"{period}: {state} {len(rows)} item(s):")
    else:
        state = "was already closed" if result.already_closed else "closed"
        click.echo(f"{period} {state}: {len(rows)} item(s), {result.invoice_count} invoice(s).")
    for row in rows:
        click.echo(
            f"  client {row['client_id']:>5}  {row['kind']:<11} "
            f"{format_money(row['amount'], currencies[row['currency_id']]):>14}  "
            f"{row['description']}"
        )


@click.command("scheduler")
def scheduler_command():
    """Run the scheduler process that closes past months and sends mail (blocks; run one)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from portal.jobs import add_close_job, add_mail_job, add_reminder_job

    scheduler = BlockingScheduler()
    add_close_job(scheduler, current_app._get_current_object())
    add_mail_job(scheduler, current_app._get_current_object())
    add_reminder_job(scheduler, current_app._get_current_object())
    click.echo(
        "Scheduler running: closes past months daily at 00:05 (business time zone), "
        "writes payment reminders daily at 08:00 and sends the outbox every few seconds."
    )
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


@click.command("send-mail")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
@click.option("--where", is_flag=True, help="Only say where mail goes (MAIL_URL), then exit.")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between looks when idle.")
def send_mail_command(once, where, poll):
    """Deliver the outbox (blocks; any number may run on PostgreSQL)."""
    from portal.services.mail.sender import deliver_due
    from portal.services.mail.transport import describe, mail_url

    click.echo(f"Mail goes to {describe(mail_url())}.")
    if where:
        return
    while True:
        try:
            done = deliver_due()
        except Exception:  # the database busy, say: what was claimed comes back with its lease
            if once:
                raise
            current_app.logger.exception("sending failed; trying again in %s s", poll)
            time.sleep(poll)
            continue
        if done.handled or once:
            click.echo(
                f"sent {len(done.sent)}, to retry {len(done.retrying)}, failed {len(done.failed)}"
            )
        if once:
            return
        time.sleep(poll)


@click.command("send-reminders")
def send_reminders_command():
    """Write today's payment reminders and overdue notices (what the daily job does)."""
    from portal.services.mail.billing import queue_reminders

    with unit_of_work():
        written = queue_reminders()
    stages = ", ".join(f"{stage} {n}" for stage, n in written.items()) or "no stages set"
    click.echo(f"Reminders queued: {sum(written.values())} ({stages}).")


@click.command("seed-load")
@click.option("--clients", type=click.IntRange(min=1), required=True, help="Client accounts.")
@click.option("--tickets", type=click.IntRange(min=0), required=True, help="Tickets in all.")
@click.option("--entries", type=click.IntRange(min=0), required=True, help="Time entries.")
@click.option("--period", required=True, help="The past month the time falls in, YYYY-MM.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same rows.")
@click.option(
    "--big-client-tickets",
    type=click.IntRange(min=0),
    default=0,
    help='Tickets of the first client, "Load client 00001".',
)
def seed_load_command(clients, tickets, entries, period, seed, big_client_tickets):
    """Fill the database with a load for benchmarks: bulk inserts, deterministic per seed."""
    from portal.seeding.load import LoadError, seed_load

    started = time.perf_counter()
    try:
        with unit_of_work():
            figures = seed_load(
                clients=clients,
                tickets=tickets,
                entries=entries,
                period=period,
                seed=seed,
                big_client_tickets=big_client_tickets,
            )
    except LoadError as exc:
        _refuse(str(exc))
    rows = ", ".join(f"{count:,} {table}" for table, count in figures["rows"].items())
    click.echo(f"Load {seed} for {figures['period']}: {rows}.")
    logins = figures["logins"]
    click.echo(
        f"Logins ({logins['password']}): {logins['admin']}, {logins['operator']}, "
        f"{logins['client']} (client {figures['big_client_id']})."
    )
    click.echo(f"Took {time.perf_counter() - started:.1f} s (commit included).")


# Tables whose row counts `flask backup` prints, to show at a glance what the copy holds.
BACKUP_TABLES = (
    "client",
    "user_account",
    "subscription",
    "ticket",
    "time_entry",
    "billable_item",
    "invoice",
    "audit_log",
)


def _refuse(message: str) -> None:
    """Print why a command cannot run and exit with status 1."""
    click.echo(message, err=True)
    raise SystemExit(1)


def _copy_sqlite(source: Path, target: Path, timeout: float) -> tuple[str, dict[str, int]]:
    """Copy a live SQLite database with the backup API; the copy's integrity and row counts.

    One backup step copies every page from one read snapshot: committed data only, and
    writers are not blocked (WAL). The copy is switched to a rollback journal, so it is
    one self-contained file.
    """
    # mode=rw: open the existing file only, never create an empty database by mistake.
    src = sqlite3.connect(source.resolve().as_uri() + "?mode=rw", uri=True, timeout=timeout)
    dst = sqlite3.connect(target)
    with closing(src), closing(dst):
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
        check = "; ".join(row[0] for row in dst.execute("PRAGMA integrity_check(10)"))
        present = {row[0] for row in dst.execute("SELECT name FROM sqlite_master")}
        counts = {  # table names come from BACKUP_TABLES, never from input
            table: dst.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in BACKUP_TABLES
            if table in present
        }
    return check, counts


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
def backup_command(path: Path, force: bool):
    """Copy the SQLite database to PATH while the app runs (on PostgreSQL use pg_dump)."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        _refuse(
            f"flask backup copies SQLite databases only; this one is {url.get_backend_name()}. "
            "Use pg_dump -Fc (see README, Backups)."
        )
    if not url.database or url.database == ":memory:" or not Path(url.database).is_file():
        _refuse(f"No SQLite database file at {url.database or '(in memory)'}.")
    source = Path(url.database)
    if path.is_dir():
        _refuse(f"{path} is a directory; give the backup a file name.")
    if not path.parent.is_dir():
        _refuse(f"The directory {path.parent} does not exist.")
    live = {source.resolve(), *(Path(f"{source.resolve()}{end}") for end in ("-wal", "-shm"))}
    if path.resolve() in live or (path.exists() and path.samefile(source)):
        _refuse(f"{path} is the live database; choose another file.")
    if path.exists() and not force:
        _refuse(f"{path} exists; use --force to replace it.")
    # Copy into a temporary file beside PATH, then rename: PATH is never half-written.
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(handle)
    try:
        timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
        check, counts = _copy_sqlite(source, Path(partial), timeout)
        if check != "ok":
            _refuse(f"The copy failed PRAGMA integrity_check: {check}")
        os.replace(partial, path)
    except sqlite3.Error as exc:
        _refuse(f"Backup failed: {exc}")
    finally:
        Path(partial).unlink(missing_ok=True)
    click.echo(f"Backed up {source} to {path}: {path.stat().st_size:,} bytes, integrity ok.")
    for table, rows in counts.items():
        click.echo(f"  {table:<14} {rows:>8} rows")


def register(app) -> None:
    """Attach the commands to the app's CLI."""
    for command in (
        create_user_command,
        create_api_token_command,
        seed_demo_command,
        close_month_command,
        scheduler_command,
        backup_command,
        seed_load_command,
        send_mail_command,
        send_reminders_command,
    ):
        app.cli.add_command(command)
