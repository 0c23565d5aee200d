"""SPEC.md "More ways to sell hours", derived cases: the cap, carry-over expiring, a prorated
first month, a cancellation, blocks expiring, several blocks or layers at once, top-ups and
`refuse`, a block bought with the first entry, re-closing and racing closes, the close's
statement count, the live estimate against the bill, and the usage alerts.

Every case goes through the services (log_time, top_up, close_period) and checks exact
minutes and amounts. Today is the real clock's date (2026-12-07 when written): the months
up to 2026-11 are past, so they can be closed.
"""

from datetime import date
from decimal import Decimal

import pytest

from portal.database import write_intent
from portal.extensions import db
from portal.models import (
    BillableItem,
    BillingPeriod,
    HourPool,
    Invoice,
    OutboxMessage,
    PoolUse,
    Subscription,
    TimeEntry,
    UsageRecord,
)
from portal.services.billing.close import close_period
from portal.services.billing.periods import period_of
from portal.services.clients.blocks import top_up
from portal.services.clients.usage import client_usage, usage_history
from portal.services.errors import ValidationFailed
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import amounts_by_kind as amounts
from tests.helpers import (
    at_once,
    count,
    empty_all_tables,
    last_month_day,
    last_month_start,
    statements_run,
)
from tests.helpers import close_committed as close

# --- helpers ------------------------------------------------------------------------------


def log(ticket, operator, minutes, day, billable=True, **kw):
    """Log minutes through the service (in entries of at most 24 h) and commit."""
    while minutes:
        chunk = min(minutes, 1440)
        log_time(ticket, operator, TimeInput(chunk, day, "", billable), **kw)
        minutes -= chunk
    db.session.commit()


def record(subscription, period) -> dict[str, int]:
    """A closed month's usage record of a subscription, as minutes by name."""
    row = db.session.scalar(
        db.select(UsageRecord)
        .join(BillingPeriod, BillingPeriod.id == UsageRecord.period_id)
        .where(UsageRecord.subscription_id == subscription.id, BillingPeriod.period == period)
    )
    return {
        "included": row.included_minutes,
        "used": row.used_minutes,
        "overtime": row.overtime_minutes,
        "carried_in": row.carried_in_minutes,
        "carry_used": row.carry_used_minutes,
        "carried_out": row.carried_out_minutes,
        "block_in": row.block_in_minutes,
        "block_used": row.block_used_minutes,
    }


def pools(subscription, kind=None) -> list[tuple[int, date, date]]:
    """The subscription's pools as (minutes, valid from, valid until), oldest first."""
    query = db.select(HourPool).filter_by(subscription_id=subscription.id).order_by(HourPool.id)
    if kind:
        query = query.filter_by(kind=kind)
    return [(p.minutes, p.valid_from, p.valid_until) for p in db.session.scalars(query)]


def uses(period) -> list[tuple[int, int]]:
    """What a closed month used of each pool, as (pool id, minutes) in pool order."""
    return list(
        db.session.execute(
            db.select(PoolUse.pool_id, PoolUse.minutes)
            .join(BillingPeriod, BillingPeriod.id == PoolUse.period_id)
            .where(BillingPeriod.period == period)
            .order_by(PoolUse.pool_id)
        ).all()
    )


def pool_ids(subscription) -> list[int]:
    """The subscription's pool ids, oldest first."""
    return list(
        db.session.scalars(
            db.select(HourPool.id).filter_by(subscription_id=subscription.id).order_by(HourPool.id)
        )
    )


def flex_plan(f, name="Flex", **terms):
    """A package of 10 h, EUR 300.00 a month and 80.00 an hour, prorating, with `terms`."""
    return f.plan(name, hours=10, prices={"EUR": ("300.00", "80.00")}, **terms)


def block_plan(f, name="Block5", hours=5, **terms):
    """A block plan of `hours` at EUR 250.00 a block and 70.00 an hour (`terms`: validity,
    when_used_up)."""
    terms.setdefault("validity_months", 3)
    return f.plan(
        name,
        model="block",
        prices={"EUR": ("250.00", "70.00")},
        block_minutes=hours * 60,
        **terms,
    )


