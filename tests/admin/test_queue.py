"""The staff ticket queue: columns, filters and paging."""

import pytest

from portal.services.settings import business_today
from tests.helpers import submit


def test_queue_shows_client_plan_and_hours(client, operator, f):
    acme = f.client("ACME GmbH")
    plan = f.plan("Standard")
    f.subscription(acme, plan, business_today().replace(day=1))
    ticket = f.ticket(acme, subject="Backup failed")
    submit(
        client,
        f"/admin/tickets/{ticket.id}",
        {"hours": "2,5", "work_date": business_today().isoformat(), "billable": "y"},
    )
    page = client.get("/admin/").text
    row = page[page.index(ticket.display_number) :]
    row = row[: row.index("</tr>")]
    assert "ACME GmbH" in row and "Standard" in row and "Backup failed" in row
    assert row.count("2:30") == 2  # this month and in total


def test_untracked_ticket_shows_not_tracked(client, operator, f):
    f.ticket(f.client(), tracking=False)
    assert "not tracked" in client.get("/admin/").text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=Closed", {"closed"}),
        ("tracking=off", {"untracked"}),
        ("department=Billing", {"billing"}),
        ("status=Bogus", {"closed", "untracked", "billing", "b"}),
    ],
)
def test_queue_filters(client, operator, f, query, expected):
    a, b = f.client("Alpha"), f.client("Beta")
    f.ticket(a, subject="closed", status="Closed")
    f.ticket(a, subject="untracked", tracking=False)
    f.ticket(a, subject="billing", department="Billing")
    f.ticket(b, subject="b")
    page = client.get(f"/admin/?{query}").text
    shown = {s for s in ("closed", "untracked", "billing", "b") if f">{s}</td>" in page}
    assert shown == expected


def test_queue_filters_by_client(client, operator, f):
    a, b = f.client("Alpha"), f.client("Beta")
    f.ticket(a, subject="from alpha")
    f.ticket(b, subject="from beta")
    page = client.get(f"/admin/?client_id={b.id}").text
    assert "from beta" in page and "from alpha" not in page


def test_queue_is_paged(client, operator, f):
    acme = f.client()
    for n in range(30):
        f.ticket(acme, subject=f"Ticket {n:02d}")
    first = client.get("/admin/?per_page=25").text
    second = client.get("/admin/?per_page=25&page=2").text
    assert (
        first.count('data-label="Subject">Ticket ') == 25
        and second.count('data-label="Subject">Ticket ') == 5
    )
    assert "30 in all" in first


def test_empty_queue_says_so(client, operator):
    assert "No tickets match" in client.get("/admin/").text


@pytest.mark.parametrize(
    "query",
    [
        "page=99999999999999999999",
        "page=-5&per_page=0",
        "client_id=99999999999999999999",
        "client_id=-1",
        "period=%00",
        "period=2026-13",
    ],
)
@pytest.mark.parametrize("path", ["/admin/", "/admin/invoices"])
def test_out_of_range_list_filters_show_the_list(client, auth, f, path, query):
    """Ids and page numbers beyond any SQL integer, or a NUL, are ignored, never a 500."""
    f.user("admin", email="admin@example.com")
    auth.login("admin@example.com")
    assert client.get(f"{path}?{query}").status_code == 200


def test_column_headers_sort_the_queue_and_keep_the_filters(client, auth, f):
    f.user("operator", email="op@example.com")
    acme = f.client("ACME")
    f.ticket(acme, subject="First")
    f.ticket(acme, subject="Second")
    auth.login("op@example.com")

    page = client.get(f"/admin/?client_id={acme.id}&status=Open&endpoint=x&_external=1").text

    assert f'href="/admin/?status=Open&amp;client_id={acme.id}&amp;sort=number"' in page
    assert 'aria-sort="descending"' in page  # "Updated", the default sort
    assert f"/admin/?status=Open&amp;client_id={acme.id}&amp;sort=oldest" in page
    flipped = client.get(f"/admin/?client_id={acme.id}&sort=oldest").text
    assert 'aria-sort="ascending"' in flipped


