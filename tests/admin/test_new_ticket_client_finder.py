"""Opening a ticket for one of thousands of clients: found by name, nothing typed lost."""

import re

import pytest

from portal.extensions import db
from portal.models import Ticket
from tests.helpers import count, submit

URL = "/admin/tickets/new"
TYPED = {
    "subject": "Phone call: mail bounces",
    "department": "Support",
    "priority": "High",
    "message": "Client called about bounced mail.",
    "time_tracking": "y",
}


@pytest.fixture
def clients(f):
    """ACME GmbH among 25 clients whose names share "Northwind"."""
    acme = f.client("ACME GmbH")
    northwind = [f.client(f"Northwind {n:02d}") for n in range(25)]
    return {"acme": acme, "northwind": northwind}


def offered(page: str) -> dict[str, bool]:
    """Client radio buttons on the page: value -> checked."""
    radios = re.findall(r'<input[^>]*name="client"[^>]*type="radio"[^>]*>', page)
    radios += re.findall(r'<input[^>]*type="radio"[^>]*name="client"[^>]*>', page)
    return {re.search(r'value="([^"]*)"', r).group(1): "checked" in r for r in set(radios)}


def test_the_form_lists_no_clients_until_the_operator_searches(client, operator, clients):
    page = client.get(URL).text
    assert offered(page) == {}
    assert "Northwind" not in page and "ACME GmbH" not in page
    assert "No client chosen yet" in page


def test_find_keeps_what_was_typed_and_preselects_a_single_match(client, operator, clients):
    response = submit(client, URL, {**TYPED, "client_name": "acme", "find": "Find"})
    assert response.status_code == 200
    acme = clients["acme"]
    assert offered(response.text) == {str(acme.id): True}
    assert 'value="Phone call: mail bounces"' in response.text
    assert "Client called about bounced mail." in response.text
    assert count(Ticket) == 0  # finding opens nothing


def test_many_matches_show_the_first_twenty_by_name(client, operator, clients):
    response = submit(client, URL, {"client_name": "NORTH", "find": "Find"})
    shown = offered(response.text)
    names = [c.name for c in clients["northwind"]]
    assert len(shown) == 20 and not any(shown.values())
    assert all(name in response.text for name in names[:20])
    assert names[20] not in response.text
    assert "Showing the first 20 matches" in response.text


def test_no_match_says_so(client, operator, clients):
    response = submit(client, URL, {"client_name": "Initech", "find": "Find"})
    assert offered(response.text) == {}
    assert "No client's name contains “Initech”" in response.text


def test_a_found_client_gets_the_ticket(client, operator, clients):
    acme = clients["acme"]
    response = submit(client, URL, {**TYPED, "client": str(acme.id), "submit": "Open ticket"})
    assert response.status_code == 302
    ticket = db.session.scalar(db.select(Ticket))
    assert (ticket.client_id, ticket.subject) == (acme.id, TYPED["subject"])


def test_the_client_page_links_to_the_form_with_the_client_chosen(client, operator, clients):
    acme = clients["acme"]
    page = client.get(f"/admin/clients/{acme.id}").text
    assert f'href="{URL}?client_id={acme.id}"' in page
    assert offered(client.get(f"{URL}?client_id={acme.id}").text) == {str(acme.id): True}


@pytest.mark.parametrize("value", ["", "999999", "abc", "9" * 5000, "-1", str(2**63)])
def test_a_client_not_offered_is_refused_with_nothing_lost(client, operator, clients, value):
    response = submit(client, URL, {**TYPED, "client": value, "submit": "Open ticket"})
    assert response.status_code == 422
    assert 'id="client-error"' in response.text
    assert "Choose a client: find it by name above." in response.text
    assert 'value="Phone call: mail bounces"' in response.text
    assert count(Ticket) == 0


def test_a_name_typed_but_not_searched_chooses_nobody(client, operator, clients):
    """Open ticket with a name that matches one client, but no Find and no choice."""
    response = submit(client, URL, {**TYPED, "client_name": "ACME", "submit": "Open ticket"})
    assert response.status_code == 422
    assert 'id="client-error"' in response.text
    assert count(Ticket) == 0


def test_a_chosen_client_stays_offered_when_a_new_search_finds_nothing(client, operator, clients):
    acme = clients["acme"]
    response = submit(
        client, URL, {**TYPED, "client": str(acme.id), "client_name": "Initech", "find": "Find"}
    )
    assert offered(response.text) == {str(acme.id): True}
    assert "No client's name contains “Initech”" in response.text


@pytest.mark.parametrize("button", ["find", "submit"])
def test_a_huge_name_is_no_server_error(client, operator, clients, button):
    name = "acme" + "x" * 60_000
    response = submit(client, URL, {**TYPED, "client_name": name, button: "1"})
    assert response.status_code == (200 if button == "find" else 422)
    assert count(Ticket) == 0
    if button == "submit":
        assert 'id="client_name-error"' in response.text


def test_errors_on_the_client_are_tied_to_its_radios(client, operator, clients):
    """Matches shown with an error: each radio points at the message, the first has focus."""
    response = submit(
        client, URL, {**TYPED, "client_name": "north", "client": "999999", "submit": "1"}
    )
    assert response.status_code == 422
    radios = re.findall(r'<input[^>]*type="radio"[^>]*>', response.text)
    assert len(radios) == 20
    for radio in radios:
        assert 'aria-describedby="client-error"' in radio and 'aria-invalid="true"' in radio
    assert "autofocus" in radios[0] and not any("autofocus" in r for r in radios[1:])