@pytest.fixture
def desk(f):
    """A client (EUR) with a ticket, and an operator."""
    client = f.client("Casey", currency_code="EUR")
    return client, f.ticket(client), f.user("operator")


FEE = {"package_fee": Decimal("300.00")}

# --- rollover -------------------------------------------------------------------------------


def test_the_cap_cuts_the_carry_so_the_unexpired_carry_into_next_month_stays_within_it(f, desk):
    """10 h, rollover 2 months, cap 5 h. August 2 h: 8 h unused, 5 h carry (the cap).
    September 1 h, from August's carry (4 h of it left, valid in October): 10 h unused, cut
    to 1 h, so 5 h go into October. October nothing: August's 4 h expire with it, September's
    1 h does not, so October carries 4 h. November 16 h: 5 h carry (1 h expiring first, then
    4 h) + 10 h included + 1 h overtime (80.00)."""
    client, ticket, operator = desk
    plan = flex_plan(f, rollover_months=2, rollover_cap_minutes=300)
    sub = f.subscription(client, plan, date(2026, 8, 1))
    log(ticket, operator, 120, date(2026, 8, 5))
    assert amounts(close("2026-08")) == FEE
    log(ticket, operator, 60, date(2026, 9, 5))
    assert amounts(close("2026-09")) == FEE
    assert amounts(close("2026-10")) == FEE
    log(ticket, operator, 960, date(2026, 11, 5))
    assert amounts(close("2026-11")) == FEE | {"overtime": Decimal("80.00")}

    months = {p: record(sub, p) for p in ("2026-08", "2026-09", "2026-10", "2026-11")}
    picked = ("used", "carried_in", "carry_used", "carried_out", "overtime")
    assert {p: tuple(r[k] for k in picked) for p, r in months.items()} == {
        "2026-08": (120, 0, 0, 300, 0),
        "2026-09": (60, 300, 60, 60, 0),
        "2026-10": (0, 300, 0, 240, 0),
        "2026-11": (960, 300, 300, 0, 60),
    }
    assert pools(sub) == [
        (300, date(2026, 9, 1), date(2026, 10, 31)),
        (60, date(2026, 10, 1), date(2026, 11, 30)),
        (240, date(2026, 11, 1), date(2026, 12, 31)),
    ]
    # Going into each month, the unexpired carry-over never exceeds the cap.
    assert all(r["carried_in"] <= 300 for r in months.values())


def test_a_carry_left_unused_expires_after_its_rollover_months(f, desk):
    """Rollover 1 month. September 6 h: 4 h carry, valid in October only. October nothing:
    the 4 h expire, October's own 10 h carry into November. November 25 h: 10 h carry + 10 h
    included + 5 h overtime (400.00); September's 4 h would have made it 1 h."""
    client, ticket, operator = desk
    sub = f.subscription(client, flex_plan(f, rollover_months=1), date(2026, 9, 1))
    log(ticket, operator, 360, date(2026, 9, 10))
    close("2026-09")
    assert amounts(close("2026-10")) == FEE
    log(ticket, operator, 1500, date(2026, 11, 10))
    assert amounts(close("2026-11")) == FEE | {"overtime": Decimal("400.00")}
    assert record(sub, "2026-10")["carried_in"] == 240
    assert record(sub, "2026-10")["carry_used"] == 0
    assert record(sub, "2026-11") == {
        "included": 600,
        "used": 1500,
        "overtime": 300,
        "carried_in": 600,
        "carry_used": 600,
        "carried_out": 0,
        "block_in": 0,
        "block_used": 0,
    }
    [november] = usage_history(client, ["2026-11"])
    assert [(c["from_period"], c["minutes"]) for c in november.carry_overs] == [("2026-10", 600)]


