"""Where mail goes, from MAIL_URL: an SMTP server (STARTTLS or implicit TLS, with login),
or a folder of .eml files. One transport object is one connection, reused for a batch."""

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

SMTP_TIMEOUT_SECONDS = 30


class MailURLError(ValueError):
    """MAIL_URL cannot be understood."""


class TemporaryFailure(Exception):
    """The server could not take the message now (no connection, a 4xx answer): retry."""


class ConnectionFailure(TemporaryFailure):
    """The server could not be reached or lost the connection: no message of the batch can go."""


class PermanentFailure(Exception):
    """The server refused the message for good (a 5xx answer): retrying will not help."""


def mail_url() -> str:
    """MAIL_URL, or the file transport into the instance folder when it is not set."""
    return current_app.config.get("MAIL_URL") or (Path(current_app.instance_path) / "mail").as_uri()


def describe(url: str) -> str:
    """Where mail goes, for people: the URL without its password."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return f"files in {unquote(parts.path)}"
    host = parts.hostname or "localhost"
    user = f"{unquote(parts.username)}@" if parts.username else ""
    return f"{parts.scheme}://{user}{host}:{parts.port or _default_port(parts.scheme)}"


def _default_port(scheme: str) -> int:
    return 465 if scheme == "smtps" else 587


def open_transport(url: str | None = None):
    """A transport for MAIL_URL; use it as a context manager around a batch of sends."""
    url = url or mail_url()
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileTransport(Path(unquote(parts.path)))
    if parts.scheme in ("smtp", "smtps"):
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        return SmtpTransport(
            host=parts.hostname or "localhost",
            port=parts.port or _default_port(parts.scheme),
            implicit_tls=parts.scheme == "smtps",
            starttls=starttls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )
    raise MailURLError(f"MAIL_URL must start with smtp://, smtps:// or file://, not {url!r}")


class FileTransport:
    """Each message written whole as `<outbox id>.eml` into a folder (made when missing)."""

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message: EmailMessage, name: str) -> None:
        """Write the message atomically: a reader never sees half a file."""
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.as_bytes())
        os.replace(temporary, self.folder / f"{name}.eml")


class SmtpTransport:
    """One SMTP connection (smtplib), opened on the first send and closed with the batch."""

    def __init__(self, host, port, implicit_tls, starttls, username, password):
        self.host, self.port = host, port
        self.implicit_tls, self.starttls = implicit_tls, starttls
        self.username, self.password = username, password
        self.connection: smtplib.SMTP | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        connection = None
        try:
            if self.implicit_tls:
                connection = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS, context=context
                )
            else:
                connection = smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT_SECONDS)
                if self.starttls:
                    connection.starttls(context=context)
            if self.username:
                connection.login(self.username, self.password or "")
        except (OSError, smtplib.SMTPException) as exc:
            if connection is not None:
                connection.close()  # half-open (TLS or login refused): let nothing linger
            raise ConnectionFailure(self._why(exc)) from exc
        return connection

    def _why(self, exc: Exception) -> str:
        """A connection failure in words for the email log (never the password)."""
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return f"login refused: {exc.smtp_code} {_text(exc.smtp_error)}"
        if isinstance(exc, smtplib.SMTPResponseException):
            return f"{exc.smtp_code} {_text(exc.smtp_error)}"
        return f"cannot connect to {self.host}:{self.port}: {exc}"

    def send(self, message: EmailMessage, name: str) -> None:
        """Hand one message to the server; raise Temporary/PermanentFailure when it will not."""
        if self.connection is None:
            self.connection = self._connect()
        try:
            refused = self.connection.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _failure(exc.recipients) from exc
        except smtplib.SMTPNotSupportedError as exc:  # an address only SMTPUTF8 can carry
            raise PermanentFailure(f"the server cannot take this message: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # the server is closing the connection
                self.close()
                raise ConnectionFailure(f"421 {_text(exc.smtp_error)}") from exc
            if exc.smtp_code < 500:
                raise TemporaryFailure(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
            raise PermanentFailure(f"{exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise ConnectionFailure(f"connection lost: {exc}") from exc
        if refused:  # some recipients took it: the message went; say who did not
            current_app.logger.warning("%s: recipients refused: %s", name, refused)

    def close(self) -> None:
        """End the connection politely if it is still up."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None


def _failure(recipients: dict) -> Exception:
    """Every recipient refused: permanent when every refusal was 5xx, else worth a retry."""
    text = "; ".join(f"{who}: {code} {_text(why)}" for who, (code, why) in recipients.items())
    if all(code >= 500 for code, _why in recipients.values()):
        return PermanentFailure(text)
    return TemporaryFailure(text)


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
