"""SQL statements per page: the same count for a small world and one ten times larger, at 25
and at 200 rows a page, and never more than ten (no N+1 on the list and overview pages)."""

from datetime import timedelta

import pytest
from flask import has_request_context
from sqlalchemy import event

from portal import create_app
from portal.database import write_intent
from portal.extensions import db
from portal.models import Invoice
from portal.services.billing.close import close_period
from portal.services.billing.invoices import cancel_invoice
from portal.services.billing.payments import record_payment
from portal.services.tickets.time_entries import TimeInput, log_time
from tests import factories
from tests.helpers import (
    AuthActions,
    FreshContextClient,
    empty_all_tables,
    make_config,
    this_month_start,
    today,
)

MAX_STATEMENTS = 10
# Bookkeeping statements that are not queries of the page.
_IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


class StatementCounter:
    """Counts the SQL statements that requests execute, through a SQLAlchemy engine event."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def __enter__(self):
        """Start listening."""
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc):
        """Stop listening."""
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn, _cursor, statement, _params, _context, _many):
        """Keep a request's statement, leaving out transaction and pragma bookkeeping."""
        if has_request_context() and not statement.lstrip().upper().startswith(_IGNORED):
            self.statements.append(statement)

    def count_get(self, client, url: str) -> int:
        """GET a page (it must answer 200) and return how many statements it ran."""
        self.statements.clear()
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        return len(self.statements)


def _months_back(count: int) -> list:
    """A day in each of the last `count` whole months, oldest first."""
    days, first = [], this_month_start()
    for _ in range(count):
        first = (first - timedelta(days=1)).replace(day=1)
        days.append(first + timedelta(days=9))
    return days[::-1]


