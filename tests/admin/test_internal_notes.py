"""Internal notes: staff write them in the inline form, see them apart, and no client page
shows them; a note is no answer, so the status stays unless the operator picks one."""

from portal.extensions import db
from portal.models import Ticket, TicketMessage
from tests.helpers import AuthActions, submit


def _note(client, ticket, text, **extra):
    url = f"/admin/tickets/{ticket.id}"
    return submit(client, url, {"reply": text, "internal": "y", **extra})


def test_operator_adds_an_internal_note_that_leaves_the_status(client, operator, f):
    ticket = f.ticket(f.client("ACME GmbH"))
    response = _note(client, ticket, "Customer is on the old plan, check billing.")
    assert response.status_code == 302
    message = db.session.scalars(db.select(TicketMessage).filter_by(internal=True)).one()
    assert message.from_staff and message.body.startswith("Customer is on")
    assert db.session.get(Ticket, ticket.id).status == "Open"
    page = client.get(response.headers["Location"]).text
    assert "internal note added" in page
    card = page[page.index("Internal note</span>") - 300 : page.index("Customer is on")]
    assert "internal-note" in card


def test_a_note_with_a_chosen_status_sets_it(client, operator, f):
    ticket = f.ticket(f.client("ACME GmbH"))
    assert _note(client, ticket, "Waiting on vendor.", status="On Hold").status_code == 302
    assert db.session.get(Ticket, ticket.id).status == "On Hold"


def test_a_plain_reply_still_answers(client, operator, f):
    ticket = f.ticket(f.client("ACME GmbH"))
    url = f"/admin/tickets/{ticket.id}"
    assert submit(client, url, {"reply": "Fixed."}).status_code == 302
    assert db.session.get(Ticket, ticket.id).status == "Answered"
    assert not db.session.scalar(db.select(TicketMessage.internal).filter_by(body="Fixed."))


def test_the_client_page_never_shows_the_note(app, client, operator, f):
    acme = f.client("ACME GmbH")
    ticket = f.ticket(acme)
    _note(client, ticket, "SECRET-NOTE-TEXT")
    submit(client, f"/admin/tickets/{ticket.id}", {"reply": "Public answer."})
    customer = f.user("client", client=acme)
    other = app.test_client()
    assert AuthActions(other).login(customer.email).status_code == 302
    for url in ("/client/", "/client/tickets", f"/client/tickets/{ticket.id}"):
        page = other.get(url).text
        assert "SECRET-NOTE-TEXT" not in page and "Internal note" not in page
    assert "Public answer." in other.get(f"/client/tickets/{ticket.id}").text
