"""The SMTP transport over TLS: STARTTLS with a login on the submission port's terms, and
implicit TLS (smtps://), against aiosmtpd with a certificate made for the test and trusted
through SSL_CERT_FILE (the transport verifies certificates; nothing is switched off)."""

import ssl
import subprocess

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from portal.services.mail.sender import deliver_due
from portal.services.mail.transport import describe
from tests.mail.smtp import SmtpServer
from tests.mail.test_sender import only, write

LOGIN, PASSWORD = "portal", "s3cret p@ss"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and its key (openssl, Debian's)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def authenticator(logins: list):
    """Accept LOGIN/PASSWORD only; remember every attempt."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (LOGIN, PASSWORD)
        logins.append(ok)
        # handled=False: aiosmtpd answers 535 itself (its default leaves the client waiting)
        return AuthResult(success=ok, handled=False)

    return check


@pytest.fixture
def trusted(certificate, monkeypatch):
    """The transport's default context trusts the test certificate (and nothing is relaxed)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


@pytest.fixture
def submission(certificate):
    """A submission server: STARTTLS required, then a login; (server, login attempts)."""
    logins = []
    server = SmtpServer(
        tls_context=server_context(certificate),
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator(logins),
    ).start()
    yield server, logins
    server.stop()


def test_starttls_with_login_delivers(app, submission, trusted):
    server, logins = submission
    app.config["MAIL_URL"] = f"smtp://{LOGIN}:s3cret%20p%40ss@127.0.0.1:{server.port}?starttls=true"
    write()
    assert len(deliver_due().sent) == 1
    assert logins == [True] and len(server.received) == 1
    assert describe(app.config["MAIL_URL"]) == f"smtp://{LOGIN}@127.0.0.1:{server.port}"


def test_a_wrong_password_is_retried_not_lost(app, submission, trusted):
    server, logins = submission
    app.config["MAIL_URL"] = f"smtp://{LOGIN}:wrong@127.0.0.1:{server.port}?starttls=true"
    write()
    assert len(deliver_due().retrying) == 1
    row = only()
    assert row.status == "queued" and "login refused" in row.last_error
    assert server.received == [] and logins and not any(logins)


def test_implicit_tls_delivers(app, certificate, trusted):
    server = SmtpServer("smtps", ssl_context=server_context(certificate)).start()
    try:
        app.config["MAIL_URL"] = server.url
        write()
        assert len(deliver_due().sent) == 1 and len(server.received) == 1
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused_and_retried(app, certificate):
    server = SmtpServer("smtps", ssl_context=server_context(certificate)).start()
    try:
        app.config["MAIL_URL"] = server.url  # SSL_CERT_FILE not set: the cert is unknown
        write()
        assert len(deliver_due().retrying) == 1
        assert "CERTIFICATE_VERIFY_FAILED" in only().last_error
        assert server.received == []
    finally:
        server.stop()
