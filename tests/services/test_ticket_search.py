"""Ticket search: number, subject and message words on the full-text index, on each database."""

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import Ticket, TicketMessage
from portal.services.tickets.queue import QueueFilters, ticket_queue
from portal.services.tickets.search import parse_search, search_condition
from tests.helpers import bearer


def found(q: str, staff: bool = True) -> set[str]:
    """Subjects of the tickets a search finds."""
    condition = search_condition(q, staff)
    query = db.select(Ticket.subject)
    if condition is not None:
        query = query.where(condition)
    return set(db.session.scalars(query))


def add_message(ticket: Ticket, body: str, internal: bool = False) -> TicketMessage:
    """A message written after the ticket, committed."""
    message = TicketMessage(ticket_id=ticket.id, body=body, from_staff=True, internal=internal)
    db.session.add(message)
    db.session.commit()
    return message


@pytest.fixture
def desk(f):
    """Three tickets of one client with distinct words."""
    acme = f.client("ACME")
    return {
        "backup": f.ticket(acme, subject="Nightly backup failed"),
        "mail": f.ticket(acme, subject="Mail bounces"),
        "dns": f.ticket(acme, subject="DNS records for shop"),
    }


def test_number_with_and_without_hash(desk):
    number = desk["mail"].number
    assert found(f"#{number}") == {"Mail bounces"}
    assert found(number) == {"Mail bounces"}
    assert found(f"# {number}") == {"Mail bounces"}


def test_subject_words_are_prefixes_and_all_required(desk):
    assert found("backup") == {"Nightly backup failed"}
    assert found("BACK") == {"Nightly backup failed"}
    assert found("nightly fail") == {"Nightly backup failed"}
    assert found("nightly bounces") == set()


def test_words_of_a_later_message_are_found(desk):
    assert found("certificate") == set()
    message = add_message(desk["dns"], "The certificate for shop.example expired yesterday.")
    assert found("certificate expired") == {"DNS records for shop"}
    message.body = "Renewed the TLS chain."
    db.session.commit()
    assert found("certificate") == set()
    assert found("renewed") == {"DNS records for shop"}
    db.session.delete(message)
    db.session.commit()
    assert found("renewed") == set()


def test_subject_change_is_indexed(desk):
    desk["mail"].subject = "Mailbox quota"
    db.session.commit()
    assert found("quota") == {"Mailbox quota"}
    assert found("bounces") == set()


def test_deleted_ticket_leaves_the_index(desk):
    db.session.delete(desk["backup"])
    db.session.commit()
    assert found("backup") == set()
    table = "ticket_search"
    count = db.session.scalar(db.text(f"SELECT count(*) FROM {table}"))
    assert count == 2


def test_internal_note_words_are_found_by_staff_only(desk):
    add_message(desk["backup"], "Customer's disk is a counterfeit model.", internal=True)
    assert found("counterfeit", staff=True) == {"Nightly backup failed"}
    assert found("counterfeit", staff=False) == set()
    assert found("backup", staff=False) == {"Nightly backup failed"}


def test_accents_and_case_fold_on_both_databases(f):
    f.ticket(f.client(), subject="Zażółć gęślą jaźń")
    assert found("zażółć") == {"Zażółć gęślą jaźń"}
    assert found("GĘŚLĄ") == {"Zażółć gęślą jaźń"}


