"""Tax rate pages: admins list, add and edit rates; at most one default; a message per field."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import TaxRate
from tests.helpers import audit_rows, count, csrf_token_from, field_error, submit


def form(name="VAT 23%", percent="23", country="PL", is_default=False) -> dict:
    """Form data of the tax rate form."""
    data = {"name": name, "percent": percent, "country": country}
    return data | ({"is_default": "y"} if is_default else {})


def rates() -> dict:
    """Name -> (percent, country, is_default) of every tax rate, fresh from the database."""
    db.session.expire_all()
    return {
        r.name: (r.percent, r.country, r.is_default) for r in db.session.scalars(db.select(TaxRate))
    }


def test_setup_menu_links_the_tax_rates_page(client, admin):
    page = client.get("/admin/").text
    assert 'href="/admin/tax-rates"' in page and "Tax rates" in page
    assert "No tax rates yet" in client.get("/admin/tax-rates").text


def test_admin_adds_a_rate_stored_exactly(client, admin):
    response = submit(client, "/admin/tax-rates/new", form(is_default=True))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/tax-rates")
    submit(client, "/admin/tax-rates/new", form("Reduced", "7,125", ""))
    assert rates() == {
        "VAT 23%": (Decimal("23.000"), "PL", True),
        "Reduced": (Decimal("7.125"), None, False),
    }
    page = client.get("/admin/tax-rates").text
    assert "23 %" in page and "7.125 %" in page and "Poland" in page
    assert [row.after["percent"] for row in audit_rows("tax_rate.create")] == ["23.000", "7.125"]


def test_admin_edits_a_rate(client, admin, f):
    rate = f.tax_rate("VAT 22%", "22", country="PL")
    url = f"/admin/tax-rates/{rate.id}/edit"
    page = client.get(url).text
    assert 'value="22.000"' in page and '<option selected value="PL">' in page
    response = submit(client, url, form("VAT 23%", "23.000", ""))
    assert response.status_code == 302
    assert rates() == {"VAT 23%": (Decimal("23.000"), None, False)}
    [row] = audit_rows("tax_rate.update")
    assert row.before["name"] == "VAT 22%" and row.after["country"] is None


def test_making_one_default_clears_the_other(client, admin, f):
    vat = f.tax_rate("VAT 23%", "23", is_default=True)
    reduced = f.tax_rate("VAT 8%", "8")
    url = f"/admin/tax-rates/{reduced.id}/edit"
    assert submit(client, url, form("VAT 8%", "8", is_default=True)).status_code == 302
    assert {name: values[2] for name, values in rates().items()} == {
        "VAT 23%": False,
        "VAT 8%": True,
    }
    updates = {(row.object_id, row.after["is_default"]) for row in audit_rows("tax_rate.update")}
    assert updates == {(vat.id, False), (reduced.id, True)}
    # Unticking it leaves no default: clients without a rate are then taxed at 0 %.
    assert submit(client, url, form("VAT 8%", "8")).status_code == 302
    assert not any(values[2] for values in rates().values())


BAD = [
    ({"percent": "abc"}, "percent", "from 0 to 100"),
    ({"percent": ""}, "percent", "from 0 to 100"),
    ({"percent": "-1"}, "percent", "from 0 to 100"),
    ({"percent": "100.0001"}, "percent", "At most 3 decimals"),
    ({"percent": "23.1234"}, "percent", "At most 3 decimals"),
    ({"percent": "100.001"}, "percent", "at most 100"),
    ({"percent": "1e2"}, "percent", "from 0 to 100"),
    ({"percent": "٢٣"}, "percent", "from 0 to 100"),
    ({"name": ""}, "name", "Give the tax rate a name"),
    ({"name": "   "}, "name", "Give the tax rate a name"),
    ({"name": "VAT\x1b23"}, "name", "control character"),
    ({"name": "\u200b"}, "name", "invisible"),
    ({"name": "x" * 121}, "name", "120 characters"),
    ({"name": "vat 8%"}, "name", "already exists"),
    ({"country": "XX"}, "country", "Choose a country from the list"),
    ({"country": "EU"}, "country", "Choose a country from the list"),
    ({"country": "POL"}, "country", "Choose a country from the list"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(c) for c, *_ in BAD])
def test_bad_input_shows_a_field_message_and_saves_nothing(
    client, admin, f, change, field, message
):
    f.tax_rate("VAT 8%", "8", is_default=True)
    before = rates()
    response = submit(client, "/admin/tax-rates/new", form() | change)
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert rates() == before
    assert count(TaxRate) == 1
    assert audit_rows("tax_rate.create") == []


def test_several_bad_fields_get_a_message_each(client, admin):
    response = submit(client, "/admin/tax-rates/new", form("", "abc", "XX"))
    assert response.status_code == 422
    assert all(field_error(response.text, name) for name in ("name", "percent", "country"))
    assert count(TaxRate) == 0


def test_a_refused_edit_changes_nothing(client, admin, f):
    rate = f.tax_rate("VAT 23%", "23", country="PL", is_default=True)
    response = submit(client, f"/admin/tax-rates/{rate.id}/edit", form(percent="-1", country=""))
    assert response.status_code == 422
    assert rates() == {"VAT 23%": (Decimal("23.000"), "PL", True)}


@pytest.mark.parametrize("role", ["operator", "client"])
def test_other_roles_get_403_on_every_tax_rate_page_and_post(client, login_as, f, role):
    rate = f.tax_rate()
    login_as(role)
    token = csrf_token_from(client.get("/admin/" if role == "operator" else "/client/").text)
    urls = ("/admin/tax-rates", "/admin/tax-rates/new", f"/admin/tax-rates/{rate.id}/edit")
    for url in urls:
        assert client.get(url).status_code == 403
    for url in urls[1:]:
        response = client.post(url, data=form("Other", "5") | {"csrf_token": token})
        assert response.status_code == 403
    assert list(rates()) == ["VAT 23%"]


def test_a_post_without_csrf_token_is_refused(client, admin):
    client.get("/admin/tax-rates/new")
    response = client.post("/admin/tax-rates/new", data=form())
    assert response.status_code == 400
    assert count(TaxRate) == 0


def test_unknown_tax_rate_is_404(client, admin):
    assert client.get("/admin/tax-rates/999/edit").status_code == 404
