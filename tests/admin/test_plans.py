"""Plan pages: admins define plans with a price row per currency; bad input changes nothing."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Plan, PlanPrice, Subscription
from tests.helpers import audit_rows, count, csrf_token_from, field_error, submit


@pytest.fixture
def admin(login_as, f):
    """A logged-in admin, and EUR, USD and JPY to price plans in."""
    f.currency("EUR", is_default=True)
    f.currency("USD")
    f.currency("JPY", decimals=0)
    return login_as("admin")


def form(**values) -> dict:
    """Form data of the plan form: a Standard package priced in EUR only."""
    data = {
        "name": "Standard",
        "description": "10 hours a month",
        "model": "package",
        "included_hours": "10",
        "prorate": "y",
        "active": "y",
        "price-EUR-fee": "200.00",
        "price-EUR-rate": "60",
        "price-USD-fee": "",
        "price-USD-rate": "",
        "price-JPY-fee": "",
        "price-JPY-rate": "",
    }
    return {k: v for k, v in (data | values).items() if v is not None}


def plans() -> dict:
    """Name -> (model, included minutes, prorate, active, {code: (fee, rate)}), fresh."""
    db.session.expire_all()
    return {
        p.name: (
            p.model,
            p.included_minutes,
            p.prorate,
            p.active,
            {x.currency.code: (x.fee, x.rate) for x in p.prices},
        )
        for p in db.session.scalars(db.select(Plan))
    }


def test_admin_creates_a_package_priced_in_one_currency(client, admin):
    response = submit(client, "/admin/plans/new", form(included_hours="7:30", prorate=None))
    assert response.status_code == 302
    eur = {"EUR": (Decimal("200.00"), Decimal("60.00"))}
    assert plans() == {"Standard": ("package", 450, False, True, eur)}
    page = client.get("/admin/plans").text
    assert "Standard" in page and "€200.00 a month" in page and "7:30" in page
    assert audit_rows("plan.create")[0].after["prices"] == {
        "EUR": {"fee": "200.00", "rate": "60.00"}
    }


def test_hourly_plan_has_no_fee_and_no_included_hours(client, admin):
    data = form(name="Pay as you go", model="hourly", included_hours="", **{"price-EUR-fee": ""})
    data |= {"price-JPY-rate": "9000"}
    assert submit(client, "/admin/plans/new", data).status_code == 302
    prices = {"EUR": (0, Decimal(60)), "JPY": (0, Decimal(9000))}
    assert plans() == {"Pay as you go": ("hourly", 0, True, True, prices)}


def test_editing_prices_leaves_existing_subscriptions_alone(client, admin, f):
    plan = f.plan("Standard", prices={"EUR": ("200", "60"), "USD": ("220", "65")})
    sub = f.subscription(f.client(currency_code="EUR"), plan)
    url = f"/admin/plans/{plan.id}/edit"
    page = client.get(url).text
    assert 'value="200.00"' in page and 'value="10.00"' in page and 'value="220.00"' in page
    data = form(**{"price-EUR-fee": "250", "price-EUR-rate": "70", "included_hours": "12"})
    assert submit(client, url, data).status_code == 302
    assert plans()["Standard"][1:] == (720, True, True, {"EUR": (250, 70)})  # USD row removed
    sub = db.session.get(Subscription, sub.id)
    assert (sub.fee, sub.rate, sub.included_minutes) == (200, 60, 600)
    row = audit_rows("plan.update")[0]
    assert row.before["prices"]["EUR"] == {"fee": "200.0000", "rate": "60.0000"}
    assert row.after["prices"] == {"EUR": {"fee": "250.00", "rate": "70.00"}}


BAD = [
    ({"name": ""}, "name", "Give the plan a name"),
    ({"name": "x" * 121}, "name", "120 characters"),
    ({"name": "premium"}, "name", "already exists"),
    ({"model": "yearly"}, "model", "Not a valid choice"),
    ({"included_hours": ""}, "included_hours", "quarter-hour steps"),
    ({"included_hours": "0"}, "included_hours", "more than 0"),
    ({"included_hours": "abc"}, "included_hours", "quarter-hour steps"),
    ({"included_hours": "7.1"}, "included_hours", "quarter-hour steps"),
    ({"included_hours": "7:20"}, "included_hours", "00, 15, 30 or 45"),
    ({"included_hours": "745"}, "included_hours", "quarter-hour steps"),
    ({"included_hours": "-5"}, "included_hours", "quarter-hour steps"),
    ({"included_hours": "NaN"}, "included_hours", "quarter-hour steps"),
    ({"price-EUR-fee": "abc"}, "price-EUR-fee", "Enter an amount in EUR"),
    ({"price-EUR-fee": "-1"}, "price-EUR-fee", "no sign"),
    ({"price-EUR-fee": "1.234"}, "price-EUR-fee", "at most 2 decimals"),
    ({"price-EUR-fee": "NaN"}, "price-EUR-fee", "Enter an amount in EUR"),
    ({"price-EUR-fee": "inf"}, "price-EUR-fee", "Enter an amount in EUR"),
    ({"price-EUR-fee": "1e5"}, "price-EUR-fee", "Enter an amount in EUR"),
    ({"price-EUR-fee": "1,000.00"}, "price-EUR-fee", "Enter an amount in EUR"),
    ({"price-EUR-rate": "9999999999"}, "price-EUR-rate", "up to 999999999"),
    ({"price-EUR-rate": ""}, "price-EUR-rate", "leave the EUR row blank"),
    ({"price-EUR-fee": ""}, "price-EUR-fee", "leave the EUR row blank"),
    ({"price-JPY-fee": "100.5", "price-JPY-rate": "50"}, "price-JPY-fee", "whole units only"),
    ({"model": "hourly", "included_hours": ""}, "price-EUR-fee", "no monthly fee"),
    ({"model": "hourly", "included_hours": "5"}, "included_hours", "include no monthly hours"),
    ({"model": "hourly", "price-EUR-fee": "", "price-EUR-rate": "0"}, "price-EUR-rate", "above 0"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(c)[:40] for c, *_ in BAD])
def test_bad_input_shows_field_message_and_changes_nothing(
    client, admin, f, change, field, message
):
    f.plan("Premium", prices={"EUR": ("450", "55")})
    before = plans()
    response = submit(client, "/admin/plans/new", form(**change))
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert plans() == before and count(PlanPrice) == 1


def test_a_plan_needs_a_price_in_some_currency(client, admin):
    response = submit(
        client, "/admin/plans/new", form(**{"price-EUR-fee": "", "price-EUR-rate": ""})
    )
    assert response.status_code == 422
    assert "price in at least one currency" in response.text
    assert count(Plan) == 0


def test_bad_edit_keeps_the_plan_and_the_typed_values(client, admin, f):
    plan = f.plan("Standard")
    url = f"/admin/plans/{plan.id}/edit"
    response = submit(client, url, form(name="Renamed", **{"price-EUR-rate": "6O"}))
    assert response.status_code == 422
    assert 'value="Renamed"' in response.text and 'value="6O"' in response.text
    assert list(plans()) == ["Standard"]


@pytest.mark.parametrize("role", ["operator", "client"])
def test_other_roles_get_403_on_every_plan_page_and_post(client, login_as, f, role):
    plan = f.plan("Standard")
    login_as(role)
    token = csrf_token_from(client.get("/admin/" if role == "operator" else "/client/").text)
    for url in ("/admin/plans", "/admin/plans/new", f"/admin/plans/{plan.id}/edit"):
        assert client.get(url).status_code == 403
    for url in ("/admin/plans/new", f"/admin/plans/{plan.id}/edit"):
        response = client.post(url, data=form(name="Hacked") | {"csrf_token": token})
        assert response.status_code == 403
    assert list(plans()) == ["Standard"]


def test_unknown_plan_is_404(client, admin):
    assert client.get("/admin/plans/999/edit").status_code == 404