def test_the_client_filter_searches_names_and_keeps_one_chosen_client(client, auth, f):
    f.user("operator", email="op@example.com")
    acme, globex = f.client("ACME GmbH"), f.client("Globex 100%")
    f.ticket(acme, subject="Acme printer")
    f.ticket(globex, subject="Globex mail")
    auth.login("op@example.com")

    by_name = client.get("/admin/?client=acme").text
    literal = client.get("/admin/?client=100%25").text
    wildcard = client.get("/admin/?client=%25").text
    chosen = client.get(f"/admin/?client_id={globex.id}").text

    assert "Acme printer" in by_name and "Globex mail" not in by_name
    assert "Globex mail" in literal and "Acme printer" not in literal
    assert "Acme printer" not in wildcard  # % is a character, not a wildcard
    assert "Only Globex 100%." in chosen and "Acme printer" not in chosen
    assert f'name="client_id" value="{globex.id}"' in chosen


def test_pager_links_ignore_url_for_keywords_in_the_query(client, auth, f):
    f.user("operator", email="op@example.com")
    acme = f.client("ACME")
    for n in range(3):
        f.ticket(acme, subject=f"Ticket {n}")
    auth.login("op@example.com")
    page = client.get("/admin/?per_page=1&endpoint=x&_external=1&_anchor=y")
    assert page.status_code == 200
    assert 'href="/admin/?per_page=1&amp;page=2"' in page.text


# --- assignee, priority and statuses that wait for staff ----------------------------------


@pytest.fixture
def owned(f, operator):
    """Tickets of the logged-in operator, of another operator, and nobody's."""
    other = f.user("operator", name="Piotr Other")
    acme = f.client("ACME GmbH")
    f.ticket(acme, subject="mine", assignee_id=operator.id, priority="Low")
    f.ticket(acme, subject="theirs", assignee_id=other.id, priority="Urgent")
    f.ticket(acme, subject="nobody's", priority="High")
    f.ticket(acme, subject="medium", priority="Medium", status="Answered")
    return other


def shown_subjects(page: str) -> list[str]:
    """The queue's subjects, in order."""
    subjects = ("mine", "theirs", "nobody&#39;s", "medium")
    return sorted(
        (s for s in subjects if f">{s}</td>" in page), key=lambda s: page.index(f">{s}</td>")
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("assignee=mine", {"mine"}),
        ("assignee=none", {"nobody&#39;s", "medium"}),
        ("priority=Urgent", {"theirs"}),
        ("assignee=none&priority=High", {"nobody&#39;s"}),
        ("assignee=bogus", {"mine", "theirs", "nobody&#39;s", "medium"}),
        ("priority=Critical", {"mine", "theirs", "nobody&#39;s", "medium"}),
    ],
)
def test_queue_filters_by_assignee_and_priority(client, owned, query, expected):
    response = client.get(f"/admin/?{query}")
    assert response.status_code == 200
    assert set(shown_subjects(response.text)) == expected


def test_queue_filters_by_a_person(client, owned):
    page = client.get(f"/admin/?assignee={owned.id}").text
    assert shown_subjects(page) == ["theirs"]
    assert f'<option value="{owned.id}" selected>Piotr Other</option>' in page


def test_priority_sort_is_by_severity(client, owned):
    page = client.get("/admin/?sort=priority").text
    assert shown_subjects(page) == ["theirs", "nobody&#39;s", "medium", "mine"]


def test_queue_shows_assignee_priority_and_who_waits(client, owned, operator):
    page = client.get("/admin/").text
    row = page[page.index(">mine</td>") :]
    row = row[: row.index("</tr>")]
    assert operator.name in row and "Low" in row
    assert "needs reply" in row and "text-bg-warning" in row  # Open waits for staff
    row = page[page.index(">medium</td>") :]
    row = row[: row.index("</tr>")]
    assert "needs reply" not in row and "—" in row  # Answered, nobody's
    assert '<span class="badge text-bg-danger">Urgent</span>' in page


def test_ticket_page_uses_the_same_badges(client, operator, f):
    ticket = f.ticket(f.client(), status="Customer-Reply", priority="Urgent")
    page = client.get(f"/admin/tickets/{ticket.id}").text
    assert "Customer-Reply · needs reply" in page
    assert '<span class="badge text-bg-danger">Urgent</span>' in page