def test_rollover_with_a_prorated_first_month_carries_what_the_prorated_hours_leave(f, desk):
    """The worked example's September (from 09-11: 405 min included, fee 20/30 of 300.00 =
    200.00) with 5 h used carries 105 min into October; October 12 h: 1:45 carry + 10 h
    included + 0:15 overtime (20.00)."""
    client, ticket, operator = desk
    sub = f.subscription(client, flex_plan(f, rollover_months=1), date(2026, 9, 11))
    log(ticket, operator, 300, date(2026, 9, 14))
    assert amounts(close("2026-09")) == {"package_fee": Decimal("200.00")}
    assert record(sub, "2026-09")["included"] == 405
    assert record(sub, "2026-09")["carried_out"] == 105
    assert pools(sub) == [(105, date(2026, 10, 1), date(2026, 10, 31))]
    log(ticket, operator, 720, date(2026, 10, 14))
    assert amounts(close("2026-10")) == FEE | {"overtime": Decimal("20.00")}
    assert record(sub, "2026-10")["carry_used"] == 105
    assert record(sub, "2026-10")["overtime"] == 15


def test_a_subscription_ending_in_a_month_leaves_no_carry(f, desk):
    """Ending on 09-30: September leaves nothing, though 8 h are unused. Ending on 10-15:
    September's carry is valid to 10-15 only, and October (billed in full) leaves none."""
    client, ticket, operator = desk
    plan = flex_plan(f, rollover_months=3)
    ended = f.subscription(client, plan, date(2026, 8, 1))
    f.update(ended, end_date=date(2026, 9, 30))
    other = f.client("Other", currency_code="EUR")
    ending = f.subscription(other, plan, date(2026, 8, 1))
    f.update(ending, end_date=date(2026, 10, 15))
    other_ticket = f.ticket(other)
    for t in (ticket, other_ticket):
        log(t, operator, 120, date(2026, 9, 10))
    close("2026-08")
    close("2026-09")
    assert record(ended, "2026-09")["carried_out"] == 0
    # August's 10 h carry is valid in September; it was used first, so September leaves 10 h.
    assert record(ending, "2026-09")["carry_used"] == 120
    assert pools(ended, "carry") == [(600, date(2026, 9, 1), date(2026, 9, 30))]
    assert pools(ending, "carry") == [
        (600, date(2026, 9, 1), date(2026, 10, 15)),
        (600, date(2026, 10, 1), date(2026, 10, 15)),
    ]
    log(other_ticket, operator, 60, date(2026, 10, 5))
    october = close("2026-10")
    assert amounts(october) == FEE  # only the subscription still running, billed in full
    assert record(ending, "2026-10")["carried_out"] == 0
    assert record(ending, "2026-10")["carried_in"] == 1080  # 8 h of August's + 10 h
    assert close("2026-11").item_count == 0
    assert count(HourPool) == 3


# --- blocks ---------------------------------------------------------------------------------


def test_a_block_expiring_with_hours_left_is_not_used_after_it(f, desk):
    """A 5 h block for 1 month bought on 09-01 is valid to 09-30. September 2 h (3 h left);
    October 2 h: no block is valid, so 2 h x 70.00 = 140.00."""
    client, ticket, operator = desk
    sub = f.subscription(client, block_plan(f, validity_months=1), date(2026, 9, 1))
    assert pools(sub) == [(300, date(2026, 9, 1), date(2026, 9, 30))]
    log(ticket, operator, 120, date(2026, 9, 10))
    assert amounts(close("2026-09")) == {}
    log(ticket, operator, 120, date(2026, 10, 10))
    assert amounts(close("2026-10")) == {"overtime": Decimal("140.00")}
    assert record(sub, "2026-10")["block_in"] == 0
    assert record(sub, "2026-10")["overtime"] == 120
    assert uses("2026-10") == []
    [october] = usage_history(client, ["2026-10"])
    assert october.blocks == []


