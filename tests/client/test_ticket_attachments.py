"""Files on the reply forms: the client's and the staff's inline form take them, the thread
lists them with download links, and a refused file keeps nothing of the submit."""

import io

from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import Attachment, Ticket, TicketMessage, TimeEntry
from tests.helpers import AuthActions, csrf_token_from, field_error

MB = 1024 * 1024


def _post(client, url, data):
    """POST the page's form as multipart/form-data, encoded in memory (the test client's own
    encoding spools large bodies to a temporary file it leaves open)."""
    fields = MultiDict({"csrf_token": csrf_token_from(client.get(url).text)})
    for name, value in data.items():
        if isinstance(value, list):
            for stream, filename in value:
                fields.add(name, FileStorage(stream, filename=filename))
        else:
            fields.add(name, value)
    boundary, body = encode_multipart(fields)
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_client_replies_with_files_and_downloads_them(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    url = f"/client/tickets/{ticket.id}"
    page = client.get(url).text
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    files = [(io.BytesIO(b"x" * (2 * MB)), "Schaltplan Ü.pdf"), (io.BytesIO(b""), "")]
    response = _post(client, url, {"message": "Scan attached.", "attachments": files})
    assert response.status_code == 302
    [row] = db.session.scalars(db.select(Attachment)).all()
    assert (row.filename, row.size) == ("Schaltplan Ü.pdf", 2 * MB)
    page = client.get(url).text
    assert f'href="/client/attachments/{row.id}"' in page and "Schaltplan Ü.pdf" in page
    got = client.get(f"/client/attachments/{row.id}")
    assert got.status_code == 200 and len(got.data) == 2 * MB
    assert "filename*=UTF-8''Schaltplan%20%C3%9C.pdf" in got.headers["Content-Disposition"]


def test_a_refused_file_keeps_nothing(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    url = f"/client/tickets/{ticket.id}"
    files = [(io.BytesIO(b"x"), f"{i}.txt") for i in range(6)]
    response = _post(client, url, {"message": "Many.", "attachments": files})
    assert response.status_code == 422
    assert "at most 5" in field_error(response.text, "attachments")
    response = _post(client, url, {"message": "Empty.", "attachments": [(io.BytesIO(), "e.txt")]})
    assert "empty" in field_error(response.text, "attachments")
    assert db.session.scalar(db.select(db.func.count(TicketMessage.id))) == 1
    assert db.session.get(Ticket, ticket.id).status == "Open"


def test_another_clients_file_is_404(app, client, acme_user, f):
    other = f.ticket(f.client("Other Ltd"))
    file = Attachment(filename="o.txt", content_type="text/plain", size=1, data=b"o")
    other.messages[0].attachments.append(file)
    db.session.commit()
    assert client.get(f"/client/attachments/{file.id}").status_code == 404


def test_staff_note_with_a_file_and_an_oversized_file_with_time_saves_nothing(app, f):
    acme = f.client("ACME GmbH")
    ticket = f.ticket(acme)
    operator = f.user("operator")
    staff = app.test_client()
    AuthActions(staff).login(operator.email)
    url = f"/admin/tickets/{ticket.id}"
    big = [(io.BytesIO(b"x" * (10 * MB + 1)), "big.bin")]
    response = _post(staff, url, {"reply": "Big.", "hours": "1", "attachments": big})
    assert response.status_code == 422
    assert "larger than 10 MB" in field_error(response.text, "attachments")
    assert db.session.scalar(db.select(db.func.count(TimeEntry.id))) == 0
    files = [(io.BytesIO(b"secret"), "note.txt")]
    response = _post(staff, url, {"reply": "Note.", "internal": "y", "attachments": files})
    assert response.status_code == 302
    [row] = db.session.scalars(db.select(Attachment)).all()
    assert row.message.internal and staff.get(f"/admin/attachments/{row.id}").data == b"secret"
    customer = app.test_client()
    AuthActions(customer).login(f.user("client", client=acme).email)
    assert customer.get(f"/client/attachments/{row.id}").status_code == 404
    assert "note.txt" not in customer.get(url.replace("/admin/", "/client/")).text
