"""Flask CLI commands: users, API tokens, the demo shop."""

import functools

import click
from flask import current_app

from portal.database import write_intent
from portal.extensions import db
from portal.models import Role, User
from portal.services.billing import item_row
from portal.services.errors import DomainError, ValidationFailed
from portal.services.tokens import create_api_token
from portal.services.users import create_user, normalise_email


def writes(command):
    """Run a command's transactions as SQLite writers (they take the write lock up front)."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        with write_intent():
            return command(*args, **kwargs)

    return wrapped


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--client-id", type=int, default=None, help="Client account (client users only).")
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--name", default=None, help="Display name (defaults to the email's local part).")
@writes
def create_user_command(email, role, client_id, password, name):
    """Add a user."""
    try:
        user = create_user(email, password, role, name=name, client_id=client_id)
    except ValidationFailed as exc:
        db.session.rollback()
        for field, message in exc.fields.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(2) from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


@click.command("create-api-token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@writes
def create_api_token_command(email, name):
    """Print a new API token for the user as the last line of output."""
    user = db.session.scalar(db.select(User).filter_by(email=normalise_email(email)))
    if user is None or not user.active:
        click.echo(f"No active user with email {email}.", err=True)
        raise SystemExit(2)
    _token, plain = create_api_token(user, name)
    db.session.commit()
    click.echo(f"API token for {user.email} ({user.role}); it is shown only once:")
    click.echo(plain)


@click.command("seed-demo")
@writes
def seed_demo_command():
    """Fill an empty database with a demo shop and print the logins."""
    from portal import demo

    if not demo.database_is_empty():
        click.echo("The database already holds data; the demo shop was not loaded.")
        if demo.demo_present():
            demo.print_logins(click.echo)
        return
    demo.seed(current_app.config.get("DEMO_SEED", 2026))
    db.session.commit()
    click.echo("Demo shop loaded.")
    demo.print_logins(click.echo)


@click.command("close-month")
@click.argument("period")
@click.option("--dry-run", is_flag=True, help="Show the items a close would create; write nothing.")
@writes
def close_month_command(period, dry_run):
    """Close (or preview) a past month: billable items and invoices, exactly once."""
    from portal.formatting import format_money
    from portal.models import Currency
    from portal.services.billing import close_period, preview_period

    currencies = {c.id: c for c in db.session.scalars(db.select(Currency))}
    try:
        if dry_run:
            already, rows = preview_period(period)
            db.session.rollback()
            click.echo(
                f"{period}: {'closed; its items' if already else 'a close would create'}"
                f" {len(rows)} item(s):"
            )
        else:
            result = close_period(period)
            db.session.commit()
            rows = [item_row(item) for item in result.items]
            state = "was already closed" if result.already_closed else "closed"
            click.echo(f"{period} {state}: {len(rows)} item(s), {len(result.invoices)} invoice(s).")
    except DomainError as exc:
        db.session.rollback()
        click.echo(exc.message, err=True)
        raise SystemExit(1) from None
    for row in rows:
        click.echo(
            f"  client {row['client_id']:>5}  {row['kind']:<11} "
            f"{format_money(row['amount'], currencies[row['currency_id']]):>14}  "
            f"{row['description']}"
        )


@click.command("scheduler")
def scheduler_command():
    """Run the scheduler process that closes past months (blocks; run exactly one)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from portal.jobs import add_close_job

    scheduler = BlockingScheduler()
    add_close_job(scheduler, current_app._get_current_object())
    click.echo("Scheduler running: closes past months daily at 00:05 (business time zone).")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)


def register(app) -> None:
    """Attach the commands to the app's CLI."""
    for command in (
        create_user_command,
        create_api_token_command,
        seed_demo_command,
        close_month_command,
        scheduler_command,
    ):
        app.cli.add_command(command)
