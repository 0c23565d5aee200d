"""Flask CLI commands: users, API tokens, the demo shop."""

import click
from flask import current_app

from portal.extensions import db
from portal.models import Role, User
from portal.services.errors import ValidationFailed
from portal.services.tokens import create_api_token
from portal.services.users import create_user, normalise_email


@click.command("create-user")
@click.argument("email")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--client-id", type=int, default=None, help="Client account (client users only).")
@click.option("--password", required=True, help="At least 12 characters.")
@click.option("--name", default=None, help="Display name (defaults to the email's local part).")
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


def register(app) -> None:
    """Attach the commands to the app's CLI."""
    for command in (create_user_command, create_api_token_command, seed_demo_command):
        app.cli.add_command(command)
