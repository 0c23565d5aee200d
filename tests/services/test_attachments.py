"""The attachments service: names and types cleaned, limits checked before anything is
written, the download always a file to save, never a page to show."""

import io

import pytest
from werkzeug.datastructures import FileStorage

from portal.extensions import db
from portal.models import Attachment, TicketMessage
from portal.services.errors import ValidationFailed
from portal.services.tickets.attachments import (
    Upload,
    clean_content_type,
    clean_filename,
    download,
    uploads_from,
)
from portal.services.tickets.conversation import add_reply

MB = 1024 * 1024


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("../../x", "x"),
        ("..\\..\\windows\\evil.exe", "evil.exe"),
        ('a"b;.html', 'a"b;.html'),
        ("Prüfbericht 東京.pdf", "Prüfbericht 東京.pdf"),
        ("line\nbreak\x00\x1b.txt", "linebreak.txt"),
        ("", "attachment"),
        ("../", "attachment"),
        ("..", "attachment"),
        ("\u202eexe.txt", "exe.txt"),
    ],
)
def test_filenames_are_cleaned(sent, stored):
    assert clean_filename(sent) == stored


def test_long_names_keep_their_extension_within_255_characters():
    name = clean_filename("ü" * 300 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")
    assert len(clean_filename("é" * 300)) == 255


@pytest.mark.parametrize(
    "sent, stored",
    [
        ("text/plain", "text/plain"),
        ("Image/PNG", "image/png"),
        ("text/html; charset=utf-8", "text/html"),
        ("", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
        ("text/plain\r\nX-Evil: 1", "application/octet-stream"),
        ("a/b/c", "application/octet-stream"),
    ],
)
def test_content_types_are_kept_only_when_they_parse(sent, stored):
    assert clean_content_type(sent) == stored


def _files(*items):
    return [
        FileStorage(io.BytesIO(data), filename=name, content_type="text/plain")
        for name, data in items
    ]


def test_an_empty_file_input_is_no_file_but_a_named_empty_file_is(app):
    with app.test_request_context():
        assert uploads_from(_files(("", b""))) == []
        [upload] = uploads_from(_files(("a.txt", b"")))
        assert upload.data == b"" and not upload.too_big


def _refused(app, f, uploads) -> str:
    ticket = f.ticket(f.client("ACME GmbH"))
    with app.test_request_context():
        with pytest.raises(ValidationFailed) as refused:
            add_reply(ticket, f.user("operator"), "See files.", uploads=uploads)
        db.session.rollback()
    count = db.select(db.func.count(TicketMessage.id)).filter_by(ticket_id=ticket.id)
    assert db.session.scalar(count) == 1
    assert db.session.scalar(db.select(db.func.count(Attachment.id))) == 0
    return refused.value.fields["attachments"]


def test_empty_too_big_and_too_many_are_refused_and_nothing_is_saved(app, f):
    assert "empty" in _refused(app, f, [Upload("zero.bin", "", b"")])
    with app.test_request_context():
        [big] = uploads_from(_files(("big.bin", b"x" * (11 * MB))))
    assert big.too_big and len(big.data) == 10 * MB
    assert "larger than 10 MB" in _refused(app, f, [big])
    six = [Upload(f"{i}.txt", "text/plain", b"x") for i in range(6)]
    assert "at most 5" in _refused(app, f, six)


def test_a_file_at_the_limit_is_kept_with_its_message(app, f):
    ticket = f.ticket(f.client("ACME GmbH"))
    with app.test_request_context():
        message = add_reply(
            ticket, f.user("operator"), "Dump.", uploads=[Upload("d.bin", "x/y", b"\1" * (10 * MB))]
        )
        db.session.commit()
    [row] = message.attachments
    assert (row.size, row.content_type, row.filename) == (10 * MB, "x/y", "d.bin")


@pytest.mark.parametrize("name", ['a"b;.html', "東京" * 100, "x" * 200 + "\u00e9.txt"])
def test_download_headers_are_a_safe_attachment(app, f, name):
    ticket = f.ticket(f.client("ACME GmbH"))
    with app.test_request_context():
        message = add_reply(
            ticket, f.user("operator"), "File.", uploads=[Upload(name, "text/html", b"<b>")]
        )
        [row] = message.attachments
        response = download(row)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert response.mimetype == "application/octet-stream"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    if not name.isascii():
        assert "filename*=UTF-8''" in disposition
    if '"' in name:  # the quote cannot end the quoted name early
        assert 'filename="a\\"b;.html"' in disposition or "filename*=" in disposition
