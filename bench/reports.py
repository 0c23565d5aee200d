"""Reports and search benchmark: the hours report's pages and CSV, and ticket search.

    python bench/reports.py --db sqlite|postgresql [--clients 10000] [--tickets 100000]
        [--entries 1000000] [--requests 100]

Builds a scratch database (bench/common.py) loaded by `seed_load` as bench/pages.py does
(every client active in last month; ticket messages name one of 20 topics, so a topic is in
1 of 20 tickets), logs in an operator through the real login form and times, in process:
the hours report (last month to this month) by month at 50 and 200 a page, its first and a
middle page, by client and by operator; its CSV (time to the first row, time to the end,
size); and searches for a topic in the queue and the API at 25 and 200 a page. Ends with one
line: `reports: worst p95 X ms, largest page N KB, max statements N`.
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import scratch_app  # noqa: E402
from pages import Counter, last_month, login, measure, seed, token_client  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

from portal.extensions import db  # noqa: E402
from portal.seeding.load import load_emails  # noqa: E402
from portal.services.billing.periods import period_of  # noqa: E402
from portal.services.settings import business_today  # noqa: E402

GOAL_REPORT_MS = 200
GOAL_SEARCH_MS = 60
GOAL_PAGE_KB = 200


def parse_args(argv=None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in last month")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per page")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    args = parser.parse_args(argv)
    # What bench/pages.py's seed() reads.
    args.big_client_tickets, args.current_entries = min(2_000, args.tickets // 20), 2_000
    # No closed months before (bench/pages.py's seed_history): the report's own load only.
    args.history_months, args.history_entries = 0, None
    return args


def csv_download(client, url: str) -> tuple[float, float, int, int]:
    """ms to the first row, ms to the end, bytes and lines of a streamed CSV."""
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, url
    chunks = iter(response.response)
    first = next(chunks)
    first_ms = (time.perf_counter() - started) * 1000
    size, lines = len(first), first.count(b"\n")
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n")
    response.close()
    return first_ms, (time.perf_counter() - started) * 1000, size, lines


def main(argv=None) -> int:
    """Build, load, measure, print; drop the database unless --keep."""
    args = parse_args(argv)
    with scratch_app(args, seed) as (_url, app, summary):
        print(
            f"db {args.db}: {args.clients:,} clients, {args.tickets:,} tickets, "
            f"{args.entries:,} entries in {summary['period']}; loaded in "
            f"{summary['load_seconds']} s"
        )
        with app.app_context():
            kept, logged = db.session.execute(
                text(
                    "SELECT (SELECT sum(minutes) FROM hours_summary), "
                    "(SELECT sum(minutes) FROM time_entry)"
                )
            ).one()
        if kept != logged:
            raise SystemExit(
                f"the report's sums ({kept} minutes) differ from the entries ({logged})"
            )
        print(f"the report's sums = the entries' minutes: {logged:,}")
        emails = load_emails(1)
        operator = login(app, emails["operator"])
        with app.app_context():
            api = token_client(app, emails["operator"])
            engine = db.engine
            span = f"from={last_month()}&to={period_of(business_today())}"
        report = f"/admin/reports/hours?{span}"
        pages = [  # (name, per page, URL, who)
            ("hours by month", 50, report, operator),
            ("hours by month", 200, f"{report}&per_page=200", operator),
            ("hours by month, page 25", 200, f"{report}&per_page=200&page=25", operator),
            ("hours by client", 200, f"{report}&by=client&per_page=200", operator),
            ("hours by operator", 200, f"{report}&by=operator&per_page=200", operator),
            ("hours of one client", 50, f"{report}&client=client+00042", operator),
            ("queue search, 1 in 20", 25, "/admin/?q=firewall&per_page=25", operator),
            ("queue search, 1 in 20", 200, "/admin/?q=firewall&per_page=200", operator),
            ("API search, 1 in 20", 25, "/api/v1/tickets?q=firewall&per_page=25", api),
            ("API search, 1 in 20", 200, "/api/v1/tickets?q=firewall&per_page=200", api),
        ]
        counter = Counter()
        event.listen(engine, "before_cursor_execute", counter)
        print(f"{'page':<26}{'per_page':>9}{'p50 ms':>9}{'p95 ms':>9}{'KB':>8}{'statements':>12}")
        worst_report = worst_search = 0.0
        largest, max_statements = 0, 0
        for name, per_page, target, client in pages:
            p50, p95, statements = measure(client, target, args.requests, counter)
            size = len(client.get(target).get_data())
            shown = "/".join(str(n) for n in sorted(statements))
            print(f"{name:<26}{per_page:>9}{p50:>9.1f}{p95:>9.1f}{size / 1024:>8.1f}{shown:>12}")
            max_statements = max(max_statements, *statements)
            if target.startswith("/admin/reports"):
                worst_report = max(worst_report, p95)
                largest = max(largest, size)
            else:
                worst_search = max(worst_search, p95)
        csv_url = f"/admin/reports/hours.csv?{span}"
        csv_download(operator, csv_url)
        first_ms, total_ms, size, lines = csv_download(operator, csv_url)
        event.remove(engine, "before_cursor_execute", counter)
        print(
            f"hours CSV: first row after {first_ms:.1f} ms, {lines - 1:,} rows, "
            f"{size / 1024:.0f} KB in {total_ms:.0f} ms"
        )
        print(
            f"goals: report p95 < {GOAL_REPORT_MS} ms: {worst_report:.1f}; page < "
            f"{GOAL_PAGE_KB} KB: {largest / 1024:.1f}; search p95 < {GOAL_SEARCH_MS} ms: "
            f"{worst_search:.1f}"
        )
        print(
            f"reports: worst p95 {max(worst_report, worst_search):.1f} ms, largest page "
            f"{largest / 1024:.0f} KB, max statements {max_statements}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
