"""Money stays exact and timestamps stay timezone-aware on both databases."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Plan, PlanPrice, User


@pytest.mark.parametrize(
    "amount", ["0", "0.0001", "133.33", "199.9999", "123456789012.3456", "60.10"]
)
def test_money_round_trips_exactly(f, amount):
    plan = Plan(name="Exact", model="hourly", included_minutes=0)
    plan.prices = [PlanPrice(currency=f.currency("EUR"), fee=Decimal(0), rate=Decimal(amount))]
    db.session.add(plan)
    db.session.commit()
    db.session.expire_all()
    rate = db.session.scalar(db.select(PlanPrice.rate))
    assert isinstance(rate, Decimal)
    assert rate == Decimal(amount)


def test_money_sum_in_sql_is_exact(f):
    eur = f.currency("EUR")
    for n in range(10):
        plan = Plan(name=f"P{n}", model="hourly", included_minutes=0)
        plan.prices = [PlanPrice(currency=eur, fee=Decimal(0), rate=Decimal("0.1"))]
        db.session.add(plan)
    db.session.commit()
    total = db.session.scalar(db.select(db.func.sum(PlanPrice.rate)))
    assert total == Decimal("1.0")  # ten floats of 0.1 would not make exactly 1


def test_money_refuses_float(f):
    plan = Plan(name="Float", model="hourly", included_minutes=0)
    plan.prices = [PlanPrice(currency=f.currency("EUR"), fee=Decimal(0), rate=0.1)]
    db.session.add(plan)
    with pytest.raises(Exception, match="float"):
        db.session.flush()
    db.session.rollback()


def test_timestamps_are_aware_utc(f):
    user = f.user("admin")
    warsaw_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    f.update(user, last_login_at=warsaw_noon)
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert stored.created_at.tzinfo is not None
    assert stored.last_login_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert stored.last_login_at.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(f):
    user = f.user("admin")
    user.last_login_at = datetime(2026, 7, 1, 12, 0)  # noqa: DTZ001
    with pytest.raises(Exception, match="naive"):
        db.session.flush()
    db.session.rollback()
