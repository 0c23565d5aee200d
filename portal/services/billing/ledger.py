"""Months billed in order: each subscription's bill, with the hours that carry between months.

The close, its preview, the client's dashboard and usage history, the usage alerts and the
`refuse` check all bill months here, so the live estimate of a month and its bill are the
same computation. A package that rolls over and a block plan hold pools of hours (carry-over,
blocks) from month to month; a month's pools stand as the closed months left them, then as
every open month before it would leave them (walked here, oldest first).
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import count

from sqlalchemy import func, or_

from portal.extensions import db
from portal.models import (
    BillingPeriod,
    Currency,
    HourPool,
    Plan,
    PoolUse,
    Subscription,
    Ticket,
    TimeEntry,
)
from portal.services.billing.periods import period_bounds, period_of
from portal.services.billing.rules import Bill, Pool, Terms, bill_subscription

# A subscription's snapshot, in the order of rules.Terms' fields.
TERMS_COLUMNS = (
    Subscription.model,
    Subscription.fee,
    Subscription.rate,
    Subscription.included_minutes,
    Subscription.prorate,
    Subscription.start_date,
    Subscription.end_date,
    Subscription.rollover_months,
    Subscription.rollover_cap_minutes,
)

# Subscriptions whose months depend on the months before them.
HAS_POOLS = or_(Subscription.model == "block", Subscription.rollover_months > 0)


@dataclass(frozen=True)
class SubscriptionMonth:
    """One subscription's bill for a month, with what is needed to write and show it."""

    subscription_id: int
    client_id: int
    currency_id: int
    plan_name: str
    bill: Bill
    terms: Terms
    pools: tuple[Pool, ...] = ()  # valid in the month, as they stand going in


def terms_of(subscription: Subscription) -> Terms:
    """The billing terms a subscription froze when it was created."""
    return Terms(*(getattr(subscription, column.key) for column in TERMS_COLUMNS))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    last = period_bounds(f"{year:04d}-{month:02d}")[1]
    return day.replace(year=year, month=month, day=min(day.day, last.day))


def next_period(period: str) -> str:
    """The month after `period`."""
    return period_of(period_bounds(period)[1] + timedelta(days=1))


