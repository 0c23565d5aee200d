"""Replies over the API: internal notes from staff only, files as multipart/form-data, and a
ticket's messages where a client never finds a note."""

import io

from portal.extensions import db
from portal.models import Attachment, TicketMessage
from tests.helpers import bearer

API = "/api/v1"


def _world(f):
    acme = f.client("ACME GmbH")
    ticket = f.ticket(acme)
    staff = bearer(f.api_token(f.user("operator", name="Olga")))
    customer = bearer(f.api_token(f.user("client", client=acme)))
    return ticket, staff, customer


def test_staff_note_is_listed_for_staff_and_never_for_the_client(client, f):
    ticket, staff, customer = _world(f)
    url = f"{API}/tickets/{ticket.id}/replies"
    note = client.post(url, json={"message": "SECRET-NOTE", "internal": True}, headers=staff)
    assert note.status_code == 201 and note.json["internal"] is True
    assert client.post(url, json={"message": "Public."}, headers=staff).status_code == 201
    detail = client.get(f"{API}/tickets/{ticket.id}", headers=staff).json
    assert [m["internal"] for m in detail["messages"]] == [False, True, False]
    assert detail["messages"][1]["author"] == "Olga" and detail["status"] == "Answered"
    seen = client.get(f"{API}/tickets/{ticket.id}", headers=customer)
    assert [m["body"] for m in seen.json["messages"]] == ["Please help.", "Public."]
    assert "SECRET-NOTE" not in seen.text
    assert "SECRET-NOTE" not in client.get(f"{API}/tickets", headers=customer).text


def test_a_client_cannot_write_a_note(client, f):
    ticket, _staff, customer = _world(f)
    url = f"{API}/tickets/{ticket.id}/replies"
    response = client.post(url, json={"message": "Hi", "internal": True}, headers=customer)
    assert response.status_code == 400 and "internal" in response.json["fields"]
    assert db.session.scalar(db.select(db.func.count(TicketMessage.id))) == 1


def test_multipart_reply_with_files_and_download(client, f):
    ticket, staff, customer = _world(f)
    response = client.post(
        f"{API}/tickets/{ticket.id}/replies",
        data={
            "message": "Log attached.",
            "attachments": [
                (io.BytesIO(b"line 1\n"), "../../logs/server.log", "text/plain"),
                (io.BytesIO(b"<b>x</b>"), "report;v2.html", "text/html"),
            ],
        },
        headers=customer,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    files = response.json["attachments"]
    assert [(a["filename"], a["size"]) for a in files] == [("server.log", 7), ("report;v2.html", 8)]
    got = client.get(f"{API}/attachments/{files[1]['id']}", headers=staff)
    assert got.status_code == 200 and got.data == b"<b>x</b>"
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in got.headers["Cache-Control"]


def test_multipart_refusals_save_nothing(client, f, app):
    ticket, staff, _customer = _world(f)
    url = f"{API}/tickets/{ticket.id}/replies"
    too_many = [(io.BytesIO(b"x"), f"f{i}.txt") for i in range(6)]
    for files, text in [
        (too_many, "at most 5"),
        ([(io.BytesIO(b""), "empty.txt")], "empty"),
    ]:
        response = client.post(
            url,
            data={"message": "Files", "attachments": files},
            headers=staff,
            content_type="multipart/form-data",
        )
        assert response.status_code == 400, response.json
        assert text in response.json["fields"]["attachments"]
    assert db.session.scalar(db.select(db.func.count(TicketMessage.id))) == 1
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0


def test_client_cannot_fetch_an_internal_notes_file_or_another_clients(client, f):
    ticket, staff, customer = _world(f)
    response = client.post(
        f"{API}/tickets/{ticket.id}/replies",
        data={
            "message": "Staff only",
            "internal": "true",
            "attachments": [(io.BytesIO(b"k"), "k")],
        },
        headers=staff,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201 and response.json["internal"] is True
    file_id = response.json["attachments"][0]["id"]
    assert client.get(f"{API}/attachments/{file_id}", headers=customer).status_code == 404
    stranger = bearer(f.api_token(f.user("client", client=f.client("Other Ltd"))))
    assert client.get(f"{API}/attachments/{file_id}", headers=stranger).status_code == 404
    assert client.get(f"{API}/attachments/{file_id}", headers=staff).status_code == 200
