"""A client never meets an internal note: not its text, not its files, on no page and in no
API answer it may read (every GET route of the access table open to client users)."""

from portal.extensions import db
from portal.models import Attachment, TicketMessage
from tests import factories
from tests.security import RoleSession, seed_world
from tests.security.routes import TABLE

NOTE = "Staff-only remark: QZX-INTERNAL-7731"
NOTE_FILE = "qzx-internal-7731.txt"


def test_a_client_sees_no_internal_note_anywhere(app):
    world = seed_world(factories)
    ticket_id = world.args["a"]["ticket_id"]
    note = TicketMessage(ticket_id=ticket_id, from_staff=True, internal=True, body=NOTE)
    note.attachments.append(
        Attachment(filename=NOTE_FILE, content_type="text/plain", size=4, data=b"note")
    )
    db.session.add(note)
    db.session.commit()
    note_file_id = note.attachments[0].id
    session = RoleSession(app, world, "client_a")
    staff = RoleSession(app, world, "operator")
    checked = 0
    for rule in app.url_map.iter_rules():
        row = TABLE.get(rule.endpoint, {}).get("GET")
        if row is None or row["client_a"].refused or "GET" not in rule.methods:
            continue
        values = world.url_values(rule, "a")
        url = app.url_map.bind("localhost").build(rule.endpoint, values)
        text = session.send(rule, "GET", url).get_data().decode("utf-8", "replace")
        assert NOTE not in text and NOTE_FILE not in text, url
        checked += 1
    assert checked >= 10
    for path in (f"/client/attachments/{note_file_id}", f"/api/v1/attachments/{note_file_id}"):
        rule = app.url_map.bind("localhost").match(path, return_rule=True)[0]
        assert session.send(rule, "GET", path).status_code == 404
    # ... while staff do see it, so the checks above look at the right place.
    rule = app.url_map.bind("localhost").match(f"/admin/tickets/{ticket_id}", return_rule=True)[0]
    assert NOTE in staff.send(rule, "GET", f"/admin/tickets/{ticket_id}").text
