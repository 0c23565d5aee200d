"""The plan form's rollover and block terms: admins sell packages that roll hours over and
prepaid blocks through the form (CSRF on); bad terms come back per field, nothing saved; the
plan list says each plan's terms."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import Plan, PlanPrice
from tests.helpers import audit_rows, count, field_error, submit


@pytest.fixture
def admin(login_as, f):
    """A logged-in admin, and EUR and USD to price plans in."""
    f.currency("EUR", is_default=True)
    f.currency("USD")
    return login_as("admin")


def package(**values) -> dict:
    """The plan form for Flex: 10 h a month, rolling over 1 month, priced in EUR."""
    data = {
        "name": "Flex",
        "description": "",
        "model": "package",
        "included_hours": "10",
        "prorate": "y",
        "active": "y",
        "rollover_months": "1",
        "rollover_cap_hours": "",
        "block_hours": "",
        "validity_months": "",
        "when_used_up": "overtime",
        "price-EUR-fee": "300.00",
        "price-EUR-rate": "80.00",
        "price-USD-fee": "",
        "price-USD-rate": "",
    }
    return {k: v for k, v in (data | values).items() if v is not None}


def block(**values) -> dict:
    """The plan form for Block20: 20 h blocks valid 3 months, EUR 1,000.00 a block."""
    terms = {
        "name": "Block20",
        "model": "block",
        "included_hours": "",
        "rollover_months": "0",
        "block_hours": "20",
        "validity_months": "3",
        "price-EUR-fee": "1000.00",
        "price-EUR-rate": "70.00",
    }
    return package(**terms | values)


def terms(name: str) -> tuple:
    """A plan's model and terms, read fresh."""
    db.session.expire_all()
    plan = db.session.scalar(db.select(Plan).filter_by(name=name))
    return (
        plan.model,
        plan.included_minutes,
        plan.rollover_months,
        plan.rollover_cap_minutes,
        plan.block_minutes,
        plan.validity_months,
        plan.when_used_up,
    )


def test_admin_sells_a_package_that_rolls_hours_over(client, admin):
    response = submit(client, "/admin/plans/new", package(rollover_cap_hours="5"))
    assert response.status_code == 302
    assert terms("Flex") == ("package", 600, 1, 300, 0, 0, "overtime")
    assert audit_rows("plan.create")[0].after["rollover_months"] == 1
    page = client.get("/admin/plans").text
    assert "rolls over 1 month, cap 5.00 h" in page


def test_admin_sells_prepaid_blocks(client, admin):
    response = submit(client, "/admin/plans/new", block(when_used_up="refuse"))
    assert response.status_code == 302
    assert terms("Block20") == ("block", 0, 0, None, 1200, 3, "refuse")
    price = db.session.scalar(db.select(PlanPrice))
    assert (price.fee, price.rate) == (Decimal("1000.00"), Decimal("70.00"))
    page = client.get("/admin/plans").text
    assert "20.00 h blocks, valid 3 months" in page and "refuses time beyond them" in page
    assert "€1,000.00 a block" in page


def test_the_edit_form_shows_the_terms_and_changes_them(client, admin, f):
    plan = f.block_plan("Block20")
    url = f"/admin/plans/{plan.id}/edit"
    page = client.get(url).text
    assert 'value="20.00"' in page and 'value="3"' in page and 'value="1000.00"' in page
    assert submit(client, url, block(block_hours="7:30", validity_months="12")).status_code == 302
    assert terms("Block20")[4:6] == (450, 12)
    assert client.get("/admin/plans").text.count("7.50 h blocks, valid 12 months") == 1


def test_a_package_without_rollover_says_so(client, admin):
    assert submit(client, "/admin/plans/new", package(rollover_months="0")).status_code == 302
    assert terms("Flex")[2:4] == (0, None)
    assert "no rollover" in client.get("/admin/plans").text


BAD = [
    (package(rollover_months="13"), "rollover_months", "0 (none) to 12"),
    (package(rollover_months="-1"), "rollover_months", "0 (none) to 12"),
    (package(rollover_months="one"), "rollover_months", "0 (none) to 12"),
    (package(rollover_cap_hours="2.1"), "rollover_cap_hours", "quarter-hour steps"),
    (package(block_hours="20"), "block_hours", "Only block plans"),
    (block(block_hours="0"), "block_hours", "above 0"),
    (block(block_hours=""), "block_hours", "above 0"),
    (block(validity_months="0"), "validity_months", "1 to 36"),
    (block(validity_months="37"), "validity_months", "1 to 36"),
    (block(validity_months=""), "validity_months", "1 to 36"),
    (block(when_used_up="bill"), "when_used_up", "Not a valid choice"),
    (block(rollover_months="1"), "rollover_months", "Only package plans"),
    (block(rollover_cap_hours="5"), "rollover_cap_hours", "Only package plans"),
    (block(included_hours="10"), "included_hours", "include no monthly hours"),
    (block(**{"price-EUR-fee": "0"}), "price-EUR-fee", "price above 0"),
]


@pytest.mark.parametrize(
    ("data", "field", "message"), BAD, ids=[f"{d['model']}-{f}" for d, f, _ in BAD]
)
def test_bad_terms_come_back_per_field_and_save_nothing(client, admin, data, field, message):
    response = submit(client, "/admin/plans/new", data)
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert (count(Plan), count(PlanPrice)) == (0, 0)
    # What was typed stays in the form.
    assert f'value="{data["name"]}"' in response.text


def test_every_bad_term_is_shown_at_once(client, admin):
    response = submit(client, "/admin/plans/new", block(block_hours="0", validity_months="99"))
    assert response.status_code == 422
    assert field_error(response.text, "block_hours") and field_error(
        response.text, "validity_months"
    )


def test_the_form_works_without_its_script_which_only_hides_other_models_terms(client, admin):
    page = client.get("/admin/plans/new").text
    assert 'src="/static/js/plan-form.js"' in page
    # Every field is in the page; the script only hides the fieldset of the other model.
    for name in ("rollover_months", "rollover_cap_hours", "block_hours", "validity_months"):
        assert f'name="{name}"' in page
    assert 'data-plan-models="package"' in page and 'data-plan-models="block"' in page
    assert "hidden" not in page.split('data-plan-models="block"')[1].split(">")[0]
    with client.get("/static/js/plan-form.js") as script:
        assert script.status_code == 200