def test_two_blocks_valid_in_a_month_the_one_expiring_first_is_used_first(f, desk):
    """Block A (5 h, 08-10 to 11-09), top-up B on 09-05 (to 12-04). August 1 h; September
    6 h: A's 4 h first, then 2 h of B. October 2 h: from B (A is empty)."""
    client, ticket, operator = desk
    sub = f.subscription(client, block_plan(f), date(2026, 8, 10))
    log(ticket, operator, 60, date(2026, 8, 20))
    close("2026-08")
    pool, invoice = top_up(sub, date(2026, 9, 5))
    db.session.commit()
    assert invoice.net_total == Decimal("250.00")
    first, second = pool_ids(sub)
    assert pool.id == second
    log(ticket, operator, 360, date(2026, 9, 6))
    assert amounts(close("2026-09")) == {}
    assert uses("2026-09") == [(first, 240), (second, 120)]
    assert record(sub, "2026-09")["block_in"] == 540
    assert record(sub, "2026-09")["block_used"] == 360
    log(ticket, operator, 120, date(2026, 10, 6))
    assert amounts(close("2026-10")) == {}
    assert uses("2026-10") == [(second, 120)]
    [october] = usage_history(client, ["2026-10"])
    assert [(b["minutes"], b["used_minutes"], b["left_minutes"]) for b in october.blocks] == [
        (300, 300, 0),
        (300, 240, 60),
    ]


def test_a_top_up_in_the_month_the_first_block_ran_out_covers_that_whole_month(f, desk):
    """Block 5 h from 09-01. September 5 h: used up. October 3 h on 10-03, top-up on
    10-20: the new block is valid on a day of October, so it covers the month; no
    overtime (210.00 without it)."""
    client, ticket, operator = desk
    sub = f.subscription(client, block_plan(f), date(2026, 9, 1))
    log(ticket, operator, 300, date(2026, 9, 2))
    close("2026-09")
    log(ticket, operator, 180, date(2026, 10, 3))
    assert client_usage(client, "2026-10").overtime_amount == Decimal("210.00")
    top_up(sub, date(2026, 10, 20))
    db.session.commit()
    assert client_usage(client, "2026-10").overtime_amount == Decimal(0)
    assert amounts(close("2026-10")) == {}
    first, second = pool_ids(sub)
    assert uses("2026-10") == [(second, 180)]
    assert record(sub, "2026-10")["block_in"] == 300  # the empty block adds nothing
    fees = db.session.scalars(
        db.select(BillableItem.amount).filter_by(kind="block_fee").order_by(BillableItem.id)
    ).all()
    assert fees == [Decimal("250.00"), Decimal("250.00")]


@pytest.fixture
def refusing(f, desk):
    """A `refuse` block plan of 5 h, 1 month, from 11-02, with 4 h logged on 11-03."""
    client, ticket, operator = desk
    plan = block_plan(f, "Block5 refuse", validity_months=1, when_used_up="refuse")
    sub = f.subscription(client, plan, date(2026, 11, 2))
    log(ticket, operator, 240, date(2026, 11, 3))
    return sub, ticket, operator


def test_refuse_without_a_top_up_turns_the_time_away_and_keeps_nothing(refusing):
    _sub, ticket, operator = refusing
    with pytest.raises(ValidationFailed) as refused:
        log_time(ticket, operator, TimeInput(120, date(2026, 11, 4), "", True))
    db.session.rollback()
    assert "used up" in refused.value.fields["hours"]
    assert "5.00 h available, 6.00 h billable" in refused.value.fields["hours"]
    assert (count(TimeEntry), count(HourPool), count(Invoice)) == (1, 1, 1)
    log(ticket, operator, 60, date(2026, 11, 4))  # exactly the block: accepted
    assert count(TimeEntry) == 2


def test_refuse_with_a_top_up_in_the_same_submit_takes_the_time(refusing):
    sub, ticket, operator = refusing
    log(ticket, operator, 120, date(2026, 11, 4), top_up=True)
    assert (count(TimeEntry), count(HourPool), count(Invoice)) == (2, 2, 2)
    assert pools(sub) == [
        (300, date(2026, 11, 2), date(2026, 12, 1)),
        (300, date(2026, 11, 4), date(2026, 12, 3)),
    ]
    assert amounts(close("2026-11")) == {}
    assert record(sub, "2026-11")["block_in"] == 600
    assert record(sub, "2026-11")["block_used"] == 360


