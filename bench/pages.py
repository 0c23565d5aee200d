"""Page benchmark: p50/p95 and SQL statements per request of the busiest pages, in process.

    python bench/pages.py --entries 1000000 --db sqlite|postgresql [--requests 200] [--survey]

Builds a scratch database (bench/common.py), loads it with `seed_load` (10,000 clients,
40,000 tickets of which 2,000 belong to one client, the entries in last month) plus a few
entries of the big client in the current month, logs in through the real login form (an
operator, an admin, the big client's user) and requests each page with Flask's test client.
With --survey it also requests every page without URL arguments once per role and lists the
slowest, to find pages the fixed list misses. Ends with one line:
`pages: worst p95 X ms, max statements N`.
"""

import argparse
import random
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import scratch_app  # noqa: E402
from flask import has_request_context  # noqa: E402
from sqlalchemy import event, func, insert, select  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.models import Subscription, Ticket, TimeEntry, User  # noqa: E402
from portal.models.types import utcnow  # noqa: E402
from portal.seeding.load import PASSWORD, load_emails, seed_history, seed_load  # noqa: E402
from portal.services.accounts.tokens import create_api_token  # noqa: E402
from portal.services.billing.periods import period_of  # noqa: E402
from portal.services.settings import business_today  # noqa: E402

GOAL_P95_MS = 60
GOAL_STATEMENTS = 10
PAGE_SIZES = (25, 200)
# (name, url, who, paginated)
PAGES = [
    ("ticket queue", "/admin/", "operator", True),
    ("client ticket history", "/client/tickets", "client", True),
    ("client dashboard", "/client/", "client", False),
    ("usage history", "/client/usage", "client", False),
    ("billing", "/admin/billing", "admin", False),
    # Search (load.TOPICS: each topic is in 1 of 20 tickets; hostNNNNNN in exactly one).
    ("queue search, 1 in 20", "/admin/?q=firewall", "operator", True),
    ("queue search, 2 words", "/admin/?q=firewall+host000123", "operator", True),
    ("queue search, number", "/admin/?q=%23{number}", "operator", True),
    ("API search, staff", "/api/v1/tickets?q=backup", "operator-api", True),
    ("API search, client", "/api/v1/tickets?q=backup", "client-api", True),
    # What the second floor added (seed_history): {names} are ids picked from the data.
    ("invoices (admin)", "/admin/invoices", "admin", True),
    ("credit notes (admin)", "/admin/invoices?kind=credit_note", "admin", True),
    ("invoices of a client", "/admin/invoices?client=Load+client+00001", "admin", True),
    ("invoice (admin)", "/admin/invoices/{invoice_id}", "admin", False),
    ("paid invoice (admin)", "/admin/invoices/{paid_invoice_id}", "admin", False),
    ("client invoices", "/client/invoices", "client", True),
    ("client invoice", "/client/invoices/{invoice_id}", "client", False),
    ("email log (admin)", "/admin/emails", "admin", True),
    ("email log, a client", "/admin/emails?client=Load+client+00001", "admin", True),
    ("email (admin)", "/admin/emails/{email_id}", "admin", False),
    ("client email log", "/client/emails", "client", True),
    ("client email", "/client/emails/{email_id}", "client", False),
    ("clients (admin)", "/admin/clients", "admin", True),
    ("big client (admin)", "/admin/clients/{big_client_id}", "admin", False),
    ("block client (admin)", "/admin/clients/{block_client_id}", "admin", False),
    ("thread, files (staff)", "/admin/tickets/{thread_ticket_id}", "operator", False),
    ("thread, files (client)", "/client/tickets/{thread_ticket_id}", "client", False),
    ("attachment (staff)", "/admin/attachments/{attachment_id}", "operator", False),
    ("attachment (client)", "/client/attachments/{attachment_id}", "client", False),
    ("block dashboard", "/client/", "blocks", False),
    ("block usage", "/client/usage", "blocks", False),
]
_IGNORED = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def parse_args(argv=None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in last month")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=40_000)
    parser.add_argument("--big-client-tickets", type=int, default=2_000)
    parser.add_argument("--current-entries", type=int, default=2_000, help="big client, now")
    parser.add_argument(
        "--history-months", type=int, default=2, help="closed months before the entries' month"
    )
    parser.add_argument(
        "--history-entries",
        type=int,
        default=None,
        help="entries in each closed month (default: a tenth of --entries)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument(
        "--survey",
        action="store_true",
        help="also time every page without URL arguments once per role (the slowest first)",
    )
    return parser.parse_args(argv)


def last_month() -> str:
    """The month before the current one, in the business time zone."""
    return period_of(business_today().replace(day=1) - timedelta(days=1))


def add_current_entries(big_client_id: int, count: int, seed: int = 1) -> int:
    """Entries of the big client in the current month so far, so the dashboard has data."""
    if count <= 0:
        return 0
    rng = random.Random(seed)
    today = business_today()
    days = [today.replace(day=d) for d in range(1, today.day + 1)]
    tickets = list(db.session.scalars(select(Ticket.id).where(Ticket.client_id == big_client_id)))
    subscription_id = db.session.scalar(
        select(Subscription.id).where(Subscription.client_id == big_client_id)
    )
    operator_id = db.session.scalar(select(User.id).filter_by(email=load_emails(seed)["operator"]))
    now = utcnow()
    rows = [
        {
            "ticket_id": rng.choice(tickets),
            "subscription_id": subscription_id,
            "operator_id": operator_id,
            "minutes": 15 * rng.randint(1, 16),
            "work_date": rng.choice(days),
            "billable": rng.random() >= 0.1,
            "note": "",
            "created_at": now,
            "updated_at": now,
        }
        for _ in range(count)
    ]
    db.session.execute(insert(TimeEntry), rows)
    return count


def seed(app, args) -> dict:
    """Load the database; returns seed_load's summary."""
    with app.app_context():
        started = time.perf_counter()
        summary = seed_load(
            clients=args.clients,
            tickets=args.tickets,
            entries=args.entries,
            period=last_month(),
            big_client_tickets=args.big_client_tickets,
        )
        add_current_entries(summary["big_client_id"], args.current_entries)
        db.session.commit()
        if args.history_months:
            history_entries = args.history_entries
            if history_entries is None:
                history_entries = args.entries // 10
            summary["history"] = seed_history(
                summary, months=args.history_months, entries_per_month=history_entries
            )
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        summary["load_seconds"] = round(time.perf_counter() - started, 1)
        return summary


def login(app, email: str):
    """A test client logged in through the real login form (CSRF token and all)."""
    client = app.test_client()
    page = client.get("/login")
    token = _CSRF.search(page.text).group(1)
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"login of {email} failed: {response.status_code}")
    return client


