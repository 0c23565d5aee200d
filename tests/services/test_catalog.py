"""Catalogue and subscription rules, called as views call them: currencies, plans, prices,
assigning, cancelling and re-pricing subscriptions."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Currency, Subscription
from portal.services import settings as settings_service
from portal.services.catalog.input import (
    AmountError,
    CurrencyInput,
    IncludedHoursError,
    PlanInput,
    parse_amount,
    parse_included_hours,
)
from portal.services.catalog.rules import save_currency, save_plan
from portal.services.clients.accounts import assign_client_plan
from portal.services.clients.subscriptions import (
    assign_plan,
    cancel_subscription,
    reprice_subscription,
)
from portal.services.errors import DomainError, ValidationFailed
from portal.services.settings import save_settings
from tests.helpers import audit_rows


def defaults() -> list[str]:
    """Codes of the default currencies."""
    return list(db.session.scalars(db.select(Currency.code).where(Currency.is_default)))


def test_exactly_one_default_currency(f):
    admin = f.user("admin")
    eur = save_currency(None, CurrencyInput("EUR", 2), admin)  # the first: default anyway
    usd = save_currency(None, CurrencyInput("usd", 2), admin)
    db.session.commit()
    assert defaults() == ["EUR"] and usd.code == "USD"
    pln = save_currency(None, CurrencyInput("PLN", 2, suffix=" zł", is_default=True), admin)
    db.session.commit()
    assert defaults() == ["PLN"]
    save_currency(eur, CurrencyInput("EUR", 2, "€", is_default=True), admin)
    db.session.commit()
    assert defaults() == ["EUR"]
    with pytest.raises(ValidationFailed) as exc:
        save_currency(eur, CurrencyInput("EUR", 2), admin)
    assert "must be the default" in exc.value.fields["is_default"]
    db.session.rollback()
    assert defaults() == ["EUR"] and not pln.is_default


def test_decimals_of_a_currency_in_use_cannot_change(f):
    f.client(currency_code="EUR")
    eur = f.currency("EUR")
    with pytest.raises(ValidationFailed) as exc:
        save_currency(eur, CurrencyInput("EUR", 0), None)
    assert "cannot change" in exc.value.fields["decimals"]


AMOUNTS = [("200", 2, "200.00"), ("199,99", 2, "199.99"), (" 0.5 ", 2, "0.50"), ("5000", 0, "5000")]
AMOUNTS += [("1.234", 3, "1.234"), ("999999999", 2, "999999999.00")]


@pytest.mark.parametrize(("raw", "places", "expected"), AMOUNTS)
def test_amounts_parse_to_exact_decimals(raw, places, expected):
    value = parse_amount(raw, Currency(code="XXX", decimals=places))
    assert value == Decimal(expected) and str(value) == expected


REFUSED_AMOUNTS = ["", "-1", "+1", "1.999", "1e3", "NaN", "inf", "1 000", "١٠", "1000000000", "1."]


@pytest.mark.parametrize("raw", [*REFUSED_AMOUNTS, None, 5.0])
def test_bad_amounts_are_refused_with_the_rule(raw):
    with pytest.raises(AmountError, match="Enter an amount in EUR"):
        parse_amount(raw, Currency(code="EUR", decimals=2))


HOURS = [
    ("10", 600),
    ("7.5", 450),
    ("7,5", 450),
    ("7:30", 450),
    ("0", 0),
    (".25", 15),
    ("744", 44640),
]


@pytest.mark.parametrize(("raw", "minutes"), HOURS)
def test_included_hours_parse_to_minutes(raw, minutes):
    assert parse_included_hours(raw) == minutes


@pytest.mark.parametrize(
    "raw", ["", "abc", "7.1", "7:20", "744.25", "-1", "1e2", "٣", None, "7.555"]
)
def test_bad_included_hours_are_refused(raw):
    with pytest.raises(IncludedHoursError):
        parse_included_hours(raw)


def standard_input(**changes) -> PlanInput:
    """A Standard package: 10 h, EUR 200/60."""
    values = {"name": "Standard", "included_hours": "10", "prices": {"EUR": ("200", "60")}}
    return PlanInput(**(values | changes))


def test_price_change_leaves_existing_subscriptions_unchanged(f):
    f.currency("EUR")
    admin = f.user("admin")
    plan = save_plan(None, standard_input(), admin)
    db.session.commit()
    sub = f.subscription(f.client(currency_code="EUR"), plan, date(2026, 1, 1))
    save_plan(plan, standard_input(included_hours="20", prices={"EUR": ("999", "99")}), admin)
    db.session.commit()
    db.session.expire_all()
    assert (plan.included_minutes, plan.prices[0].fee) == (1200, Decimal(999))
    assert (sub.fee, sub.rate, sub.included_minutes) == (200, 60, 600)


def test_assigning_a_plan_without_the_clients_currency_names_it(f):
    usd_client = f.client("Globex", currency_code="USD")
    plan = f.plan("Euro only", prices={"EUR": ("200", "60")})
    with pytest.raises(DomainError, match="no price in USD"):
        assign_plan(usd_client, plan, date(2026, 1, 1))
    with pytest.raises(DomainError, match="no price in USD"):
        assign_client_plan(usd_client, plan.id, date(2026, 1, 1), None)
    assert db.session.scalar(db.select(db.func.count(Subscription.id))) == 0


@pytest.fixture
def subscribed(f):
    """A EUR client on Standard (EUR 200/60, 10 h) since 2025-06-01."""
    plan = f.plan("Standard", prices={"EUR": ("200", "60")})
    return f.subscription(f.client(currency_code="EUR"), plan, date(2025, 6, 1))


def at(monkeypatch, moment: datetime, zone: str) -> None:
    """Make "now" `moment` (UTC) and the business time zone `zone`."""
    save_settings({"business_timezone": zone})
    monkeypatch.setattr(settings_service, "utcnow", lambda: moment)


@pytest.mark.parametrize(
    ("zone", "end"), [("UTC", date(2026, 1, 31)), ("Europe/Warsaw", date(2026, 2, 28))]
)
def test_cancel_ends_at_the_end_of_the_business_month(monkeypatch, subscribed, f, zone, end):
    at(monkeypatch, datetime(2026, 1, 31, 23, 30, tzinfo=UTC), zone)  # Feb 1st in Warsaw
    cancel_subscription(subscribed, f.user("admin"))
    assert subscribed.end_date == end
    (row,) = audit_rows("subscription.cancel")
    assert (row.before, row.after) == ({"end_date": None}, {"end_date": end.isoformat()})
    with pytest.raises(DomainError, match="already ends on"):
        cancel_subscription(subscribed)


def test_a_subscription_starting_after_this_month_cannot_be_cancelled(monkeypatch, f):
    at(monkeypatch, datetime(2026, 1, 10, 12, tzinfo=UTC), "UTC")
    sub = f.subscription(f.client(currency_code="EUR"), f.plan(), date(2026, 2, 1))
    with pytest.raises(DomainError, match="after this month"):
        cancel_subscription(sub)
    assert sub.end_date is None


def test_reprice_takes_the_current_price_and_audits(subscribed, f):
    plan = subscribed.plan
    f.update(plan.prices[0], fee=Decimal("250.50"), rate=Decimal(70))
    f.update(plan, included_minutes=900)
    reprice_subscription(subscribed, f.user("admin"))
    db.session.commit()
    assert (subscribed.fee, subscribed.rate, subscribed.included_minutes) == (
        Decimal("250.50"),
        70,
        900,
    )
    (row,) = audit_rows("subscription.reprice")
    assert row.before == {"fee": "200.0000", "rate": "60.0000", "included_minutes": 600}
    assert row.after == {"fee": "250.5000", "rate": "70.0000", "included_minutes": 900}
    with pytest.raises(DomainError, match="already has the plan's current price"):
        reprice_subscription(subscribed)


def test_reprice_is_refused_without_a_price_or_after_a_model_change(subscribed, f):
    plan = subscribed.plan
    f.update(plan, model="hourly", included_minutes=0)
    with pytest.raises(DomainError, match="assign the plan anew"):
        reprice_subscription(subscribed)
    db.session.rollback()
    f.update(plan, model="package", included_minutes=600, prices=[])
    with pytest.raises(DomainError, match="no price in EUR"):
        reprice_subscription(subscribed)
    assert audit_rows("subscription.reprice") == []