def test_refuse_with_a_top_up_that_is_not_enough_buys_nothing(refusing):
    """4 h logged + 7 h > 5 h + 5 h: refused, and the top-up of the same submit with it."""
    _sub, ticket, operator = refusing
    with pytest.raises(ValidationFailed):
        log_time(ticket, operator, TimeInput(420, date(2026, 11, 4), "", True), top_up=True)
    db.session.rollback()
    assert (count(TimeEntry), count(HourPool), count(Invoice), count(BillableItem)) == (1, 1, 1, 1)


def test_a_block_bought_on_the_spot_with_the_first_entry(f, desk):
    """log_time(assign=block plan): the subscription from the work date, its first block
    (250.00 on an invoice of its own) and the entry, in one transaction."""
    client, ticket, operator = desk
    plan = block_plan(f)
    entry = log_time(ticket, operator, TimeInput(90, date(2026, 11, 16), "", True), assign=plan)
    db.session.commit()
    sub = db.session.scalar(db.select(Subscription).filter_by(client_id=client.id))
    assert (sub.start_date, entry.subscription_id) == (date(2026, 11, 16), sub.id)
    assert pools(sub) == [(300, date(2026, 11, 16), date(2027, 2, 15))]
    [item] = db.session.scalars(db.select(BillableItem)).all()
    assert (item.kind, item.amount, item.minutes, item.work_date) == (
        "block_fee",
        Decimal("250.00"),
        300,
        date(2026, 11, 16),
    )
    invoice = db.session.get(Invoice, item.invoice_id)
    assert invoice.net_total == Decimal("250.00") and invoice.period_id is None
    assert client_usage(client, "2026-11").block_left_minutes == 210
    assert amounts(close("2026-11")) == {}  # the block fee is never billed again


def test_a_refused_first_entry_leaves_no_plan_block_or_invoice(f, desk):
    client, ticket, operator = desk
    plan = block_plan(f, "Block5 refuse", validity_months=1, when_used_up="refuse")
    with pytest.raises(ValidationFailed):
        log_time(ticket, operator, TimeInput(360, date(2026, 11, 16), "", True), assign=plan)
    db.session.rollback()
    counted = (Subscription, HourPool, BillableItem, Invoice, TimeEntry)
    assert [count(model) for model in counted] == [0, 0, 0, 0, 0]


# --- several layers, re-closing, racing --------------------------------------------------


def test_rollover_of_two_months_uses_the_layer_expiring_soonest_first(f, desk):
    """Rollover 2 months, no cap. August 4 h: A = 6 h (Sep-Oct). September nothing: B = 10 h
    (Oct-Nov). October 8 h: A's 6 h, then 2 h of B; C = 10 h (Nov-Dec). November 20 h: B's
    8 h, C's 10 h, 2 h of November's own: 8 h carry into December. No overtime."""
    client, ticket, operator = desk
    sub = f.subscription(client, flex_plan(f, rollover_months=2), date(2026, 8, 1))
    log(ticket, operator, 240, date(2026, 8, 3))
    close("2026-08")
    close("2026-09")
    log(ticket, operator, 480, date(2026, 10, 3))
    close("2026-10")
    log(ticket, operator, 1200, date(2026, 11, 3))
    assert amounts(close("2026-11")) == FEE
    a, b, c, d = pool_ids(sub)
    assert pools(sub) == [
        (360, date(2026, 9, 1), date(2026, 10, 31)),
        (600, date(2026, 10, 1), date(2026, 11, 30)),
        (600, date(2026, 11, 1), date(2026, 12, 31)),
        (480, date(2026, 12, 1), date(2027, 1, 31)),
    ]
    assert uses("2026-09") == []
    assert uses("2026-10") == [(a, 360), (b, 120)]
    assert uses("2026-11") == [(b, 480), (c, 600)]
    assert record(sub, "2026-11")["carried_in"] == 1080
    assert record(sub, "2026-11")["carried_out"] == 480


