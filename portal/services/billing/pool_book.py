"""Pools of hours (carry-over, prepaid blocks) as months see them: what is left of each going
into a month, and what a closed month used."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func

from portal.extensions import db
from portal.models import BillingPeriod, HourPool, PoolUse
from portal.services.billing.periods import period_bounds, period_of
from portal.services.billing.rules import Pool

# A pool as read: id, kind, minutes, valid_from, valid_until.
POOL_COLUMNS = (
    HourPool.id,
    HourPool.kind,
    HourPool.minutes,
    HourPool.valid_from,
    HourPool.valid_until,
)
# What closed months used of a pool, joined to it: the period and the minutes.
USE_COLUMNS = (BillingPeriod.period, PoolUse.minutes.label("used_minutes"))


def with_uses(query):
    """`query` (over hour_pool) joined to each use a closed month made of the pool."""
    return query.outerjoin(PoolUse, PoolUse.pool_id == HourPool.id).outerjoin(
        BillingPeriod, BillingPeriod.id == PoolUse.period_id
    )


@dataclass
class PoolBook:
    """One client's pools and every use closed months made of them, read once for a page."""

    pools: dict[int, tuple] = field(default_factory=dict)  # id -> (subscription id, *POOL)
    uses: dict[int, list[tuple[str, int]]] = field(default_factory=dict)  # id -> (period, min)
    loaded: bool = False

    def add(self, subscription_id, pool_id, kind, minutes, valid_from, valid_until, period, used):
        """Take in one row of a pool joined to one of its uses (or to none)."""
        if pool_id is None:
            return
        self.pools[pool_id] = (subscription_id, pool_id, kind, minutes, valid_from, valid_until)
        if period is not None and (period, used) not in self.uses.get(pool_id, []):
            self.uses.setdefault(pool_id, []).append((period, used))

    def load(self, client_id: int) -> "PoolBook":
        """Read the client's pools and their uses, unless a walk already did (one query)."""
        if not self.loaded:
            query = with_uses(
                db.select(HourPool.subscription_id, *POOL_COLUMNS, *USE_COLUMNS)
            ).where(HourPool.client_id == client_id)
            for row in db.session.execute(query):
                self.add(*row)
            self.loaded = True
        return self

    def valid_between(self, first: date, last: date) -> dict[int, list[Pool]]:
        """Pools valid on a day between two dates, per subscription, as the closed months
        left them."""
        pools: dict[int, list[Pool]] = {}
        for sub_id, pool_id, kind, minutes, valid_from, valid_until in self.pools.values():
            if valid_from <= last and valid_until >= first:
                left = minutes - sum(m for _p, m in self.uses.get(pool_id, []))
                pool = Pool(pool_id, kind, left, valid_until, minutes, valid_from)
                pools.setdefault(sub_id, []).append(pool)
        return pools

    def closed_view(self, periods: list[str]) -> dict[str, tuple[list, list]]:
        """Per closed period: (the pools valid in it as they stood going in, its uses)."""
        months = {}
        for period in periods:
            start, end = period_bounds(period)
            held, taken = [], []
            for _sub, pool_id, kind, minutes, valid_from, valid_until in self.pools.values():
                if valid_from > end or valid_until < start:
                    continue
                uses = self.uses.get(pool_id, [])
                before = sum(m for p, m in uses if p < period)
                now = sum(m for p, m in uses if p == period)
                held.append(Pool(pool_id, kind, minutes - before, valid_until, minutes, valid_from))
                if now:
                    taken.append((pool_id, now))
            months[period] = (held, taken)
        return months


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