def build_world(f, scale: int) -> dict:
    """Clients with plans, tickets, billable and other time, closed months and invoices.

    `scale` multiplies every dimension: clients (each with a user), tickets per client,
    months of history (all closed and invoiced), and entries per ticket.
    """
    plan = f.plan("Standard", hours=1, prices={"EUR": ("200.00", "60.00")})
    hourly = f.plan("Hourly", model="hourly", prices={"EUR": ("0", "80.00")})
    operator = f.user("operator", name="Olga")
    months = _months_back(min(1 + scale, 13) if scale > 1 else 1)
    clients = []
    for n in range(2 * scale):
        client = f.client(f"World client {n:03d}")
        f.subscription(client, hourly if n % 2 else plan, months[0].replace(day=1))
        f.user("client", client=client)  # the users page lists one per client
        clients.append(client)
    # A client whose package rolls over and one on prepaid blocks: their months depend on
    # the months before, and their pages may not pay for it per month.
    flex = f.plan("Flex", hours=1, prices={"EUR": ("200.00", "60.00")}, rollover_months=2)
    block = f.plan(
        "Block",
        model="block",
        prices={"EUR": ("900.00", "60.00")},
        block_minutes=600,
        validity_months=3,
    )
    pooled = {}
    for name, pool_plan in (("rollover_user", flex), ("block_user", block)):
        client = f.client(f"World {name}")
        f.subscription(client, pool_plan, months[0].replace(day=1))
        pooled[name] = f.user("client", client=client)
        ticket = f.ticket(client, subject="Pooled")
        for day in [*months, today()]:
            log_time(ticket, operator, TimeInput(30 * scale, day, "work", True))
    big = clients[0]
    for n, client in enumerate(clients):
        # Mail of each status and sort, to the client's people and about it to staff.
        for m in range(3 * scale if client is big else 1 + scale // 5):
            status = ("sent", "failed", "held", "queued")[(n + m) % 4]
            f.outbox_message(client, ("ticket_reply", "ticket_new")[m % 2], status=status)
        tickets = 4 * scale if client is big else 1 + scale // 5
        for t in range(tickets):
            ticket = f.ticket(client, subject=f"Ticket {t}", tracking=t % 7 != 6)
            if not ticket.time_tracking:
                continue
            for day in [*months, today()]:
                log_time(ticket, operator, TimeInput(90, day, "work", t % 5 != 4))
        db.session.commit()
    for day in months:
        close_period(day.strftime("%Y-%m"))
        db.session.commit()
    # Credit notes and part payments: the invoice lists show kinds and balances.
    first = db.session.scalars(db.select(Invoice).order_by(Invoice.id)).all()[: 2 * scale]
    for n, invoice in enumerate(first):
        if n % 2:
            cancel_invoice(invoice, operator)
        else:
            record_payment(invoice, operator, {"date": today(), "amount": "1.00", "method": "cash"})
    db.session.commit()
    return {
        "big": big,
        "admin": f.user("admin"),
        "client_user": f.user("client", client=big),
        **pooled,
    }


# Every list or overview page, with the role that sees it.
PAGES = [
    ("admin", "/admin/"),
    ("admin", "/admin/?q=ticket"),
    ("admin", "/admin/?assignee=none&priority=Medium&sort=priority"),
    ("admin", "/admin/invoices"),
    ("admin", "/admin/invoices?kind=credit_note"),
    ("admin", "/admin/billing"),
    ("admin", "/admin/users"),
    ("admin", "/admin/emails"),
    ("admin", "/admin/emails?status=failed&kind=ticket_reply&client=World"),
    ("admin", "/admin/reports/hours"),
    ("admin", "/admin/reports/hours?by=client&client=World"),
    ("client_user", "/client/tickets"),
    ("client_user", "/client/"),
    ("client_user", "/client/usage"),
    ("client_user", "/client/invoices"),
    ("client_user", "/client/emails"),
    ("rollover_user", "/client/"),
    ("rollover_user", "/client/usage"),
    ("block_user", "/client/"),
    ("block_user", "/client/usage"),
]
PAGE_SIZES = (25, 200)


def measure(app, f, scale: int) -> dict:
    """Build a world at `scale` and count each page's statements at both page sizes."""
    world = build_world(f, scale)
    client = app.test_client()
    auth = AuthActions(client)
    counts = {}
    with StatementCounter(db.engine) as counter:
        for role in ("admin", "client_user", "rollover_user", "block_user"):
            auth.login(world[role].email)
            for who, url in PAGES:
                if who == role:
                    for per_page in PAGE_SIZES:
                        joiner = "&" if "?" in url else "?"
                        counts[who, url, per_page] = counter.count_get(
                            client, f"{url}{joiner}per_page={per_page}"
                        )
            auth.logout()
    return counts


@pytest.fixture(scope="module")
def counts(_schema, database_url):
    """Statement counts of every page in a small world and in one ten times larger."""
    app = create_app(make_config(database_url), from_environment=False)
    app.test_client_class = FreshContextClient
    result = {}
    with app.app_context(), write_intent():
        for name, scale in (("small", 1), ("large", 10)):
            empty_all_tables()
            result[name] = measure(app, factories, scale)
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()
    print("\nstatements per request (small world / 10x world):")
    for who, url in PAGES:
        row = "  ".join(
            f"per_page={size}: {result['small'][who, url, size]}/{result['large'][who, url, size]}"
            for size in PAGE_SIZES
        )
        print(f"  {who:<13} {url:<18} {row}")
    return result


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_statements_per_page_are_constant_in_rows_and_page_size(counts, who, url):
    observed = {
        (world, size): counts[world][who, url, size] for world in counts for size in PAGE_SIZES
    }
    assert len(set(observed.values())) == 1, f"{url} ({who}) grows: {observed}"


@pytest.mark.parametrize(("who", "url"), PAGES)
def test_statements_per_page_are_at_most_ten(counts, who, url):
    worst = max(counts[world][who, url, size] for world in counts for size in PAGE_SIZES)
    assert worst <= MAX_STATEMENTS, f"{url} ({who}) runs {worst} statements"


# The second floor's pages with rows that grow (bench/pages.py covers them at 1,000,000
# entries): the clients list, and one client, invoice and ticket whose subscriptions,
# payments and messages with files multiply with the world. Measured in worlds of their own,
# so the cases above keep theirs.
SECOND_FLOOR_LISTS = [("admin", "/admin/clients")]
SECOND_FLOOR_DETAILS = [
    ("admin", "/admin/clients/{client}"),
    ("admin", "/admin/invoices/{invoice}"),
    ("client_user", "/client/invoices/{invoice}"),
    ("admin", "/admin/tickets/{thread}"),
    ("client_user", "/client/tickets/{thread}"),
    ("client_user", "/client/attachments/{attachment}"),
    # A prepaid-block client: its month depends on the months before (pools, closed months).
    ("admin", "/admin/clients/{block_client}"),
    ("admin", "/admin/tickets/{block_ticket}"),
    ("block_user", "/client/tickets/{block_ticket}"),
]


def grow_second_floor(f, world: dict, scale: int) -> dict:
    """An invoice of the big client's (a one-off item invoiced at once) part paid 2 x scale
    times, and a ticket of its with 3 x scale messages from both sides, a file on each."""
    from portal.models import Attachment, Ticket, TicketMessage
    from portal.services.billing.one_off import add_one_off_item, item_invoice

    big = world["big"]
    item = add_one_off_item(
        big,
        {"description": "Setup", "quantity": "1", "unit_price": "100.00", "date": today()},
        world["admin"],
        invoice_now=True,
    )
    invoice = item_invoice(item)
    for _ in range(2 * scale):
        payment = {"date": today(), "amount": "1.00", "method": "cash"}
        record_payment(invoice, world["admin"], payment)
    thread = f.ticket(big, subject="Thread with files")
    for n in range(3 * scale):
        message = TicketMessage(body=f"Message {n}", from_staff=bool(n % 2))
        message.attachments.append(
            Attachment(filename=f"file{n}.txt", content_type="text/plain", size=4, data=b"file")
        )
        thread.messages.append(message)
    db.session.commit()
    block_client = world["block_user"].client_id
    return {
        "block_client": block_client,
        "block_ticket": db.session.scalar(db.select(Ticket.id).filter_by(client_id=block_client)),
        "client": big.id,
        "invoice": invoice.id,
        "thread": thread.id,
        "attachment": thread.messages[-1].attachments[0].id,
    }


@pytest.fixture(scope="module")
def second_floor_counts(_schema, database_url):
    """Statements of the second floor's pages in a small world and one ten times larger:
    lists at 25 and 200 a page, detail pages once."""
    app = create_app(make_config(database_url), from_environment=False)
    app.test_client_class = FreshContextClient
    result = {}
    with app.app_context(), write_intent():
        for name, scale in (("small", 1), ("large", 10)):
            empty_all_tables()
            world = build_world(factories, scale)
            ids = grow_second_floor(factories, world, scale)
            client = app.test_client()
            auth = AuthActions(client)
            counts = {}
            with StatementCounter(db.engine) as counter:
                for role in ("admin", "client_user", "block_user"):
                    auth.login(world[role].email)
                    for who, url in SECOND_FLOOR_LISTS:
                        for per_page in PAGE_SIZES if who == role else ():
                            counts[who, url, per_page] = counter.count_get(
                                client, f"{url}?per_page={per_page}"
                            )
                    for who, url in SECOND_FLOOR_DETAILS:
                        if who == role:
                            counts[who, url, None] = counter.count_get(client, url.format(**ids))
                    auth.logout()
            result[name] = counts
        empty_all_tables()
        db.session.remove()
        db.engine.dispose()
    print("\nstatements per request, second floor (small world / 10x world):")
    for key in result["small"]:
        print(f"  {key}: {result['small'][key]}/{result['large'][key]}")
    return result


@pytest.mark.parametrize(("who", "url"), SECOND_FLOOR_LISTS + SECOND_FLOOR_DETAILS)
def test_second_floor_pages_are_constant_in_rows_and_page_size(second_floor_counts, who, url):
    observed = {
        (world, size): n
        for world, counts in second_floor_counts.items()
        for (w, u, size), n in counts.items()
        if (w, u) == (who, url)
    }
    assert observed, f"{url} ({who}) was not measured"
    assert len(set(observed.values())) == 1, f"{url} ({who}) grows: {observed}"


@pytest.mark.parametrize(("who", "url"), SECOND_FLOOR_LISTS + SECOND_FLOOR_DETAILS)
def test_second_floor_pages_run_at_most_ten_statements(second_floor_counts, who, url):
    worst = max(
        n
        for counts in second_floor_counts.values()
        for (w, u, _s), n in counts.items()
        if (w, u) == (who, url)
    )
    assert worst <= MAX_STATEMENTS, f"{url} ({who}) runs {worst} statements"