@pytest.fixture
def pooled(f, desk):
    """A rollover client (Flex, 1 month, from 09-01) and a block client (Block5, from 09-01),
    with time in September and October."""
    client, ticket, operator = desk
    rolling = f.subscription(client, flex_plan(f, rollover_months=1), date(2026, 9, 1))
    buyer = f.client("Blocky", currency_code="EUR")
    blocks = f.subscription(buyer, block_plan(f), date(2026, 9, 1))
    buyer_ticket = f.ticket(buyer)
    for t, minutes in ((ticket, 360), (buyer_ticket, 120)):
        log(t, operator, minutes, date(2026, 9, 10))
    for t, minutes in ((ticket, 720), (buyer_ticket, 240)):
        log(t, operator, minutes, date(2026, 10, 10))
    return {"rolling": rolling, "blocks": blocks, "client": client, "buyer": buyer}


def _pool_rows() -> tuple[int, ...]:
    """Rows the close writes and reads again."""
    models = (BillingPeriod, UsageRecord, BillableItem, Invoice, HourPool, PoolUse)
    return tuple(count(model) for model in models)


def test_reclosing_a_month_with_pools_is_idempotent(pooled):
    first = close("2026-09")
    before = _pool_rows()
    second = close("2026-09")
    assert (first.already_closed, second.already_closed) == (False, True)
    assert (second.item_count, second.invoice_count) == (first.item_count, first.invoice_count)
    assert _pool_rows() == before
    # 1 period, 2 records, the block fee and the package fee, each on its invoice, the block
    # and September's carry, one use of the block.
    assert before == (1, 2, 2, 2, 2, 1)


def test_eight_concurrent_closes_with_pools_bill_once(app, pooled):
    """September closed; eight closes of October race: one bills it, seven find it closed.
    One set of items, usage records, uses of the pools and carry-overs."""
    close("2026-09")
    before = _pool_rows()

    def closer():
        with write_intent():
            result = close_period("2026-10")
            db.session.commit()
            return result.already_closed

    results = at_once(app, closer)
    assert sorted(results) == [False] + [True] * 7
    # + 1 period, 2 records, 2 items (a package fee, block overtime) on 2 invoices, 1
    # carry-over, 2 uses (the carry, the block).
    assert _pool_rows() == tuple(
        n + extra for n, extra in zip(before, (1, 2, 2, 2, 1, 2), strict=True)
    )
    rolling = record(pooled["rolling"], "2026-10")
    assert (rolling["carry_used"], rolling["carried_out"], rolling["overtime"]) == (240, 120, 0)
    assert record(pooled["blocks"], "2026-10")["block_used"] == 180  # 3 h left of 5 h
    assert record(pooled["blocks"], "2026-10")["overtime"] == 60


def _close_statements_with_pools(f, clients: int) -> tuple[int, int]:
    """As test_close.py's: statements of last month's close with `clients` clients, every
    other one on a rollover package (a fee, half an hour carried over) and the rest on a
    block plan (1 h from the block, 0:45 h overtime); items."""
    rolling = f.plan(hours=1, rollover_months=2, rollover_cap_minutes=120)
    blocks = f.plan(
        model="block", prices={"EUR": ("250.00", "70.00")}, block_minutes=60, validity_months=2
    )
    operator = f.user("operator")
    for n in range(clients):
        client = f.client()
        f.subscription(client, rolling if n % 2 else blocks, last_month_start())
        ticket = f.ticket(client)
        for minutes in (15, 15) if n % 2 else (60, 45):
            log_time(ticket, operator, TimeInput(minutes, last_month_day(), "", True))
    db.session.commit()
    statements, result = statements_run(lambda: close_period(period_of(last_month_start())))
    db.session.commit()
    return statements, result.item_count


def test_the_close_runs_the_same_statements_for_3_or_15_clients_with_pools(app, f):
    small, small_items = _close_statements_with_pools(f, 3)
    empty_all_tables()
    large, large_items = _close_statements_with_pools(f, 15)
    # Rollover clients: a fee; block clients: overtime.
    assert (small_items, large_items) == (3, 15)
    assert count(PoolUse) == 8  # each block client used its block
    assert count(HourPool, kind="carry") == 7  # each rollover client carries 0:30 h
    assert small == large
    assert large <= 30


