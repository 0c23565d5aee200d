"""Mail fixtures: a real SMTP server on loopback, and the app sending to it."""

import pytest

from tests.mail.smtp import SmtpServer


@pytest.fixture
def smtp(app):
    """An SMTP server the app's MAIL_URL points at, stopped after the test."""
    server = SmtpServer().start()
    app.config["MAIL_URL"] = server.url
    yield server
    server.stop()
