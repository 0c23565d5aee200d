"""Files sent with a message: checked all together, stored with the message in the same
transaction, and handed out only to who may see the message."""

import re
import unicodedata
from dataclasses import dataclass
from io import BytesIO

from flask import current_app, request, send_file
from flask_babel import gettext as _
from flask_babel import ngettext

from portal.extensions import db
from portal.models import Attachment, Ticket, TicketMessage, User
from portal.services.errors import NotFound

FILENAME_MAX = 255
# type/subtype as RFC 6838 allows them, parameters (e.g. "; charset=utf-8") dropped.
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
_CONTENT_TYPE = re.compile(rf"({_NAME})/({_NAME})")
FALLBACK_TYPE = "application/octet-stream"


@dataclass
class Upload:
    """One file as received: the name and type the sender gave, and its bytes (read up to one
    byte past the limit, so an oversized file is known without reading all of it)."""

    filename: str
    content_type: str
    data: bytes
    too_big: bool = False


def max_files() -> int:
    return current_app.config["ATTACHMENTS_PER_MESSAGE"]


def max_bytes() -> int:
    return current_app.config["ATTACHMENT_MAX_BYTES"]


def upload_limit() -> int:
    """The largest request an upload form or API call may send: every file at its largest,
    plus room for the other fields and the multipart framing."""
    return max_files() * max_bytes() + 1024 * 1024


# The views that take files; every other request keeps MAX_CONTENT_LENGTH (1 MB).
UPLOAD_ENDPOINTS = frozenset({"client.ticket", "admin.ticket_update", "api.tickets_reply"})


def allow_upload_size(endpoint: str | None, _values) -> None:
    """Raise the request size limit for the upload views only. A URL value preprocessor,
    as these run before every before_request hook, one of which already reads the form."""
    if endpoint in UPLOAD_ENDPOINTS and request.method == "POST":
        request.max_content_length = upload_limit()


def uploads_from(files) -> list[Upload]:
    """The files of a request (werkzeug FileStorage); a file input left empty sends a part
    without a name and without bytes, which is no file at all."""
    limit = max_bytes()
    uploads = []
    for storage in files or ():
        data = storage.read(limit + 1)
        storage.close()  # a large file is spooled to a temporary file: let it go now
        name = storage.filename or ""
        if not name and not data:
            continue
        uploads.append(
            Upload(name, storage.content_type or "", data[:limit], too_big=len(data) > limit)
        )
    return uploads


def upload_problem(uploads: list[Upload]) -> str | None:
    """Why these files cannot go with one message, or None."""
    if len(uploads) > max_files():
        return ngettext(
            "Attach at most %(num)d file to one message.",
            "Attach at most %(num)d files to one message.",
            max_files(),
        )
    for upload in uploads:
        name = clean_filename(upload.filename)
        if upload.too_big:
            return _(
                "%(name)s is larger than %(size)s MB.", name=name, size=max_bytes() // (1024 * 1024)
            )
        if not upload.data:
            return _("%(name)s is empty.", name=name)
    return None


def clean_filename(name: str) -> str:
    """A file name safe to store and show: the last path part, no control characters, at
    most 255 characters; nothing left gives "attachment"."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if name in ("", ".", ".."):
        return "attachment"
    if len(name) > FILENAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: FILENAME_MAX - len(ext) - 1] + "." + ext
        else:
            name = name[:FILENAME_MAX]
    return name


def clean_content_type(value: str) -> str:
    """The type as sent when it reads as type/subtype, else application/octet-stream."""
    match = _CONTENT_TYPE.fullmatch((value or "").split(";", 1)[0].strip())
    return f"{match[1]}/{match[2]}".lower() if match else FALLBACK_TYPE


def attach(message: TicketMessage, uploads: list[Upload]) -> list[Attachment]:
    """Store checked files on a message (the caller checked them with upload_problem)."""
    rows = [
        Attachment(
            filename=clean_filename(u.filename),
            content_type=clean_content_type(u.content_type),
            size=len(u.data),
            data=u.data,
        )
        for u in uploads
    ]
    message.attachments.extend(rows)
    db.session.flush()
    return rows


def attachment_for(user: User, attachment_id: int) -> Attachment:
    """An attachment: staff any; a client user one on its own client's tickets that is not on
    an internal note. Anything else is answered as an id that does not exist."""
    query = (
        db.select(Attachment)
        .join(TicketMessage, Attachment.message_id == TicketMessage.id)
        .join(Ticket, TicketMessage.ticket_id == Ticket.id)
        .where(Attachment.id == attachment_id)
    )
    if not user.is_staff:
        query = query.where(Ticket.client_id == user.client_id, TicketMessage.internal.is_(False))
    row = db.session.scalar(query)
    if row is None:
        raise NotFound(_("Attachment not found."))
    return row


def download(attachment: Attachment):
    """The file as a download: never shown inline, never sniffed, never kept by a proxy."""
    response = send_file(
        BytesIO(attachment.data),
        mimetype=FALLBACK_TYPE,
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
        etag=False,
        last_modified=None,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