# --- the live estimate against the bill ----------------------------------------------------

ESTIMATE_FIELDS = (
    "included_minutes",
    "used_minutes",
    "overtime_minutes",
    "overtime_amount",
    "total",
    "carried_in_minutes",
    "carry_used_minutes",
    "carried_out_minutes",
    "block_in_minutes",
    "block_used_minutes",
)


def _figures(month) -> dict:
    """What the dashboard shows of a month."""
    return {name: getattr(month, name) for name in ESTIMATE_FIELDS} | {
        "blocks": [(b["minutes"], b["used_minutes"], b["left_minutes"]) for b in month.blocks],
        "carry": [(c["from_period"], c["minutes"], c["left_minutes"]) for c in month.carry_overs],
    }


def test_the_live_estimate_is_what_the_close_then_bills(pooled):
    """Both months open: October's estimate walks September first. Then each month closed:
    the usage history of the closed months says exactly what the estimate said, and the
    items add up to the estimate's total."""
    periods = ["2026-09", "2026-10"]
    estimates = {
        who: [_figures(m) for m in usage_history(pooled[who], periods)]
        for who in ("client", "buyer")
    }
    assert estimates["client"][1]["carry"] == [("2026-09", 240, 0)]
    assert estimates["client"][1]["total"] == Decimal("300.00")
    assert estimates["buyer"][1]["overtime_amount"] == Decimal("70.00")
    assert estimates["buyer"][1]["blocks"] == [(300, 300, 0)]
    results = [close(period) for period in periods]
    billed = {
        who: [_figures(m) for m in usage_history(pooled[who], periods)]
        for who in ("client", "buyer")
    }
    assert billed == estimates
    for result, n in zip(results, range(2), strict=True):
        for who in ("client", "buyer"):
            client_id = pooled[who].id
            total = sum(i.amount for i in result.items if i.client_id == client_id)
            assert total == estimates[who][n]["total"], (who, result.period)


def test_an_open_month_after_a_closed_one_estimates_from_what_the_close_left(pooled):
    close("2026-09")
    estimate = {who: _figures(client_usage(pooled[who], "2026-10")) for who in ("client", "buyer")}
    close("2026-10")
    billed = {who: _figures(client_usage(pooled[who], "2026-10")) for who in ("client", "buyer")}
    assert billed == estimate
    assert estimate["client"]["carried_out_minutes"] == 120


# --- usage alerts ----------------------------------------------------------------------------


def alerts(subscription, period) -> list[str]:
    """The thresholds told for a subscription's month (the client's messages)."""
    db.session.expire_all()
    keys = db.session.scalars(
        db.select(OutboxMessage.event_key)
        .where(OutboxMessage.event_key.like(f"usage:{subscription.id}:{period}:%"))
        .order_by(OutboxMessage.id)
    )
    return [key.split(":")[3] for key in keys if not key.endswith(":staff")]


def september_closed(f, plan, minutes):
    """A client with billing emails on `plan` from 09-01, `minutes` used in September,
    September closed: its subscription, a ticket and an operator."""
    client = f.client("Alerted", currency_code="EUR", billing_emails=["ap@alerted.example"])
    sub = f.subscription(client, plan, date(2026, 9, 1))
    ticket, operator = f.ticket(client), f.user("operator")
    log(ticket, operator, minutes, date(2026, 9, 10))
    close("2026-09")
    return sub, ticket, operator


def test_usage_alerts_count_the_carry_over(f):
    """Flex, rollover 1 month. September 6 h: 4 h carry. October has 4 h + 10 h: 11 h is
    78 % (no alert, though it is past the 10 h included), 11:15 h is 80 %, 14 h 100 %."""
    sub, ticket, operator = september_closed(f, flex_plan(f, rollover_months=1), 360)
    log(ticket, operator, 660, date(2026, 10, 5))
    assert alerts(sub, "2026-10") == []
    log(ticket, operator, 15, date(2026, 10, 6))
    assert alerts(sub, "2026-10") == ["80"]
    log(ticket, operator, 165, date(2026, 10, 7))
    assert alerts(sub, "2026-10") == ["80", "100"]


