"""Support Hours Portal: sell technical support by the hour."""

import os

from flask import Flask

from portal import config as config_module
from portal import transaction, web
from portal.extensions import bootstrap, csrf, db, login_manager, migrate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config: dict | None = None, *, from_environment: bool = True) -> Flask:
    """Build the application; `config` overrides what the environment says.

    With `from_environment=False` (tests, benchmarks) `config` is the whole configuration
    over the defaults, and the environment is not read at all.
    """
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.instance_path = os.environ.get("PORTAL_INSTANCE_PATH", app.instance_path)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.DEFAULTS)
    if from_environment:
        app.config.update(config_module.from_environment(app.instance_path))
    else:
        config_module.check_complete(config or {})
    app.config.update(config or {})
    register_extensions(app)
    app.url_map.converters["int"] = web.IdConverter
    register_blueprints(app)
    register_errorhandlers(app)
    transaction.init_app(app)  # one commit per request, after the view has answered
    register_template_helpers(app)
    register_commands(app)
    if app.config.get("SCHEDULER_IN_PROCESS"):
        from portal.jobs import start_in_process

        start_in_process(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions and the SQLite connection settings."""
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    bootstrap.init_app(app)
    from portal import database, i18n, security

    i18n.init_app(app)
    from portal.services.accounts.users import init_password_hasher

    init_password_hasher(app)
    security.init_app(app)

    with app.app_context():
        database.configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    database.register_request_hooks(app)


def register_blueprints(app: Flask) -> None:
    """Mount the four areas: auth, admin (staff), client and the JSON API."""
    from portal.admin import bp as admin_bp
    from portal.api import openapi
    from portal.auth import bp as auth_bp
    from portal.client import bp as client_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(client_bp, url_prefix="/client")
    openapi.init_app(app)  # the JSON API at /api/v1, with its OpenAPI document


def register_errorhandlers(app: Flask) -> None:
    """Render 403/404/405/500 as pages, or as JSON under /api/."""
    from portal import errors

    errors.register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters for money, hours and dates used by every template."""
    from portal import formatting

    formatting.register(app)


def register_commands(app: Flask) -> None:
    """Add the flask CLI commands."""
    from portal import cli

    cli.register(app)
