"""A month closed through the API while many threads keep posting time dated in it.

Each entry must land either before the close (and be billed) or after it (and be refused as
a closed month): none may be stored unbilled, none may be billed twice, nothing may fail.
"""

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Subscription, TimeEntry, UsageRecord
from portal.services.billing.periods import period_bounds, period_of
from tests.helpers import last_month_start
from tests.reliability.conftest import is_closed_refusal

pytestmark = pytest.mark.reliability

POSTERS = 12
REFUSALS_EACH = 3  # a poster stops after this many refusals: the close is then surely done
WARM_UP_ENTRIES = 40  # accepted entries before the close is sent
INCLUDED_MINUTES = 600
HOURS = {"0.25": 15, "0.5": 30, "1": 60, "1:30": 90, "2,25": 135}


@dataclass(frozen=True)
class Race:
    """Plain values for the threads: the period, its days, tickets and tokens."""

    period: str
    days: list
    tickets: list[int]
    tokens: list[str]
    admin_token: str
    package_subscription: int


@pytest.fixture
def race(f):
    """Last month open; a package client and two hourly clients subscribed since before it."""
    period = period_of(last_month_start())
    first, last = period_bounds(period)
    start = (first - timedelta(days=1)).replace(day=1)
    package = f.plan("Package", hours=INCLUDED_MINUTES // 60, prices={"EUR": ("200.00", "60.00")})
    hourly = f.plan("Hourly", model="hourly", hours=0, prices={"EUR": ("0", "75.00")})
    tickets, subscriptions = [], []
    for plan in (package, hourly, hourly):
        client = f.client()
        subscriptions.append(f.subscription(client, plan, start).id)
        tickets += [f.ticket(client).id for _ in range(2)]
    race = Race(
        period,
        [first + timedelta(days=n) for n in range((last - first).days + 1)],
        tickets,
        [f.api_token(f.user("operator")) for _ in range(POSTERS)],
        f.api_token(f.user("admin")),
        subscriptions[0],
    )
    db.session.commit()  # end the test's transaction before the server starts writing
    return race


def run_race(live, race: Race):
    """Posters hammer the period; once enough entries are in, the admin closes it."""
    answers: list[tuple[int, object, int, float]] = []
    failures: list[str] = []
    guard = threading.Lock()
    warmed = threading.Event()
    deadline = time.monotonic() + 45

    def poster(index: int) -> None:
        """Post until this poster has seen REFUSALS_EACH refusals (or the deadline)."""
        rng = random.Random(index)
        refusals = 0
        while refusals < REFUSALS_EACH and time.monotonic() < deadline:
            hours = rng.choice(list(HOURS))
            body = {"hours": hours, "work_date": rng.choice(race.days).isoformat()}
            path = f"/tickets/{rng.choice(race.tickets)}/time-entries"
            sent_at = time.monotonic()
            try:
                answer = live.request("POST", path, race.tokens[index], body)
            except Exception as exc:  # noqa: BLE001 - every transport failure is reported
                with guard:
                    failures.append(repr(exc))
                return
            refusals += answer.status != 201
            with guard:
                answers.append((answer.status, answer.body, HOURS[hours], sent_at))
                if sum(1 for a in answers if a[0] == 201) >= WARM_UP_ENTRIES:
                    warmed.set()

    threads = [threading.Thread(target=poster, args=(i,)) for i in range(POSTERS)]
    for thread in threads:
        thread.start()
    assert warmed.wait(30), f"posters did not warm up: {Counter(a[0] for a in answers)}"
    began = time.monotonic()
    close = live.request("POST", f"/billing/periods/{race.period}/close", race.admin_token)
    ended = time.monotonic()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a poster hung"
    return answers, failures, close, (began, ended)


def test_close_racing_time_posts_bills_every_stored_entry_and_refuses_the_rest(live_server, race):
    live = live_server(pool_size=POSTERS + 2, max_overflow=5)
    answers, failures, close, (began, ended) = run_race(live, race)

    assert failures == []
    assert close.status == 200, close.body
    assert close.body["already_closed"] is False
    accepted = [(body, sent) for status, body, sent, _at in answers if status == 201]
    refused = [(status, body) for status, body, _sent, _at in answers if status != 201]
    assert all(body["minutes"] == sent for body, sent in accepted)
    assert len(refused) >= POSTERS * REFUSALS_EACH and accepted
    odd = [r for r in refused if not is_closed_refusal(*r, race.period)]
    assert odd == [], f"refusals other than a closed month: {odd[:5]}"

    db.session.commit()  # a fresh snapshot of what the server committed
    first, last = period_bounds(race.period)
    closed_at = db.session.scalar(db.select(BillingPeriod.closed_at).filter_by(period=race.period))
    entries = db.session.execute(
        db.select(
            TimeEntry.id, TimeEntry.subscription_id, TimeEntry.minutes, TimeEntry.created_at
        ).where(TimeEntry.work_date.between(first, last))
    ).all()
    assert sorted(e.id for e in entries) == sorted(body["id"] for body, _sent in accepted)
    late = [e for e in entries if e.created_at >= closed_at]
    assert late == [], "entries stored after the close are unbilled"

    stored = defaultdict(int)
    for entry in entries:
        stored[entry.subscription_id] += entry.minutes
    usage = dict(
        db.session.execute(db.select(UsageRecord.subscription_id, UsageRecord.used_minutes)).all()
    )
    subscriptions = set(db.session.scalars(db.select(Subscription.id)))
    assert usage == {sub: stored[sub] for sub in subscriptions}
    items = {
        (item.subscription_id, item.kind): item.minutes
        for item in db.session.scalars(db.select(BillableItem))
    }
    expected_items = {}
    for sub in subscriptions:
        if sub == race.package_subscription:
            expected_items[(sub, "package_fee")] = INCLUDED_MINUTES
            if stored[sub] > INCLUDED_MINUTES:
                expected_items[(sub, "overtime")] = stored[sub] - INCLUDED_MINUTES
        elif stored[sub]:
            expected_items[(sub, "hourly")] = stored[sub]
    assert items == expected_items
    billed = sum(usage.values())
    assert billed == sum(body["minutes"] for body, _sent in accepted)
    statuses = Counter(status for status, _body in refused)
    # Posts sent while the close request was under way: they raced it one way or the other.
    during = Counter(status == 201 for status, _b, _s, at in answers if began <= at < ended)
    print(
        f"\nclose race: posters={POSTERS} posts={len(answers)} accepted={len(accepted)} "
        f"refused={len(refused)} ({', '.join(f'{s}={n}' for s, n in sorted(statuses.items()))}"
        f" closed month) stored={len(entries)} billed minutes={billed} hours={billed / 60:.2f} "
        f"items={len(items)} close took {ended - began:.2f}s; posts sent during the close: "
        f"{during[True]} landed before it, {during[False]} refused after it"
    )