def test_usage_alerts_count_the_blocks_left_and_top_ups(f):
    """Block 5 h from 09-01, 1 h used in September: October has 4 h. 3 h is 75 %, 3:15 h
    81 % (80 %; 65 % of a fresh block). A top-up adds 5 h: 9 h, so 100 % at 9 h, not 4 h."""
    sub, ticket, operator = september_closed(f, block_plan(f), 60)
    log(ticket, operator, 180, date(2026, 10, 5))
    assert alerts(sub, "2026-10") == []
    log(ticket, operator, 15, date(2026, 10, 6))
    assert alerts(sub, "2026-10") == ["80"]
    top_up(sub, date(2026, 10, 7))
    db.session.commit()
    log(ticket, operator, 45, date(2026, 10, 8))  # 4 h of 9 h
    assert alerts(sub, "2026-10") == ["80"]
    log(ticket, operator, 300, date(2026, 10, 9))  # 9 h of 9 h
    assert alerts(sub, "2026-10") == ["80", "100"]


def test_the_estimate_breaks_an_expiry_tie_as_the_close_does(f, desk):
    """Rollover 3 months, ending on 10-15: August's and September's carry-overs both end on
    10-15. The close uses the older first (by id); the estimate of October, walking an open
    September, must too, or the carry-over it shows differs from the closed month's."""
    client, ticket, operator = desk
    sub = f.subscription(client, flex_plan(f, rollover_months=3), date(2026, 8, 1))
    f.update(sub, end_date=date(2026, 10, 15))
    close("2026-08")
    log(ticket, operator, 120, date(2026, 9, 10))
    log(ticket, operator, 60, date(2026, 10, 5))
    estimate = _figures(client_usage(client, "2026-10"))
    assert estimate["carry"] == [("2026-08", 480, 420), ("2026-09", 600, 600)]
    close("2026-09")
    close("2026-10")
    assert _figures(client_usage(client, "2026-10")) == estimate


def test_refuse_counts_the_later_open_months_the_block_already_covers(f, desk):
    """A `refuse` block of 5 h valid October to December. November used all 5 h; time
    logged afterwards in October (still open) would take an hour November relies on and
    leave November 1 h of overtime, which `refuse` never bills: refused too."""
    client, ticket, operator = desk
    plan = block_plan(f, "Block5 refuse", when_used_up="refuse")
    sub = f.subscription(client, plan, date(2026, 10, 1))
    log(ticket, operator, 300, date(2026, 11, 10))
    with pytest.raises(ValidationFailed) as refused:
        log_time(ticket, operator, TimeInput(60, date(2026, 10, 5), "", True))
    db.session.rollback()
    assert "used up" in refused.value.fields["hours"]
    log(ticket, operator, 60, date(2026, 10, 5), top_up=True)
    close("2026-10")
    assert amounts(close("2026-11")) == {}
    assert record(sub, "2026-11")["block_used"] == 300


def test_refuse_holds_under_eight_concurrent_entries(app, f, desk):
    """A `refuse` block of 5 h: eight operators log 1 h each at the same moment. Exactly
    five entries fit; three are refused, and the month bills no overtime."""
    from portal.models import Ticket, User
    from portal.transaction import unit_of_work

    client, ticket, operator = desk
    plan = block_plan(f, "Block5 refuse", validity_months=1, when_used_up="refuse")
    sub = f.subscription(client, plan, date(2026, 11, 2))
    ids = (ticket.id, operator.id)

    def log_an_hour():
        try:
            with unit_of_work():
                log_time(
                    db.session.get(Ticket, ids[0]),
                    db.session.get(User, ids[1]),
                    TimeInput(60, date(2026, 11, 3)),
                )
        except ValidationFailed:
            return False
        return True

    assert sorted(at_once(app, log_an_hour)) == [False] * 3 + [True] * 5
    assert count(TimeEntry) == 5
    assert amounts(close("2026-11")) == {}
    assert record(sub, "2026-11")["block_used"] == 300
