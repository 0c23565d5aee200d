"""Clients close their own tickets, filter them by status, and read plain statuses."""

import pytest

from portal.extensions import db
from tests.helpers import audit_rows, submit


def test_client_closes_own_ticket_and_a_reply_reopens_it(client, acme_user, f):
    ticket = f.ticket(acme_user.client, status="Answered")
    url = f"/client/tickets/{ticket.id}"
    page = client.get(url).text
    assert "Close ticket" in page and "Waiting for you" in page
    response = submit(client, url, {}, post_url=f"{url}/close")
    assert response.status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == "Closed"
    [row] = audit_rows("ticket.status")
    assert (row.user_id, row.after) == (acme_user.id, {"status": "Closed"})
    page = client.get(url).text
    assert "Ticket closed" in page and "A reply reopens it" in page
    assert "Close ticket" not in page
    # Replying reopens it, waiting for support again.
    assert submit(client, url, {"message": "Still broken."}).status_code == 302
    db.session.refresh(ticket)
    assert ticket.status == "Customer-Reply"
    assert "Waiting for support" in client.get(url).text


def test_close_without_csrf_changes_nothing(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    response = client.post(f"/client/tickets/{ticket.id}/close")
    assert response.status_code in (302, 400)
    db.session.refresh(ticket)
    assert ticket.status == "Open"


def test_client_cannot_close_another_clients_ticket(client, acme_user, f):
    ours = f.ticket(acme_user.client)
    other = f.ticket(f.client("Globex"))
    response = submit(
        client, f"/client/tickets/{ours.id}", {}, post_url=f"/client/tickets/{other.id}/close"
    )
    assert response.status_code == 404
    db.session.refresh(other)
    assert other.status == "Open"


@pytest.fixture
def mixed(f, acme_user):
    """One ticket of the client in each status."""
    for status in ("Open", "Customer-Reply", "Answered", "On Hold", "Closed"):
        f.ticket(acme_user.client, subject=f"is {status}", status=status)


@pytest.mark.parametrize(
    ("key", "subjects"),
    [
        ("support", {"is Open", "is Customer-Reply"}),
        ("you", {"is Answered"}),
        ("hold", {"is On Hold"}),
        ("closed", {"is Closed"}),
        ("bogus", {"is Open", "is Customer-Reply", "is Answered", "is On Hold", "is Closed"}),
    ],
)
def test_ticket_list_filters_by_plain_status(client, mixed, key, subjects):
    response = client.get(f"/client/tickets?status={key}")
    assert response.status_code == 200
    shown = {s for s in ("Open", "Customer-Reply", "Answered", "On Hold", "Closed")}
    shown = {f"is {s}" for s in shown if f">is {s}</td>" in response.text}
    assert shown == subjects


def test_list_shows_plain_words_not_staff_statuses(client, mixed):
    page = client.get("/client/tickets").text
    rows = page[page.index("<tbody>") : page.index("</tbody>")]
    for plain in ("Waiting for support", "Waiting for you", "On hold", "Closed"):
        assert plain in rows
    for staff_word in ("Customer-Reply", "Answered", "On Hold"):
        assert f">{staff_word}<" not in rows


def test_empty_filter_says_so(client, acme_user, f):
    f.ticket(acme_user.client)
    page = client.get("/client/tickets?status=hold").text
    assert "No tickets are “On hold”" in page


def test_billing_states_are_explained(client, acme_user, f):
    ticket = f.ticket(acme_user.client, tracking=False)
    page = client.get("/client/tickets").text
    legend = page[page.index('<dl class="small row billing-legend">') :]
    legend = legend[: legend.index("</dl>")]
    for state in ("Not tracked", "No time logged", "Open month", "Included in package"):
        assert f">{state}" in legend
    page = client.get(f"/client/tickets/{ticket.id}").text
    assert "Not tracked" in page and "never billed" in page
