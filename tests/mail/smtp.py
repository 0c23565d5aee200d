"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can be told to
answer with an error, for the sender's tests."""

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the server took it: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Handler:
    """aiosmtpd's handler: keeps messages, or answers DATA / RCPT with a set error."""

    received: list[Received] = field(default_factory=list)
    data_answer: str | None = None  # e.g. "451 4.3.0 Try again later"
    rcpt_answer: str | None = None  # e.g. "550 5.1.1 No such user"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        """Take the recipient unless told to refuse it."""
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        """Keep the message unless told to refuse it."""
        if self.data_answer:
            return self.data_answer
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


def free_port() -> int:
    """A loopback port nobody listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """An aiosmtpd server in its own thread, on a free loopback port; `**options` go to
    aiosmtpd (tls_context for STARTTLS, ssl_context for implicit TLS, an authenticator)."""

    def __init__(self, scheme: str = "smtp", **options):
        self.handler = Handler()
        self.port = free_port()
        self.scheme = scheme
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        """The MAIL_URL that reaches this server."""
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        """What the server accepted so far."""
        return self.handler.received

    def start(self) -> "SmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
