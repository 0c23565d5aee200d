"""Tax rates over the API: staff list them, admins add and change them; percent is a string
with three decimals both ways; a refused body is 400 with the field and changes nothing."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, TaxRate


@pytest.fixture
def tokens(f):
    """A bearer header per role (the client user is ACME's)."""
    acme = f.client("ACME")
    users = {"admin": f.user("admin"), "operator": f.user("operator")}
    users["client"] = f.user("client", client=acme)
    return {role: {"Authorization": f"Bearer {f.api_token(u)}"} for role, u in users.items()}


def state() -> tuple:
    """Every tax rate and the audit rows' count, fresh from the database."""
    db.session.expire_all()
    rows = db.session.scalars(db.select(TaxRate).order_by(TaxRate.id))
    audit = db.session.scalar(db.select(db.func.count()).select_from(AuditLogEntry))
    return [(r.name, r.percent, r.country, r.is_default) for r in rows], audit


def test_admin_creates_lists_and_patches_a_rate(client, tokens):
    body = {"name": "VAT 23%", "percent": "23", "country": "pl", "is_default": True}
    response = client.post("/api/v1/tax-rates", json=body, headers=tokens["admin"])
    assert response.status_code == 201
    created = response.get_json()
    assert created == {
        "id": created["id"],
        "name": "VAT 23%",
        "percent": "23.000",
        "country": "PL",
        "is_default": True,
    }
    client.post(
        "/api/v1/tax-rates", json={"name": "Exempt", "percent": "0"}, headers=tokens["admin"]
    )
    listing = client.get("/api/v1/tax-rates?per_page=1", headers=tokens["operator"]).get_json()
    assert listing["page"] == 1 and listing["per_page"] == 1 and listing["total"] == 2
    assert listing["items"] == [
        {"id": created["id"] + 1, "name": "Exempt", "percent": "0.000", "country": None,
         "is_default": False}
    ]  # fmt: skip
    url = f"/api/v1/tax-rates/{created['id']}"
    response = client.patch(url, json={"percent": "22.5", "country": ""}, headers=tokens["admin"])
    assert response.status_code == 200
    assert response.get_json() | {"id": 0} == {
        "id": 0,
        "name": "VAT 23%",
        "percent": "22.500",
        "country": None,
        "is_default": True,
    }
    assert state()[0][0] == ("VAT 23%", Decimal("22.500"), None, True)


def test_a_new_default_clears_the_old_one(client, tokens, f):
    old = f.tax_rate("VAT 23%", "23", is_default=True)
    new = f.tax_rate("VAT 8%", "8")
    response = client.patch(
        f"/api/v1/tax-rates/{new.id}", json={"is_default": True}, headers=tokens["admin"]
    )
    assert response.get_json()["is_default"] is True
    listed = client.get("/api/v1/tax-rates", headers=tokens["admin"]).get_json()["items"]
    assert {r["id"]: r["is_default"] for r in listed} == {old.id: False, new.id: True}


BAD = [
    ({"percent": "abc"}, "percent", "from 0 to 100"),
    ({"percent": "-1"}, "percent", "from 0 to 100"),
    ({"percent": "100.0001"}, "percent", "At most 3 decimals"),
    ({"percent": "23.1234"}, "percent", "At most 3 decimals"),
    ({"percent": "101"}, "percent", "at most 100"),
    ({"percent": 23}, "percent", "Must be a string"),
    ({"percent": None}, "percent", "null"),
    ({"name": ""}, "name", "empty"),
    ({"name": "VAT\x0723"}, "name", "control character"),
    ({"name": "vat 8%"}, "name", "already exists"),
    ({"country": "XX"}, "country", "ISO 3166"),
    ({"country": "ZZ"}, "country", "ISO 3166"),
    ({"country": "POL"}, "country", "At most 2 characters"),
    ({"is_default": "yes"}, "is_default", "true or false"),
    ({"rate": "23"}, "rate", "Unknown field"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(c) for c, *_ in BAD])
def test_bad_input_is_400_with_the_field_and_nothing_saved(
    client, tokens, f, change, field, message
):
    rate = f.tax_rate("VAT 8%", "8", is_default=True)
    before = state()
    body = {"name": "VAT 23%", "percent": "23.000", "country": "PL"} | change
    response = client.post("/api/v1/tax-rates", json=body, headers=tokens["admin"])
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["error"] == "validation"
    assert message in answer["fields"][field]
    patch = {k: v for k, v in change.items() if not (k == "name" and v == "vat 8%")}
    if patch and patch.get("percent", "") is not None:
        response = client.patch(f"/api/v1/tax-rates/{rate.id}", json=patch, headers=tokens["admin"])
        assert response.status_code == 400
        assert field in response.get_json()["fields"]
    assert state() == before


def test_operator_may_list_but_not_write(client, tokens, f):
    rate = f.tax_rate()
    before = state()
    assert client.get("/api/v1/tax-rates", headers=tokens["operator"]).status_code == 200
    body = {"name": "VAT 5%", "percent": "5"}
    assert (
        client.post("/api/v1/tax-rates", json=body, headers=tokens["operator"]).status_code == 403
    )
    url = f"/api/v1/tax-rates/{rate.id}"
    assert client.patch(url, json=body, headers=tokens["operator"]).status_code == 403
    assert state() == before


def test_client_token_may_not_read_or_write(client, tokens, f):
    rate = f.tax_rate()
    assert client.get("/api/v1/tax-rates", headers=tokens["client"]).status_code == 403
    url = f"/api/v1/tax-rates/{rate.id}"
    response = client.patch(url, json={"percent": "5"}, headers=tokens["client"])
    assert response.status_code == 403
    assert client.get("/api/v1/tax-rates").status_code == 401


def test_unknown_rate_is_404(client, tokens):
    response = client.patch("/api/v1/tax-rates/999", json={"percent": "5"}, headers=tokens["admin"])
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_the_openapi_document_describes_tax_rates(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert {"get", "post"} <= set(document["paths"]["/tax-rates"])
    assert "patch" in document["paths"]["/tax-rates/{tax_rate_id}"]
    schema = document["components"]["schemas"]["TaxRateOut"]
    assert schema["properties"]["percent"]["pattern"] == r"^[0-9]{1,3}\.[0-9]{3}$"
