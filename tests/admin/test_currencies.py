"""Currency pages: admins list, add and edit currencies; one default; decimals locked in use."""

import pytest

from portal.extensions import db
from portal.models import Currency
from tests.helpers import audit_rows, count, csrf_token_from, field_error, submit


def form(code="EUR", decimals="2", prefix="€", suffix="", is_default=False) -> dict:
    """Form data of the currency form."""
    data = {"code": code, "decimals": decimals, "prefix": prefix, "suffix": suffix}
    return data | ({"is_default": "y"} if is_default else {})


def currencies() -> dict:
    """Code -> (decimals, prefix, suffix, is_default) of every currency, fresh from the DB."""
    db.session.expire_all()
    return {
        c.code: (c.decimals, c.prefix, c.suffix, c.is_default)
        for c in db.session.scalars(db.select(Currency))
    }


def test_admin_adds_currencies_and_the_first_becomes_default(client, admin):
    response = submit(client, "/admin/currencies/new", form("eur"))
    assert response.status_code == 302
    submit(client, "/admin/currencies/new", form("JPY", "0", "¥"))
    assert currencies() == {"EUR": (2, "€", "", True), "JPY": (0, "¥", "", False)}
    page = client.get("/admin/currencies").text
    assert "€1,234.50" in page and "¥1,235" in page
    assert [row.after["code"] for row in audit_rows("currency.create")] == ["EUR", "JPY"]


def test_making_one_default_undefaults_the_other(client, admin, f):
    eur = f.currency("EUR", is_default=True)
    usd = f.currency("USD")
    url = f"/admin/currencies/{usd.id}/edit"
    response = submit(client, url, form("USD", prefix="$", is_default=True))
    assert response.status_code == 302
    assert currencies() == {"EUR": (2, "", "", False), "USD": (2, "$", "", True)}
    updates = {(row.object_id, row.after["is_default"]) for row in audit_rows("currency.update")}
    assert updates == {(eur.id, False), (usd.id, True)}


def test_the_default_cannot_be_unset_without_choosing_another(client, admin, f):
    eur = f.currency("EUR", is_default=True)
    response = submit(client, f"/admin/currencies/{eur.id}/edit", form("EUR"))
    assert response.status_code == 422
    assert "One currency must be the default" in response.text
    assert currencies()["EUR"][3] is True


def test_decimals_and_code_of_a_currency_in_use_cannot_change(client, admin, f):
    f.client(currency_code="EUR")
    eur = f.currency("EUR")
    url = f"/admin/currencies/{eur.id}/edit"
    assert "Clients are billed in EUR" in client.get(url).text
    response = submit(client, url, form("EUR", decimals="3"))
    assert response.status_code == 422
    assert "its decimal places cannot change" in field_error(response.text, "decimals")
    response = submit(client, url, form("EUX"))
    assert "its code cannot change" in field_error(response.text, "code")
    assert currencies() == {"EUR": (2, "", "", False)}
    response = submit(client, url, form("EUR", prefix="€ "))  # display may change
    assert response.status_code == 302
    assert currencies()["EUR"][1] == "€ "


BAD = [
    ({"code": ""}, "code", "three letters"),
    ({"code": "EU"}, "code", "three letters"),
    ({"code": "EURO"}, "code", "three letters"),
    ({"code": "E1R"}, "code", "three letters"),
    ({"code": "ÉUR"}, "code", "three letters"),
    ({"code": "usd"}, "code", "already exists"),
    ({"decimals": ""}, "decimals", "from 0 to 4"),
    ({"decimals": "5"}, "decimals", "from 0 to 4"),
    ({"decimals": "-1"}, "decimals", "from 0 to 4"),
    ({"decimals": "2.5"}, "decimals", "from 0 to 4"),
    ({"decimals": "abc"}, "decimals", "from 0 to 4"),
    ({"decimals": "٢"}, "decimals", "from 0 to 4"),
    ({"decimals": "99999999999999999999"}, "decimals", "from 0 to 4"),
    ({"prefix": "123456789"}, "prefix", "8 characters"),
    ({"suffix": " złotych!!"}, "suffix", "8 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(c) for c, *_ in BAD])
def test_bad_input_shows_field_message_and_changes_nothing(
    client, admin, f, change, field, message
):
    f.currency("USD", is_default=True)
    before = currencies()
    response = submit(client, "/admin/currencies/new", form("CHF") | change)
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert currencies() == before
    assert count(Currency) == 1


@pytest.mark.parametrize("role", ["operator", "client"])
def test_other_roles_get_403_on_every_currency_page_and_post(client, login_as, f, role):
    eur = f.currency("EUR", is_default=True)
    login_as(role)
    token = csrf_token_from(client.get("/admin/" if role == "operator" else "/client/").text)
    for url in ("/admin/currencies", "/admin/currencies/new", f"/admin/currencies/{eur.id}/edit"):
        assert client.get(url).status_code == 403
    for url in ("/admin/currencies/new", f"/admin/currencies/{eur.id}/edit"):
        response = client.post(url, data=form("GBP", is_default=True) | {"csrf_token": token})
        assert response.status_code == 403
    assert currencies() == {"EUR": (2, "", "", True)}


def test_unknown_currency_is_404(client, admin):
    assert client.get("/admin/currencies/999/edit").status_code == 404


def test_decimals_cannot_drop_below_what_plan_prices_use(client, admin, f):
    f.plan(prices={"EUR": ("199.99", "60")})
    eur = f.currency("EUR")
    url = f"/admin/currencies/{eur.id}/edit"
    response = submit(client, url, form("EUR", decimals="0", is_default=True))
    assert response.status_code == 422
    assert "more than 0 decimals" in field_error(response.text, "decimals")
    assert currencies()["EUR"][0] == 2
    assert submit(client, url, form("EUR", decimals="3", is_default=True)).status_code == 302
    assert currencies()["EUR"][0] == 3
