"""Request size against the real server: only the upload routes take more than 1 MB, and a
body over the limit is answered with a 413 page (or JSON error), never a reset connection."""

import http.client

from portal.extensions import db
from portal.services.tickets.attachments import upload_limit
from tests.helpers import bearer
from tests.live import serving

MB = 1024 * 1024


def _post(port: int, path: str, size: int, headers: dict) -> tuple[int, str, str]:
    """POST a body of `size` bytes in pieces, as a browser would, and read the answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    boundary = "limitboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nBig file\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
        'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    filler = size - len(head) - len(tail)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(size))
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    connection.send(head)
    chunk = b"x" * MB
    while filler > 0:
        connection.send(chunk[: min(filler, MB)])
        filler -= MB
    connection.send(tail)
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, response.getheader("Content-Type", ""), body


def test_a_page_form_over_one_megabyte_gets_the_413_page(app):
    with serving(app) as port:
        status, kind, body = _post(port, "/login", 3 * MB, {})
    assert status == 413 and kind.startswith("text/html")
    assert "413" in body and "</html>" in body


def test_the_api_upload_route_takes_more_than_one_megabyte_and_answers_413_past_its_limit(app, f):
    ticket = f.ticket(f.client("ACME GmbH"))
    token = bearer(f.api_token(f.user("operator")))
    path = f"/api/v1/tickets/{ticket.id}/replies"
    db.session.commit()  # end the test's read: the server's request writes
    with serving(app) as port:
        # 11 MB: under the request limit, over the file limit: the field message.
        status, _kind, body = _post(port, path, 11 * MB, token)
        assert status == 400 and "larger than 10 MB" in body
        status, kind, body = _post(port, path, upload_limit() + MB, token)
    assert status == 413 and kind.startswith("application/json")
    assert "payload_too_large" in body
