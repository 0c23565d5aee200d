"""Settings read from the environment; tests pass a whole mapping of their own to create_app()."""

import os
import re
import secrets
from pathlib import Path

_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def _bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_secret_key(instance_path: str, https: bool = False) -> str:
    """Return SECRET_KEY from the environment, or one generated once into the instance folder.

    The generated key is written with mode 0600 and shared by every process that uses the
    same instance folder, so several workers accept each other's sessions. That suits the
    embedded local set-up only: a production start (HTTPS) without SECRET_KEY is refused.
    """
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if https:
        raise ValueError(
            "SECRET_KEY must be set in the environment when PORTAL_HTTPS is on: a production "
            "start does not generate one. Give every web process and the scheduler the same "
            "key, e.g. from python3 -c 'import secrets; print(secrets.token_urlsafe(48))'."
        )
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    candidate = secrets.token_urlsafe(48)
    try:
        # O_EXCL: when two processes start at once, exactly one writes and both read its key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(candidate)
    return candidate


def _int(name: str, default: int, minimum: int = 0, what: str = "a whole number") -> int:
    """Read an integer environment variable of at least `minimum`; anything else stops the
    start with a message naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not _DIGITS.fullmatch(value) or int(value) < minimum:  # isdigit() would take "²", "١٥"
        raise ValueError(f"{name} must be {what}, not {value!r}")
    return int(value)


def _minutes(name: str, default: int) -> int:
    """A timeout in minutes, from 1: with 0 every session would end at its next request."""
    return _int(name, default, minimum=1, what="a whole number of minutes from 1 up")


def engine_options(url: str) -> dict:
    """Connection pool per process (PostgreSQL): each request thread holds one connection.

    Keep workers × (DATABASE_POOL_SIZE + DATABASE_MAX_OVERFLOW) below the server's
    max_connections. pool_pre_ping replaces connections the server dropped. SQLite keeps
    SQLAlchemy's defaults.
    """
    if not url.startswith("postgresql"):
        return {}
    return {
        "pool_size": _int("DATABASE_POOL_SIZE", 5),
        "max_overflow": _int("DATABASE_MAX_OVERFLOW", 10),
        "pool_pre_ping": True,
    }


def https_cookies() -> dict:
    """Cookie settings when the portal is served over HTTPS.

    The ``__Host-`` prefix makes browsers accept the cookie only when it is Secure, has path
    "/" and no Domain, so no sibling subdomain can plant or overwrite it.
    """
    return {
        "SESSION_COOKIE_NAME": "__Host-session",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_PATH": "/",
        "SESSION_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_SECURE": True,
    }


def default_database_url(instance_path: str) -> str:
    """SQLite file in the instance folder: the embedded default."""
    return "sqlite:///" + str(Path(instance_path) / "portal.sqlite3")


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres:// and postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def from_environment(instance_path: str) -> dict:
    """Build the configuration mapping from environment variables."""
    https = _bool("PORTAL_HTTPS")
    cookies = https_cookies() if https else {}
    database_url = normalise_database_url(
        os.environ.get("DATABASE_URL") or default_database_url(instance_path)
    )
    return {
        **cookies,
        "HTTPS": https,
        "SESSION_IDLE_MINUTES": _minutes("PORTAL_SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_AGE_MINUTES": _minutes("PORTAL_SESSION_MAX_AGE_MINUTES", 12 * 60),
        "PROXY_FIX_HOPS": _int("PORTAL_PROXY_HOPS", 0),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(database_url),
        "SECRET_KEY": load_secret_key(instance_path, https),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "SQLITE_BUSY_TIMEOUT_MS": int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "5000")),
        # Only the single-process embedded set-up (`make run`) runs the close job in-process.
        "SCHEDULER_IN_PROCESS": _bool("PORTAL_SCHEDULER_IN_PROCESS"),
        # Mail (SPEC "Mail"): unset MAIL_URL = .eml files in the instance folder.
        "MAIL_URL": _mail_url(),
        "MAIL_FROM": os.environ.get("MAIL_FROM", DEFAULTS["MAIL_FROM"]),
        "PORTAL_BASE_URL": _base_url(https),
        "MAIL_BATCH_SIZE": _int("MAIL_BATCH_SIZE", DEFAULTS["MAIL_BATCH_SIZE"], minimum=1),
        "MAIL_LEASE_SECONDS": _int("MAIL_LEASE_SECONDS", DEFAULTS["MAIL_LEASE_SECONDS"], minimum=1),
    }


def _base_url(https: bool) -> str:
    """PORTAL_BASE_URL; a production start (PORTAL_HTTPS) without it is refused, or every
    link in mail (password resets, invitations, invoices) would point at 127.0.0.1."""
    value = os.environ.get("PORTAL_BASE_URL", "").strip()
    if https and not value:
        raise ValueError(
            "PORTAL_BASE_URL must be set with PORTAL_HTTPS: the address links in mail point to"
        )
    return value or DEFAULTS["PORTAL_BASE_URL"]


def _mail_url() -> str | None:
    """MAIL_URL, checked at start: a typo stops the start instead of queueing mail forever."""
    value = os.environ.get("MAIL_URL", "").strip()
    if value and not value.startswith(("smtp://", "smtps://", "file://")):
        raise ValueError("MAIL_URL must start with smtp://, smtps:// or file://")
    return value or None


# What a configuration handed over whole (create_app(..., from_environment=False)) must hold.
REQUIRED = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI")


def check_complete(config: dict) -> None:
    """Refuse a configuration handed over whole that lacks a secret key or a database."""
    missing = [key for key in REQUIRED if not config.get(key)]
    if missing:
        raise ValueError(
            "A configuration given without the environment needs " + " and ".join(missing) + "."
        )


DEFAULTS = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "BOOTSTRAP_SERVE_LOCAL": True,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "HTTPS": False,
    # ASVS level 2: log out after 30 idle minutes and 12 hours after login at the latest.
    "SESSION_IDLE_MINUTES": 30,
    "SESSION_MAX_AGE_MINUTES": 12 * 60,
    "PROXY_FIX_HOPS": 0,
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # Failed logins allowed per client address and per email address.
    "LOGIN_LIMITS": "10 per minute; 100 per hour",
    "LOGIN_LIMITS_PER_ACCOUNT": "5 per minute; 30 per hour",
    # "Forgot password?" requests (every one counts) per client address and per email asked.
    "PASSWORD_RESET_LIMITS": "5 per minute; 20 per hour",
    "PASSWORD_RESET_LIMITS_PER_ACCOUNT": "3 per hour; 10 per day",
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    "PAGE_SIZE": 25,
    # No form or API body without files comes near this; larger requests get 413.
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Files sent with a ticket message: the largest file, and how many a message may carry.
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENTS_PER_MESSAGE": 5,
    # Where mail goes (smtp://, smtps://, file://), who it is from, where its links point.
    "MAIL_URL": None,
    "MAIL_FROM": "Support Hours Portal <support@localhost>",
    "PORTAL_BASE_URL": "http://127.0.0.1:5000",
    # Messages a sender takes at once (one SMTP connection), and how long it holds them.
    "MAIL_BATCH_SIZE": 50,
    "MAIL_LEASE_SECONDS": 300,
}
