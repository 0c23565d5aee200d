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
from typing import NamedTuple

from sqlalchemy import func, or_

from portal.extensions import db
from portal.models import (
    BillingPeriod,
    Currency,
    HourPool,
    Plan,
    Subscription,
    Ticket,
    TimeEntry,
)
from portal.services.billing.periods import period_bounds, period_of
from portal.services.billing.pool_book import (
    POOL_COLUMNS,
    USE_COLUMNS,
    PoolBook,
    pools_from,
    with_uses,
)
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
    subscription: Subscription | None = None  # loaded when billing one client's months


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


def bill_months(
    periods: list[str],
    client_id: int | None = None,
    subscription_ids=None,
    known_closed: dict[str, bool] | None = None,
    book: PoolBook | None = None,
) -> dict[str, list[SubscriptionMonth]]:
    """Every subscription active on a day of each period, billed, with its pools; nothing
    written. Periods are months, oldest first. Open months before them that their pools
    depend on are billed too (not returned), so each month starts from what the months
    before it left; closed months in between have left theirs in the database.
    `known_closed` (period -> closed) spares asking about months the caller has looked up;
    billing one client's months fills `book` with its pools, for the caller to show."""
    scoped = client_id is not None or subscription_ids is not None
    asked_first, last = period_bounds(periods[0])[0], period_bounds(periods[-1])[1]
    if scoped:
        # A client's few subscriptions, as objects (pages show the current one), old ones
        # too: they tell where the walk starts.
        # Their pools and the pools' uses come in the same query (a few rows each).
        book = book if book is not None else PoolBook()
        query = with_uses(
            _subscriptions(db.select(Subscription), last)
            .add_columns(HourPool.subscription_id, *POOL_COLUMNS, *USE_COLUMNS)
            .outerjoin(HourPool, HourPool.subscription_id == Subscription.id)
        )
        if client_id is not None:
            query = query.where(Subscription.client_id == client_id)
        if subscription_ids is not None:
            query = query.where(Subscription.id.in_(subscription_ids))
        subscriptions = {}
        for sub, plan, places, *pool in db.session.execute(query):
            subscriptions[sub.id] = _Row(
                sub.id, sub.client_id, sub.currency_id, terms_of(sub), plan, places, sub
            )
            book.add(*pool)
        book.loaded = client_id is not None and subscription_ids is None
        rows = list(subscriptions.values())
    else:
        # Every subscription of the months: columns, not entities (no object per row).
        walk_first = earlier_open_period(periods[0]) or periods[0]
        bound = period_bounds(walk_first)[0]
        query = _subscriptions(
            db.select(
                Subscription.id, Subscription.client_id, Subscription.currency_id, *TERMS_COLUMNS
            ),
            last,
        ).where(or_(Subscription.end_date.is_(None), Subscription.end_date >= bound))
        rows = [
            _Row(sub_id, client, currency, Terms(*snapshot), plan, places)
            for sub_id, client, currency, *snapshot, plan, places in db.session.execute(query)
        ]
    if scoped:
        starts = [
            r.terms.start_date
            for r in rows
            if _holds_pools(r)
            and r.terms.start_date < asked_first
            and (r.terms.end_date is None or r.terms.end_date >= asked_first)
        ]
        span = months_between(period_of(min(starts)) if starts else periods[0], periods[-1])
        # Without pools, a closed month walked through changes nothing: no need to ask.
        known = known_closed or {}
        if not starts and not any(map(_holds_pools, rows)):
            closed = set()
        elif all(period in known for period in span):
            closed = {period for period in span if known[period]}
        else:
            closed = _closed_among(span)
        before = span[: span.index(periods[0])]
        walk_first = next((p for p in before if p not in closed), periods[0])
        walk = months_between(walk_first, periods[-1])
    else:
        walk = months_between(walk_first, periods[-1])
        closed = _closed_among(walk) if len(walk) > 1 else set()
    first = period_bounds(walk[0])[0]
    rows = [r for r in rows if r.terms.end_date is None or r.terms.end_date >= first]
    ids = [r.id for r in rows] if scoped else None
    used = _used_minutes(first, last, ids, by_month=len(walk) > 1) if rows else {}
    if not any(map(_holds_pools, rows)):
        pools = {}
    elif scoped:
        pools = book.valid_between(first, last)
    else:
        pools = pools_from(first, last, None)
    # Carry-over an open month would leave is not written: it gets an id above every stored
    # pool's, in walk order, so an expiry tie is broken as the close breaks it (the older
    # pool first: stored ids rise month by month).
    new_ids = count(1 + max((p.id for held in pools.values() for p in held), default=0))
    result: dict[str, list[SubscriptionMonth]] = {}
    for period in walk:
        if period in closed:
            continue
        start, end = period_bounds(period)
        months = []
        for row in rows:
            terms = row.terms
            if terms.start_date > end or (terms.end_date is not None and terms.end_date < start):
                continue
            held = pools.get(row.id, [])
            valid = tuple(p for p in held if p.valid_from <= end and p.valid_until >= start)
            minutes = used.get((row.id, period), 0)
            bill = bill_subscription(terms, period, minutes, row.places, valid)
            months.append(
                SubscriptionMonth(
                    row.id, row.client_id, row.currency_id, row.plan, bill, terms, valid, row.sub
                )
            )
            if bill.uses or bill.carried_out_minutes:
                pools[row.id] = _after(held, bill, terms, period, next(new_ids))
        if period in periods:
            result[period] = months
    return result


class _Row(NamedTuple):
    """A subscription as the walk bills it."""

    id: int
    client_id: int
    currency_id: int
    terms: Terms
    plan: str
    places: int
    sub: Subscription | None = None


def _subscriptions(select, last: date):
    """Subscriptions started by `last`, with their plan's name and currency's places."""
    return (
        select.add_columns(Plan.name, Currency.decimals)
        .join(Plan, Plan.id == Subscription.plan_id)
        .join(Currency, Currency.id == Subscription.currency_id)
        .where(Subscription.start_date <= last)
        .order_by(Subscription.client_id, Subscription.start_date)
    )


def _holds_pools(row: _Row) -> bool:
    """True when the subscription's months depend on the months before: rollover, blocks."""
    return row.terms.model == "block" or row.terms.rollover_months > 0


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
