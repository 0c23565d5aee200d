"""Load: 50 client threads post time entries to the live API; nothing is lost or made up.

Every request is recorded; afterwards the database must hold exactly the accepted entries
(ids, count and minutes), valid posts must all be accepted, every refusal must be the 4xx the
input deserves with a JSON error body, and no answer may be a 5xx.
"""

import os
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import TimeEntry
from tests.helpers import close_month, last_month_start, today
from tests.reliability.conftest import is_closed_refusal, is_postgres

pytestmark = pytest.mark.reliability

THREADS = 50
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "8"))
POOL_OVERFLOW = 5  # each request thread holds one connection: THREADS suffice, plus a margin
# Hours as people type them, with the minutes the API must store for each.
VALID_HOURS = {"0.25": 15, "0,5": 30, "1": 60, "1.5": 90, "1:30": 90, "2,25": 135, "0:45": 45}
BAD_HOURS = ["1.1", "25", "abc", "0", "2:20", "-1", "1e2", ""]
# What each kind of request must get: status and JSON error code (None: accepted).
EXPECTED = {
    "valid": (201, None),
    "bad_hours": (400, "validation"),
    "wrong_ticket": (404, "not_found"),
    "closed_period": (400, "validation"),  # or 409 period_closed: see is_closed_refusal
    "untracked": (400, "validation"),
}
KINDS = list(EXPECTED)
WEIGHTS = [70, 8, 7, 8, 7]


@dataclass(frozen=True)
class Shop:
    """Plain values the worker threads need (no ORM objects cross threads)."""

    tokens: list[str]
    tracked: list[int]
    untracked: list[int]
    missing_ticket: int
    open_days: list
    closed_days: list


@dataclass(frozen=True)
class Record:
    """One request and its answer."""

    kind: str
    status: int
    error: str | None
    fields: tuple
    entry_id: int | None
    minutes: int | None
    sent_minutes: int | None
    closed_refusal: bool


@pytest.fixture
def load_database(database_url):
    """PostgreSQL, the database the load test is about; SQLite only with LOAD_ON_SQLITE=1."""
    if not is_postgres(database_url) and os.environ.get("LOAD_ON_SQLITE") != "1":
        pytest.skip("the load test targets PostgreSQL (set LOAD_ON_SQLITE=1 to run it here)")
    return database_url


@pytest.fixture
def shop(load_database, f):
    """Four clients (package and hourly plans), tracked and untracked tickets, a closed month
    before last, and one operator with an API token per worker thread."""
    closed_day = last_month_start() - timedelta(days=10)
    start = closed_day.replace(day=1)
    plans = [
        f.plan("Package", hours=10, prices={"EUR": ("200.00", "60.00")}),
        f.plan("Hourly", model="hourly", hours=0, prices={"EUR": ("0", "75.00")}),
    ]
    tracked, untracked = [], []
    for index in range(4):
        client = f.client()
        f.subscription(client, plans[index % 2], start)
        tracked += [f.ticket(client).id for _ in range(3)]
        untracked.append(f.ticket(client, tracking=False).id)
    close_month(closed_day)
    tokens = [f.api_token(f.user("operator")) for _ in range(THREADS)]
    first_open = last_month_start()
    open_days = [first_open + timedelta(days=n) for n in range((today() - first_open).days + 1)]
    closed_first = closed_day.replace(day=1)
    closed_days = [closed_first + timedelta(days=n) for n in range(28)]
    db.session.commit()  # end the test's transaction: the server's writers must not wait on it
    return Shop(tokens, tracked, untracked, max(tracked + untracked) + 1000, open_days, closed_days)


def make_request(rng: random.Random, shop: Shop) -> tuple[str, int, dict, int | None]:
    """Pick a request kind and build it: (kind, ticket id, JSON body, minutes sent if valid)."""
    kind = rng.choices(KINDS, WEIGHTS)[0]
    hours = rng.choice(list(VALID_HOURS))
    body = {
        "hours": hours,
        "work_date": rng.choice(shop.open_days).isoformat(),
        "note": f"load {kind}",
        "billable": rng.random() < 0.8,
    }
    ticket = rng.choice(shop.tracked)
    if kind == "bad_hours":
        body["hours"] = rng.choice(BAD_HOURS)
    elif kind == "wrong_ticket":
        ticket = shop.missing_ticket
    elif kind == "closed_period":
        body["work_date"] = rng.choice(shop.closed_days).isoformat()
    elif kind == "untracked":
        ticket = rng.choice(shop.untracked)
    return kind, ticket, body, VALID_HOURS[hours] if kind == "valid" else None