HOSTILE = [
    "x" * 60_000,
    "%" * 500,
    "_%_",
    '"',
    '"unterminated',
    "NEAR(backup mail)",
    "backup NEAR mail",
    "*",
    "back*",
    "-backup",
    "^backup",
    "backup OR mail",
    "staff: backup",
    "public:backup",
    "a & b | !c",
    "backup:*",
    "'); DROP TABLE ticket; --",
    "\x00backup",
    "½ ⅱ",
    "…",
    "#",
    "#12345",
    "#1234567",
    "   ",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_search_text_is_only_words(desk, q):
    result = found(q)
    assert result <= {"Nightly backup failed", "Mail bounces", "DNS records for shop"}
    for subject in result:  # whatever is found holds every word searched for
        for word in parse_search(q).words:
            assert word in subject.lower()


def test_operator_words_do_not_widen_the_search(desk):
    assert found("backup OR mail") == set()  # "or" is a word, and all words are required
    assert found("-backup") == {"Nightly backup failed"}


def test_parse_caps_length_and_words():
    terms = parse_search(" ".join(f"word{n}" for n in range(50)))
    assert len(terms.words) == 8
    assert parse_search("a b cc").words == ("cc",)
    assert parse_search("#708131").number == "708131"
    assert parse_search("708131 backup").number is None


def test_queue_search_from_the_page(client, operator, desk):
    page = client.get("/admin/?q=bounces").text
    assert desk["mail"].display_number in page
    assert desk["backup"].display_number not in page
    assert 'value="bounces"' in page
    page = client.get(f"/admin/?q=%23{desk['dns'].number}").text
    assert desk["dns"].display_number in page and desk["mail"].display_number not in page
    page = client.get("/admin/?q=" + "%22NEAR*" * 2000)
    assert page.status_code == 200
    assert "No tickets match" in page.text


def test_api_search_staff_and_client(client, f, desk):
    staff = bearer(f.api_token(f.user("operator")))
    acme_user = f.user("client", client=desk["backup"].client)
    other = f.ticket(f.client("Globex"), subject="Backup of Globex")
    add_message(desk["mail"], "Spam filter trips on the invoice mail.", internal=True)
    mine = bearer(f.api_token(acme_user))

    def numbers(headers, q):
        answer = client.get("/api/v1/tickets", query_string={"q": q}, headers=headers)
        assert answer.status_code == 200, answer.text
        return {item["number"] for item in answer.json["items"]}

    assert numbers(staff, "backup") == {desk["backup"].number, other.number}
    assert numbers(mine, "backup") == {desk["backup"].number}  # never another client's
    assert numbers(staff, "spam filter") == {desk["mail"].number}
    assert numbers(mine, "spam filter") == set()  # words only in an internal note
    assert numbers(mine, f"#{other.number}") == set()
    assert numbers(staff, "x" * 60_000) == set()


def statements_of(fn) -> int:
    """How many SQL statements fn runs."""
    seen = []

    def count(_conn, _cursor, statement, *_rest):
        if not statement.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE")):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def test_search_statements_do_not_grow_with_matches(f):
    acme = f.client("ACME")
    for n in range(10):
        f.ticket(acme, subject=f"Firewall rule {n}")
    ticket_queue(QueueFilters(q="firewall"), 1, 5)  # settings are read once, then cached
    few = statements_of(lambda: ticket_queue(QueueFilters(q="firewall"), 1, 5))
    for n in range(40):
        f.ticket(acme, subject=f"Firewall rule {n + 10}")
    many = statements_of(lambda: ticket_queue(QueueFilters(q="firewall"), 1, 5))
    assert ticket_queue(QueueFilters(q="firewall"), 1, 50).total == 50
    assert few == many


def test_a_search_reads_page_and_count_in_one_statement(f):
    acme = f.client("ACME")
    for n in range(12):
        f.ticket(acme, subject=f"Firewall rule {n}")
    f.ticket(acme, subject="Printer")
    ticket_queue(QueueFilters(q="firewall"), 1, 5)  # settings are read once, then cached
    whole_queue = statements_of(lambda: ticket_queue(QueueFilters(), 1, 5))
    searched = statements_of(lambda: ticket_queue(QueueFilters(q="firewall"), 1, 5))
    assert searched == whole_queue - 1  # no separate count of the matches
    # The count is the whole search's on every page, and past the last page too.
    pages = [ticket_queue(QueueFilters(q="firewall"), page, 5) for page in (1, 2, 3, 4)]
    assert [p.total for p in pages] == [12, 12, 12, 12]
    assert [len(p.items) for p in pages] == [5, 5, 2, 0]
    subjects = [row[0].subject for p in pages for row in p.items]
    assert sorted(subjects) == sorted(f"Firewall rule {n}" for n in range(12))
    assert ticket_queue(QueueFilters(q="nothing"), 1, 5).total == 0


def test_api_search_pages_count_every_match(client, f):
    acme = f.client("ACME")
    for n in range(7):
        f.ticket(acme, subject=f"Firewall rule {n}")
    headers = bearer(f.api_token(f.user("operator")))
    answers = [
        client.get(f"/api/v1/tickets?q=firewall&per_page=3&page={page}", headers=headers).json
        for page in (1, 3, 9)
    ]
    assert [(a["total"], len(a["items"])) for a in answers] == [(7, 3), (7, 1), (7, 0)]
    assert answers[0]["items"][0]["subject"].startswith("Firewall rule")
