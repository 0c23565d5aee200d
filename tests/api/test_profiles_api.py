"""GET/PUT /business-profile and PATCH /clients/{id}: the seller and the buyer on invoices,
checked like the pages check them (400 naming each field, nothing saved)."""

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, BusinessProfile, Client

API = "/api/v1"
PROFILE = {
    "legal_name": "Support Hours Sp. z o.o.",
    "address_lines": ["ul. Prosta 20", "lok. 4"],
    "postal_code": "00-850",
    "city": "Warszawa",
    "country": "PL",
    "tax_id": "PL5260250274",
    "email": "invoices@example.com",
    "phone": "+48 22 123 45 67",
    "bank_account_holder": "Support Hours Sp. z o.o.",
    "iban": "PL61 1090 1014 0000 0712 1981 2874",
    "bic": "WBKPPLPP",
    "payment_terms": "14 days.",
    "invoice_footer": "Thank you.",
}


@pytest.fixture
def tokens(f):
    """Bearer headers of an admin, an operator and ACME's client user; ACME's id."""
    acme = f.client("ACME GmbH", currency_code="EUR")

    def bearer(user):
        return {"Authorization": f"Bearer {f.api_token(user)}"}

    return {
        "admin": bearer(f.user("admin")),
        "operator": bearer(f.user("operator")),
        "client": bearer(f.user("client", client=acme)),
        "acme": acme.id,
    }


def rows() -> tuple[int, int]:
    """Profiles and audit rows in the database."""
    count = lambda model: db.session.scalar(db.select(db.func.count()).select_from(model))  # noqa: E731
    return count(BusinessProfile), count(AuditLogEntry)


def test_profile_is_empty_until_saved_then_put_and_get_agree(client, tokens):
    empty = client.get(f"{API}/business-profile", headers=tokens["operator"])
    assert empty.status_code == 200
    assert empty.json["legal_name"] == "" and empty.json["address_lines"] == []
    put = client.put(f"{API}/business-profile", json=PROFILE, headers=tokens["admin"])
    assert put.status_code == 200, put.json
    expected = PROFILE | {"iban": "PL61109010140000071219812874"}
    assert put.json == expected
    got = client.get(f"{API}/business-profile", headers=tokens["operator"])
    assert got.json == expected


def test_put_keeps_what_it_leaves_out(client, tokens):
    client.put(f"{API}/business-profile", json=PROFILE, headers=tokens["admin"])
    put = client.put(f"{API}/business-profile", json={"city": "Kraków"}, headers=tokens["admin"])
    assert put.status_code == 200
    assert put.json["city"] == "Kraków" and put.json["tax_id"] == "PL5260250274"


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"iban": "PL61 1090 1014 0000 0712 1981 2875"}, {"iban"}),
        ({"tax_id": "PL5260250275"}, {"tax_id"}),
        ({"country": "XX"}, {"country"}),
        ({"country": "Poland"}, {"country"}),
        ({"iban": "DE00", "tax_id": "DE136695977", "country": "EU"}, {"iban", "tax_id", "country"}),
        ({"address_lines": ["a", "b", "c", "d"]}, {"address_lines"}),
        ({"address_lines": "ul. Prosta 20"}, {"address_lines"}),
        ({"legal_name": " "}, {"legal_name"}),
        ({"bic": "WBKP"}, {"bic"}),
        ({"email": "nope"}, {"email"}),
        ({"nickname": "Bob"}, {"nickname"}),
    ],
)
def test_bad_profile_is_400_with_each_field_and_nothing_saved(client, tokens, changes, fields):
    before = rows()
    response = client.put(
        f"{API}/business-profile", json=PROFILE | changes, headers=tokens["admin"]
    )
    assert response.status_code == 400
    assert response.json["error"] == "validation"
    assert fields <= set(response.json["fields"]), response.json
    assert rows() == before


def test_only_admins_change_the_profile_and_clients_may_not_read_it(client, tokens):
    before = rows()
    operator = client.put(f"{API}/business-profile", json=PROFILE, headers=tokens["operator"])
    assert operator.status_code == 403
    assert client.get(f"{API}/business-profile", headers=tokens["client"]).status_code == 403
    assert client.put(f"{API}/business-profile", json=PROFILE).status_code == 401
    assert rows() == before


# ---- PATCH /clients/{id} ----------------------------------------------------------------------


def test_patch_sets_the_billing_profile_and_get_shows_it(client, tokens):
    url = f"{API}/clients/{tokens['acme']}"
    before = client.get(url, headers=tokens["operator"]).json
    assert before["billing_name"] == "ACME GmbH" and before["billing_emails"] == []
    body = {
        "legal_name": "ACME Gesellschaft mbH",
        "address_lines": ["Friedrichstraße 123"],
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "de 136 695 976",
        "billing_emails": ["AP@acme.example", "controlling@acme.example"],
        "po_reference": "PO-2026-0042",
    }
    response = client.patch(url, json=body, headers=tokens["admin"])
    assert response.status_code == 200, response.json
    got = client.get(url, headers=tokens["operator"]).json
    assert got == response.json
    assert got["tax_id"] == "DE136695976" and got["billing_name"] == "ACME Gesellschaft mbH"
    assert got["billing_emails"] == ["ap@acme.example", "controlling@acme.example"]
    assert got["name"] == "ACME GmbH" and got["currency"] == "EUR" and "subscription" in got
    (row,) = db.session.scalars(db.select(AuditLogEntry).filter_by(action="client.update")).all()
    assert row.after["country"] == "DE" and row.before["country"] == ""