def run_load(live, shop: Shop, seconds: float) -> tuple[list[Record], list[str], float, int]:
    """THREADS workers post for `seconds`; returns the records, transport errors, elapsed
    seconds and the most connections the server had checked out at once."""
    records: list[Record] = []
    failures: list[str] = []
    guard = threading.Lock()
    barrier = threading.Barrier(THREADS + 1)
    done = threading.Event()
    pool, peak = live.pool(), [0]

    def watch_pool() -> None:
        """Sample the server's checked-out connections until the load ends."""
        while not done.wait(0.02):
            peak[0] = max(peak[0], pool.checkedout())

    def worker(index: int) -> None:
        """Post until the deadline, recording every answer."""
        rng = random.Random(1000 + index)
        mine: list[Record] = []
        barrier.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            kind, ticket, body, sent = make_request(rng, shop)
            try:
                answer = live.request(
                    "POST", f"/tickets/{ticket}/time-entries", shop.tokens[index], body
                )
            except Exception as exc:  # noqa: BLE001 - every transport failure is reported
                with guard:
                    failures.append(f"{kind}: {exc!r}")
                continue
            data = answer.body if isinstance(answer.body, dict) else {}
            mine.append(
                Record(
                    kind,
                    answer.status,
                    data.get("error"),
                    tuple(sorted(data.get("fields", {}))),
                    data.get("id") if answer.status == 201 else None,
                    data.get("minutes") if answer.status == 201 else None,
                    sent,
                    is_closed_refusal(answer.status, answer.body, body["work_date"][:7]),
                )
            )
        with guard:
            records.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    watcher = threading.Thread(target=watch_pool)
    for thread in [*threads, watcher]:
        thread.start()
    barrier.wait()
    began = time.monotonic()
    for thread in threads:
        thread.join(seconds + 120)
    elapsed = time.monotonic() - began
    done.set()
    watcher.join(10)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return records, failures, elapsed, peak[0]


def test_fifty_threads_posting_time_lose_nothing_and_never_fail(shop, live_server):
    live = live_server(pool_size=THREADS, max_overflow=POOL_OVERFLOW)
    records, failures, elapsed, peak = run_load(live, shop, LOAD_SECONDS)

    assert failures == []
    statuses = Counter(r.status for r in records)
    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}"
    wrong = [
        r
        for r in records
        if (r.status, r.error) != EXPECTED[r.kind]
        and not (r.kind == "closed_period" and r.closed_refusal)
    ]
    assert wrong == [], f"{len(wrong)} unexpected answers, e.g. {wrong[:5]}"
    refused = [r for r in records if r.status != 201]
    assert all(400 <= r.status < 500 and r.error for r in refused)
    field_of = {"bad_hours": ("hours",), "untracked": ("hours",)}
    assert all(r.fields == field_of[r.kind] for r in refused if r.kind in field_of)
    assert all(r.closed_refusal for r in refused if r.kind == "closed_period")
    accepted = [r for r in records if r.status == 201]
    assert accepted and refused, "the mix must produce both acceptances and refusals"
    assert all(r.minutes == r.sent_minutes for r in accepted)

    db.session.commit()  # a fresh snapshot of what the server committed
    stored = dict(db.session.execute(db.select(TimeEntry.id, TimeEntry.minutes)).all())
    accepted_minutes = sum(r.minutes for r in accepted)
    assert sorted(stored) == sorted(r.entry_id for r in accepted)
    assert len(stored) == len(accepted)
    assert sum(stored.values()) == accepted_minutes

    by_status = ", ".join(f"{s}={n}" for s, n in sorted(statuses.items()) if s != 201)
    print(
        f"\nload: threads={THREADS} seconds={elapsed:.1f} requests={len(records)} "
        f"req/s={len(records) / elapsed:.0f} accepted={len(accepted)} refused={len(refused)} "
        f"({by_status}) minutes db={sum(stored.values())} accepted={accepted_minutes} "
        f"hours={accepted_minutes / 60:.2f} reconciled; peak connections={peak} "
        f"(pool {THREADS}+{POOL_OVERFLOW})"
    )
