"""Client ticket pages: list, open, reply, time entries; never another client's ticket."""

import pytest

from portal.extensions import db
from portal.models import Ticket, TicketMessage
from portal.services.settings import business_today
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import submit


def test_ticket_list_shows_number_subject_update_hours_and_billing_state(client, acme_user, f):
    acme = acme_user.client
    plan = f.plan("Standard")
    f.subscription(acme, plan, business_today().replace(day=1))
    tracked = f.ticket(acme, subject="Mail down")
    untracked = f.ticket(acme, subject="Password reset", tracking=False)
    empty = f.ticket(acme, subject="Question")
    operator = f.user("operator", name="Olga")
    log_time(tracked, operator, TimeInput(105, business_today(), "Fix"))
    db.session.commit()
    page = client.get("/client/tickets").text
    for ticket, hours, state in [
        (tracked, "1:45", "Open month"),
        (untracked, "—", "Not tracked"),
        (empty, "0:00", "No time logged"),
    ]:
        row = page[page.index(ticket.display_number) :]
        row = row[: row.index("</tr>")]
        assert ticket.subject in row and hours in row and state in row
        assert len(ticket.number) == 6 and f"#{ticket.number}" in row


def test_non_billable_time_is_listed_but_marked(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    log_time(ticket, f.user("operator"), TimeInput(30, business_today(), "Goodwill", False))
    db.session.commit()
    assert "Not billable" in client.get("/client/tickets").text
    assert "not billed" in client.get(f"/client/tickets/{ticket.id}").text


def test_ticket_page_lists_entries_with_date_hours_note_and_staff_name(client, acme_user, f):
    acme = acme_user.client
    f.subscription(acme, f.plan(), business_today().replace(day=1))
    ticket = f.ticket(acme)
    log_time(
        ticket,
        f.user("operator", name="Olga Operator"),
        TimeInput(90, business_today(), "Fixed DNS"),
    )
    db.session.commit()
    page = client.get(f"/client/tickets/{ticket.id}").text
    assert business_today().isoformat() in page
    assert "1:30" in page and "Fixed DNS" in page and "Olga Operator" in page


def test_client_opens_a_ticket(client, acme_user):
    response = submit(
        client,
        "/client/tickets/new",
        {
            "subject": "Website slow",
            "department": "Hosting",
            "priority": "High",
            "message": "Since this morning.",
        },
    )
    assert response.status_code == 302
    ticket = db.session.scalar(db.select(Ticket))
    assert (ticket.client_id, ticket.status, ticket.time_tracking) == (
        acme_user.client_id,
        "Open",
        True,
    )
    assert "Website slow" in client.get(response.headers["Location"]).text


def test_new_ticket_errors_per_field_and_input_kept(client, acme_user):
    response = submit(
        client, "/client/tickets/new", {"subject": "", "message": "", "department": "Nope"}
    )
    assert response.status_code == 422
    assert 'id="subject-error"' in response.text and 'id="message-error"' in response.text
    assert 'id="department-error"' in response.text
    assert db.session.scalar(db.select(db.func.count(Ticket.id))) == 0


def test_client_reply_sets_customer_reply(client, acme_user, f):
    ticket = f.ticket(acme_user.client, status="Answered")
    url = f"/client/tickets/{ticket.id}"
    response = submit(client, url, {"message": "Still broken."})
    assert response.status_code == 302
    assert ticket.status == "Customer-Reply"
    assert "Still broken." in client.get(url).text


def test_empty_reply_is_refused(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    response = submit(client, f"/client/tickets/{ticket.id}", {"message": "  "})
    assert response.status_code == 422
    assert 'id="message-error"' in response.text
    assert db.session.scalar(db.select(db.func.count(TicketMessage.id))) == 1


def test_message_html_is_escaped(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    submit(client, f"/client/tickets/{ticket.id}", {"message": "<script>alert(1)</script>"})
    page = client.get(f"/client/tickets/{ticket.id}").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_client_sees_only_own_tickets_in_list(client, acme_user, f):
    f.ticket(acme_user.client, subject="Ours")
    f.ticket(f.client("Globex"), subject="Theirs")
    page = client.get("/client/tickets").text
    assert "Ours" in page and "Theirs" not in page


@pytest.mark.parametrize("method", ["get", "post"])
def test_other_clients_ticket_is_404_without_data(client, acme_user, f, method):
    other = f.ticket(f.client("Globex"), subject="Globex secret subject")
    response = getattr(client, method)(f"/client/tickets/{other.id}", data={"message": "hi"})
    assert response.status_code == 404 if method == "get" else response.status_code in (400, 404)
    assert "Globex secret subject" not in response.text


def test_other_clients_ticket_reply_with_valid_csrf_is_404(client, acme_user, f):
    ours = f.ticket(acme_user.client)
    other = f.ticket(f.client("Globex"))
    response = submit(
        client,
        f"/client/tickets/{ours.id}",
        {"message": "sneaky"},
        post_url=f"/client/tickets/{other.id}",
    )
    assert response.status_code == 404
    assert db.session.scalar(db.select(db.func.count(TicketMessage.id))) == 2


def test_client_cannot_reach_staff_ticket_pages(client, acme_user, f):
    ticket = f.ticket(acme_user.client)
    assert client.get(f"/admin/tickets/{ticket.id}").status_code == 403


def test_unknown_ticket_is_404(client, acme_user):
    assert client.get("/client/tickets/999999").status_code == 404


def test_billing_state_after_the_close(client, acme_user, f):
    from datetime import date

    from portal.services.billing.close import close_period
    from portal.services.billing.payments import mark_paid
    from portal.services.settings import save_settings

    acme = acme_user.client
    f.subscription(acme, f.plan("Standard", hours=1), date(2026, 8, 1))
    operator = f.user("operator")
    within = f.ticket(acme, subject="Within package")
    beyond = f.ticket(acme, subject="Beyond package")
    log_time(within, operator, TimeInput(60, date(2026, 8, 10)))  # August: 1 h of 1 h
    log_time(beyond, operator, TimeInput(120, date(2026, 9, 10)))  # September: 2 h of 1 h
    save_settings({"invoice_on_close": False})
    close_period("2026-08")
    close_period("2026-09")
    db.session.commit()

    def state(ticket):
        page = client.get("/client/tickets").text
        row = page[page.index(ticket.display_number) :]
        return row[: row.index("</tr>")]

    assert "Included in package" in state(within)
    assert "Billed, not yet invoiced" in state(beyond)

    from portal.services.billing.invoices import invoice_uninvoiced

    invoices = invoice_uninvoiced(operator)
    db.session.commit()
    september = next(i for i in invoices if i.period.period == "2026-09")
    assert f"Invoiced {september.number} — Unpaid" in state(beyond)
    mark_paid(september, f.user("admin"))
    db.session.commit()
    assert f"Invoiced {september.number} — Paid" in state(beyond)
    assert "Included in package" in state(within)


def test_another_clients_ticket_gets_the_very_page_of_a_ticket_that_does_not_exist(
    client, acme_user, f
):
    other = f.ticket(f.client("Globex"), subject="Globex secret subject")
    theirs = client.get(f"/client/tickets/{other.id}")
    missing = client.get("/client/tickets/999999")
    no_id = client.get("/client/tickets/0")  # refused by the URL itself, as abort(404) does
    assert (theirs.status_code, missing.status_code, no_id.status_code) == (404, 404, 404)
    assert theirs.text == missing.text == no_id.text and "Not found" in theirs.text