def test_patch_changes_name_and_email_and_keeps_the_rest(client, tokens):
    url = f"{API}/clients/{tokens['acme']}"
    client.patch(url, json={"country": "DE"}, headers=tokens["admin"])
    response = client.patch(
        url, json={"name": "ACME AG", "email": "ap@acme.example"}, headers=tokens["admin"]
    )
    assert response.status_code == 200
    assert response.json["name"] == "ACME AG" and response.json["country"] == "DE"
    assert response.json["billing_name"] == "ACME AG"  # no legal name: the client's name


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"billing_emails": ["ap@acme.example", "not-an-email"]}, "billing_emails"),
        ({"billing_emails": "ap@acme.example"}, "billing_emails"),
        ({"email": "nope"}, "email"),
        ({"tax_id": "DE136695977"}, "tax_id"),
        ({"country": "ZZ"}, "country"),
        ({"currency": "USD"}, "currency"),  # not a field of the PATCH
        ({"tax_treatment": "exempt"}, "tax_exemption_reason"),  # printed on the invoice
        ({"tax_treatment": "reverse_charge"}, "tax_treatment"),  # needs the VAT number
        ({"tax_treatment": "zero"}, "tax_treatment"),
        ({"tax_rate_id": 999999}, "tax_rate_id"),
        ({"tax_rate_id": "1"}, "tax_rate_id"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_patch_is_400_with_the_field_and_nothing_saved(client, tokens, body, field):
    url = f"{API}/clients/{tokens['acme']}"
    before = rows()
    response = client.patch(url, json=body, headers=tokens["admin"])
    assert response.status_code == 400
    assert field in response.json["fields"], response.json
    db.session.expire_all()
    acme = db.session.get(Client, tokens["acme"])
    assert (acme.name, acme.email, acme.country, acme.billing_emails) == (
        "ACME GmbH",
        acme.email,
        "",
        [],
    )
    assert rows() == before


def test_only_admins_patch_clients(client, tokens):
    url = f"{API}/clients/{tokens['acme']}"
    assert client.patch(url, json={"city": "Bonn"}, headers=tokens["operator"]).status_code == 403
    assert client.patch(url, json={"city": "Bonn"}, headers=tokens["client"]).status_code == 403
    unknown = client.patch(f"{API}/clients/999999", json={"city": "Bonn"}, headers=tokens["admin"])
    assert unknown.status_code == 404


def test_patch_sets_and_clears_the_tax_treatment_and_get_shows_it(client, tokens, f):
    url = f"{API}/clients/{tokens['acme']}"
    rate = f.tax_rate("VAT 7%", "7", country="DE")
    exempt = client.patch(
        url,
        json={"tax_treatment": "exempt", "tax_exemption_reason": "Art. 132 VAT Directive"},
        headers=tokens["admin"],
    )
    assert exempt.status_code == 200, exempt.json
    assert (exempt.json["tax_treatment"], exempt.json["tax_exemption_reason"]) == (
        "exempt",
        "Art. 132 VAT Directive",
    )
    reverse = client.patch(
        url,
        json={"tax_treatment": "reverse_charge", "country": "DE", "tax_id": "DE136695976"},
        headers=tokens["admin"],
    )
    assert reverse.status_code == 200, reverse.json
    assert reverse.json["tax_treatment"] == "reverse_charge"
    assert reverse.json["tax_exemption_reason"] == ""  # the reason belongs to an exemption
    own_rate = client.patch(
        url, json={"tax_treatment": "standard", "tax_rate_id": rate.id}, headers=tokens["admin"]
    )
    assert own_rate.json["tax_rate_id"] == rate.id
    kept = client.patch(url, json={"city": "Bonn"}, headers=tokens["admin"])
    assert kept.json["tax_rate_id"] == rate.id and kept.json["tax_treatment"] == "standard"
    cleared = client.patch(url, json={"tax_rate_id": None}, headers=tokens["admin"])
    assert cleared.status_code == 200 and cleared.json["tax_rate_id"] is None
    got = client.get(url, headers=tokens["operator"]).json
    assert (got["tax_treatment"], got["tax_rate_id"], got["country"]) == ("standard", None, "DE")


def test_post_clients_takes_the_billing_profile(client, tokens):
    body = {
        "name": "ACME AG",
        "email": "ap@acme.example",
        "currency": "EUR",
        "legal_name": "ACME Aktiengesellschaft",
        "country": "DE",
        "tax_id": "DE136695976",
        "billing_emails": ["invoices@acme.example"],
        "tax_treatment": "reverse_charge",
    }
    created = client.post(f"{API}/clients", json=body, headers=tokens["admin"])
    assert created.status_code == 201, created.json
    assert created.json["legal_name"] == "ACME Aktiengesellschaft"
    assert created.json["tax_treatment"] == "reverse_charge"
    assert created.json["billing_emails"] == ["invoices@acme.example"]
    refused = client.post(
        f"{API}/clients",
        json={**body, "name": "Other", "tax_id": ""},
        headers=tokens["admin"],
    )
    assert refused.status_code == 400 and "tax_treatment" in refused.json["fields"]