def token_client(app, email: str):
    """A test client that sends a fresh API token of the user with every request."""
    user = db.session.scalar(select(User).filter_by(email=email))
    _row, plain = create_api_token(user, "bench")
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plain}"
    return client


class Counter:
    """SQL statements executed inside requests (transaction bookkeeping left out)."""

    def __init__(self):
        self.count = 0

    def __call__(self, _conn, _cursor, statement, _params, _context, _many):
        """before_cursor_execute listener."""
        if has_request_context() and not statement.lstrip().upper().startswith(_IGNORED):
            self.count += 1


def measure(client, url: str, requests: int, counter: Counter) -> tuple[float, float, set]:
    """p50 and p95 in ms over `requests` timed GETs (after a warm-up), and statement counts."""
    for _ in range(5):
        assert client.get(url).status_code == 200, url
    times, statements = [], set()
    for _ in range(requests):
        counter.count = 0
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        statements.add(counter.count)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95, statements


def page_ids(summary: dict) -> dict:
    """Ids the pages with URL arguments are addressed by, picked from the loaded data."""
    from portal.models import Attachment, Invoice, OutboxMessage, Payment, Plan, TicketMessage

    history = summary["history"]
    big = summary["big_client_id"]
    thread = history["thread_ticket_id"]
    paid = (
        select(Payment.invoice_id)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Invoice.client_id == big)
    )
    return {
        "number": db.session.scalar(select(Ticket.number).order_by(Ticket.id.desc()).limit(1)),
        "big_client_id": big,
        "client_id": big,
        "block_client_id": history["block_client_id"],
        "thread_ticket_id": thread,
        "ticket_id": thread,
        "invoice_id": history["big_invoice_id"],
        "paid_invoice_id": db.session.scalar(paid.order_by(Payment.id.desc()).limit(1))
        or db.session.scalar(select(Payment.invoice_id).limit(1)),
        "email_id": db.session.scalar(
            select(func.max(OutboxMessage.id)).where(
                OutboxMessage.client_id == big, OutboxMessage.to_staff.is_(False)
            )
        ),
        "attachment_id": db.session.scalar(
            select(func.max(Attachment.id))
            .join(TicketMessage, TicketMessage.id == Attachment.message_id)
            .where(TicketMessage.ticket_id == thread, TicketMessage.internal.is_(False))
        ),
        "entry_id": db.session.scalar(
            select(func.max(TimeEntry.id))
            .join(Ticket, Ticket.id == TimeEntry.ticket_id)
            .where(Ticket.client_id == big)
        ),
        "plan_id": db.session.scalar(select(func.min(Plan.id))),
    }