def months_between(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included, oldest first."""
    periods = []
    while first <= last:
        periods.append(first)
        first = next_period(first)
    return periods


def carry_validity(terms: Terms, period: str) -> tuple[date, date]:
    """The days a carry-over created at the close of `period` may be used: the months after
    it, for the rollover months, never beyond the subscription's end."""
    start = period_bounds(period)[1] + timedelta(days=1)
    until = add_months(start, terms.rollover_months) - timedelta(days=1)
    if terms.end_date is not None:
        until = min(until, terms.end_date)
    return start, until


def block_validity(day: date, months: int) -> tuple[date, date]:
    """A block bought on `day`: valid from it for `months` (2026-08-10, 3 -> 2026-11-09)."""
    return day, add_months(day, months) - timedelta(days=1)


def billable_minutes(first: date, last: date, subscription_ids=None, *, per_day=False):
    """What the close bills from: billable minutes of tracked tickets between two dates.

    Rows of (subscription id, [work date,] minutes), one query. The close sums every
    subscription; the dashboard asks for a client's subscriptions per day. Both read it
    here, so the live estimate and the close cannot count differently.
    """
    keys = [TimeEntry.subscription_id, *([TimeEntry.work_date] if per_day else [])]
    query = (
        db.select(*keys, func.sum(TimeEntry.minutes))
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(
            TimeEntry.billable,
            Ticket.time_tracking,
            TimeEntry.work_date >= first,
            TimeEntry.work_date <= last,
        )
        .group_by(*keys)
    )
    if subscription_ids is not None:
        query = query.where(TimeEntry.subscription_id.in_(subscription_ids))
    return db.session.execute(query)


def _used_minutes(first: date, last: date, ids, by_month: bool) -> dict[tuple[int, str], int]:
    """Billable minutes per (subscription, period) between two dates (see billable_minutes)."""
    used: dict[tuple[int, str], int] = {}
    if not by_month:
        period = period_of(first)
        return {(sub, period): int(minutes) for sub, minutes in billable_minutes(first, last, ids)}
    for subscription_id, day, minutes in billable_minutes(first, last, ids, per_day=True):
        key = (subscription_id, period_of(day))
        used[key] = used.get(key, 0) + int(minutes)
    return used


def pools_from(first: date, last: date, ids) -> dict[int, list[Pool]]:
    """Pools valid on a day between two dates, per subscription, as the closed months left
    them (minutes less every recorded use)."""
    used = (
        db.select(PoolUse.pool_id, func.sum(PoolUse.minutes).label("minutes"))
        .group_by(PoolUse.pool_id)
        .subquery()
    )
    query = (
        db.select(
            HourPool.subscription_id,
            HourPool.id,
            HourPool.kind,
            HourPool.minutes - func.coalesce(used.c.minutes, 0),
            HourPool.valid_until,
            HourPool.minutes,
            HourPool.valid_from,
        )
        .outerjoin(used, used.c.pool_id == HourPool.id)
        .where(HourPool.valid_from <= last, HourPool.valid_until >= first)
    )
    if ids is not None:
        query = query.where(HourPool.subscription_id.in_(ids))
    pools: dict[int, list[Pool]] = {}
    for subscription_id, *values in db.session.execute(query):
        pools.setdefault(subscription_id, []).append(Pool(*values))
    return pools


def bill_months(
    periods: list[str], client_id: int | None = None, subscription_ids=None
) -> dict[str, list[SubscriptionMonth]]:
    """Every subscription active on a day of each period, billed, with its pools; nothing
    written. Periods are consecutive months, oldest first. Open months before them that
    their pools depend on are billed too (not returned), so each month starts from what the
    months before it left."""
    walk = months_between(earlier_open_period(periods[0], client_id) or periods[0], periods[-1])
    first, last = period_bounds(walk[0])[0], period_bounds(walk[-1])[1]
    places = dict(db.session.execute(db.select(Currency.id, Currency.decimals)).all())
    query = (
        db.select(
            Subscription.id,
            Subscription.client_id,
            Subscription.currency_id,
            *TERMS_COLUMNS,
            Plan.name,
        )
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(
            Subscription.start_date <= last,
            or_(Subscription.end_date.is_(None), Subscription.end_date >= first),
        )
        .order_by(Subscription.client_id, Subscription.start_date)
    )
    if client_id is not None:
        query = query.where(Subscription.client_id == client_id)
    if subscription_ids is not None:
        query = query.where(Subscription.id.in_(subscription_ids))
    # Columns, not entities: no ORM object per subscription.
    rows = [
        (sub_id, client, currency, Terms(*snapshot), plan)
        for sub_id, client, currency, *snapshot, plan in db.session.execute(query)
    ]
    ids = None if client_id is None and subscription_ids is None else [r[0] for r in rows]
    used = _used_minutes(first, last, ids, by_month=len(walk) > 1) if rows else {}
    has_pools = [r[0] for r in rows if r[3].model == "block" or r[3].rollover_months]
    pools = pools_from(first, last, ids) if has_pools else {}
    # Carry-over an open month would leave is not written: it gets an id above every stored
    # pool's, in walk order, so an expiry tie is broken as the close breaks it (the older
    # pool first: stored ids rise month by month).
    new_ids = count(1 + max((p.id for held in pools.values() for p in held), default=0))
    result: dict[str, list[SubscriptionMonth]] = {}
    # A closed month between open ones has left its uses and carry-over in the database.
    closed = set() if len(walk) == 1 else _closed_among(walk)
    for period in walk:
        if period in closed:
            continue
        start, end = period_bounds(period)
        months = []
        for sub_id, client, currency, terms, plan in rows:
            if terms.start_date > end or (terms.end_date is not None and terms.end_date < start):
                continue
            held = pools.get(sub_id, [])
            valid = tuple(p for p in held if p.valid_from <= end and p.valid_until >= start)
            bill = bill_subscription(
                terms, period, used.get((sub_id, period), 0), places[currency], valid
            )
            months.append(SubscriptionMonth(sub_id, client, currency, plan, bill, terms, valid))
            if bill.uses or bill.carried_out_minutes:
                pools[sub_id] = _after(held, bill, terms, period, next(new_ids))
        if period in periods:
            result[period] = months
    return result


def _after(held: list[Pool], bill: Bill, terms: Terms, period: str, new_id: int) -> list[Pool]:
    """A subscription's pools once `bill`'s month has used them and left its carry-over."""
    taken = dict(bill.uses)
    pools = [replace(p, left_minutes=p.left_minutes - taken.get(p.id, 0)) for p in held]
    if bill.carried_out_minutes:
        valid_from, valid_until = carry_validity(terms, period)
        minutes = bill.carried_out_minutes
        pools.append(Pool(new_id, "carry", minutes, valid_until, minutes, valid_from))
    return pools


def _closed_among(periods: list[str]) -> set[str]:
    """Which of the periods are closed."""
    query = db.select(BillingPeriod.period).where(BillingPeriod.period.in_(periods))
    return set(db.session.scalars(query))


def earlier_open_period(period: str, client_id: int | None = None) -> str | None:
    """The first open month before `period` in which a subscription with pools that is
    still active in `period` was active: that month's use of the pools comes first, so it
    must be billed (closed, or walked) before `period`."""
    first = period_bounds(period)[0]
    query = db.select(func.min(Subscription.start_date)).where(
        HAS_POOLS,
        Subscription.start_date < first,
        or_(Subscription.end_date.is_(None), Subscription.end_date >= first),
    )
    if client_id is not None:
        query = query.where(Subscription.client_id == client_id)
    earliest = db.session.scalar(query)
    if earliest is None:
        return None
    before = months_between(period_of(earliest), period)[:-1]
    closed = _closed_among(before)
    return next((p for p in before if p not in closed), None)


def block_summary(pools, uses) -> list[dict]:
    """Each block valid in a month (its pools going in, and the month's uses): bought, used
    and left once the month has used it."""
    taken = dict(uses)
    return [
        {
            "id": pool.id,
            "minutes": pool.minutes,
            "left_minutes": pool.left_minutes - taken.get(pool.id, 0),
            "used_minutes": pool.minutes - pool.left_minutes + taken.get(pool.id, 0),
            "valid_from": pool.valid_from,
            "valid_until": pool.valid_until,
        }
        for pool in sorted(pools, key=lambda p: (p.valid_until, p.id))
        if pool.kind == "block"
    ]


def carry_summary(pools, uses) -> list[dict]:
    """Each carry-over valid in a month: where it comes from, what is left going in and
    once the month has used it, and its last day."""
    taken = dict(uses)
    return [
        {
            "from_period": period_of(pool.valid_from - timedelta(days=1)),
            "minutes": pool.left_minutes,
            "left_minutes": pool.left_minutes - taken.get(pool.id, 0),
            "valid_until": pool.valid_until,
        }
        for pool in sorted(pools, key=lambda p: (p.valid_until, p.id))
        if pool.kind == "carry"
    ]


def closed_pools(client_id: int, periods: list[str]) -> dict[str, tuple[list, list]]:
    """The pools of the client's closed months, as (pools going in, the month's uses) per
    period: for the usage history's blocks and carry-over. Two queries whatever the months."""
    rows = db.session.execute(
        db.select(
            HourPool.id, HourPool.kind, HourPool.minutes, HourPool.valid_from, HourPool.valid_until
        ).where(HourPool.client_id == client_id)
    ).all()
    if not rows or not periods:
        return {}
    uses: dict[int, list[tuple[str, int]]] = {}
    for pool_id, period, minutes in db.session.execute(
        db.select(PoolUse.pool_id, BillingPeriod.period, PoolUse.minutes)
        .join(BillingPeriod, BillingPeriod.id == PoolUse.period_id)
        .where(PoolUse.pool_id.in_([row.id for row in rows]))
    ):
        uses.setdefault(pool_id, []).append((period, minutes))
    months = {}
    for period in periods:
        start, end = period_bounds(period)
        pools, taken = [], []
        for pool_id, kind, minutes, valid_from, valid_until in rows:
            if valid_from > end or valid_until < start:
                continue
            before = sum(m for p, m in uses.get(pool_id, []) if p < period)
            now = sum(m for p, m in uses.get(pool_id, []) if p == period)
            pools.append(Pool(pool_id, kind, minutes - before, valid_until, minutes, valid_from))
            if now:
                taken.append((pool_id, now))
        months[period] = (pools, taken)
    return months
