"""Rules the database itself enforces, whatever the application does."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Currency, Subscription, TimeEntry, User


@pytest.fixture
def billed(f):
    """A client with a subscription and a tracked ticket, and an operator."""
    client = f.client()
    plan = f.plan()
    sub = f.subscription(client, plan, date(2026, 9, 11))
    return {
        "client": client,
        "subscription": sub,
        "ticket": f.ticket(client),
        "operator": f.user("operator"),
    }


def insert_entry(billed, **overrides):
    """Insert a time entry with raw SQL values, bypassing every Python check."""
    values = {
        "ticket_id": billed["ticket"].id,
        "subscription_id": billed["subscription"].id,
        "operator_id": billed["operator"].id,
        "minutes": 90,
        "work_date": date(2026, 9, 15),
        "billable": True,
        "note": "",
        "created_at": billed["ticket"].created_at,
        "updated_at": billed["ticket"].created_at,
    }
    values.update(overrides)
    db.session.execute(insert(TimeEntry.__table__).values(**values))
    db.session.flush()


def test_quarter_hour_entry_is_accepted(billed):
    insert_entry(billed, minutes=15)
    insert_entry(billed, minutes=1440)
    assert db.session.scalar(db.select(db.func.count(TimeEntry.id))) == 2


@pytest.mark.parametrize("minutes", [10, 20, 89, 0, -15, 1455, 1500])
def test_entry_minutes_outside_quarter_hours_or_range_are_refused(billed, minutes):
    with pytest.raises(IntegrityError):
        insert_entry(billed, minutes=minutes)
    db.session.rollback()


def test_billable_entry_without_subscription_is_refused(billed):
    with pytest.raises(IntegrityError):
        insert_entry(billed, subscription_id=None, billable=True)
    db.session.rollback()
    insert_entry(billed, subscription_id=None, billable=False)  # non-billable needs none


def test_duplicate_billable_item_is_refused(billed):
    period = BillingPeriod(period="2026-09")
    db.session.add(period)
    db.session.flush()
    item = {
        "client_id": billed["client"].id,
        "subscription_id": billed["subscription"].id,
        "period_id": period.id,
        "kind": "package_fee",
        "description": "Standard, September 2026",
        "unit_rate": Decimal("200"),
        "amount": Decimal("133.33"),
        "currency_id": billed["client"].currency_id,
    }
    db.session.add(BillableItem(**item))
    db.session.flush()
    db.session.add(BillableItem(**item))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_duplicate_billing_period_is_refused(app):
    db.session.add(BillingPeriod(period="2026-09"))
    db.session.flush()
    db.session.add(BillingPeriod(period="2026-09"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_second_open_subscription_for_a_client_is_refused(billed):
    first = billed["subscription"]
    db.session.add(
        Subscription(
            client_id=first.client_id,
            plan_id=first.plan_id,
            currency_id=first.currency_id,
            start_date=date(2026, 12, 1),
            model="package",
            fee=Decimal(1),
            rate=Decimal(1),
            included_minutes=0,
            prorate=True,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_only_one_default_currency(app):
    db.session.add_all(
        [Currency(code="EUR", is_default=True), Currency(code="USD", is_default=True)]
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.mark.parametrize(("role", "has_client"), [("client", False), ("operator", True)])
def test_user_client_link_must_match_role(f, role, has_client):
    client = f.client()
    db.session.add(
        User(
            email="x@example.com",
            name="x",
            password_hash="x",
            role=role,
            client_id=client.id if has_client else None,
        )
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_unknown_role_is_refused(app):
    db.session.add(User(email="x@example.com", name="x", password_hash="x", role="root"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