def survey(app, clients: dict, counter: "Counter", ids: dict, top: int = 15) -> None:
    """One timed GET (after one warm-up) of every page, for each role: those without URL
    arguments, and those whose arguments are ids of `ids` (the big client, its latest
    invoice, the thread with files...)."""
    adapter = app.url_map.bind("localhost")
    paths = sorted(
        adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments})
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and all(ids.get(name) is not None for name in rule.arguments)
        and not rule.rule.startswith(("/api", "/static"))
    )
    rows = []
    for who, client in clients.items():
        for path in paths:
            client.get(path).close()
            counter.count = 0
            started = time.perf_counter()
            response = client.get(path)
            size = len(response.get_data())  # a streamed export is read to its end
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code == 200:
                rows.append((elapsed, who, path, size, counter.count))
    print(f"survey: {len(rows)} pages answered 200 (one request each); the slowest {top}:")
    print(f"{'who':<10}{'page':<36}{'ms':>9}{'bytes':>10}{'statements':>12}")
    for elapsed, who, path, size, statements in sorted(rows, reverse=True)[:top]:
        print(f"{who:<10}{path:<36}{elapsed:>9.1f}{size:>10}{statements:>12}")
    most = sorted(rows, key=lambda row: (row[4], row[0]), reverse=True)[:5]
    print("most statements: " + ", ".join(f"{who} {path} {n}" for _t, who, path, _s, n in most))


def main(argv=None) -> int:
    """Build, load, measure, print; drop the database unless --keep."""
    args = parse_args(argv)
    with scratch_app(args, seed) as (_url, app, summary):
        print(
            f"db {args.db}: {args.clients:,} clients, {args.tickets:,} tickets "
            f"({args.big_client_tickets:,} of the big client), {args.entries:,} entries in "
            f"{summary['period']} + {args.current_entries:,} this month; "
            f"loaded in {summary['load_seconds']} s"
        )
        history = summary["history"]
        print(
            f"closed {', '.join(history['months'])} ({history['seconds']} s): "
            + ", ".join(f"{n:,} {table}" for table, n in history["rows"].items())
        )
        emails = {**load_emails(1), "blocks": history["block_login"]}
        clients = {
            who: login(app, emails[who]) for who in ("operator", "admin", "client", "blocks")
        }
        with app.app_context():
            ids = page_ids(summary)
            for who in ("operator", "client"):
                clients[f"{who}-api"] = token_client(app, emails[who])
        counter = Counter()
        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", counter)
        print(f"{'page':<24}{'per_page':>9}{'p50 ms':>9}{'p95 ms':>9}{'statements':>12}")
        worst_p95, max_statements, constant = 0.0, 0, True
        for name, path, who, paginated in PAGES:
            seen = set()
            for size in PAGE_SIZES if paginated else (None,):
                target = path.format(**ids)
                if size:
                    target += f"{'&' if '?' in target else '?'}per_page={size}"
                p50, p95, statements = measure(clients[who], target, args.requests, counter)
                seen |= statements
                worst_p95 = max(worst_p95, p95)
                max_statements = max(max_statements, *statements)
                shown = "/".join(str(n) for n in sorted(statements))
                print(f"{name:<24}{size or '-':>9}{p50:>9.1f}{p95:>9.1f}{shown:>12}")
            constant = constant and len(seen) == 1
        if args.survey:
            survey(app, {k: c for k, c in clients.items() if not k.endswith("-api")}, counter, ids)
        event.remove(engine, "before_cursor_execute", counter)
        print(
            f"goals: p95 < {GOAL_P95_MS} ms, <= {GOAL_STATEMENTS} statements, constant in page "
            f"size: {'yes' if constant else 'NO'}"
        )
        print(f"pages: worst p95 {worst_p95:.1f} ms, max statements {max_statements}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
