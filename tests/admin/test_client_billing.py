"""The client form's billing details: saved with the account, each bad field with its own
message and nothing saved."""

import pytest

from portal.extensions import db
from portal.models import Client
from tests.helpers import audit_rows, field_error, submit


@pytest.fixture
def acme(f):
    """A EUR client without billing details."""
    f.currency("EUR", is_default=True)
    return f.client("ACME GmbH", currency_code="EUR")


def edit_url(client_row) -> str:
    """The client's edit page."""
    return f"/admin/clients/{client_row.id}/edit"


def form(client_row, **values) -> dict:
    """The edit form with the account as it is and valid billing details."""
    data = {
        "name": client_row.name,
        "email": client_row.email,
        "currency": str(client_row.currency_id),
        "active": "y",
        "legal_name": "ACME Gesellschaft mbH",
        "address_lines": "Friedrichstraße 123\r\nHof 2",
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "DE 136 695 976",
        "billing_emails": "ap@acme.example\r\nControlling@acme.example",
        "po_reference": "PO-2026-0042",
    }
    return data | values


def reloaded(client_row) -> Client:
    """The client as the database has it."""
    db.session.expire_all()
    return db.session.get(Client, client_row.id)


def test_edit_page_saves_the_billing_details(client, admin, acme):
    page = client.get(edit_url(acme)).text
    assert "Billing details" in page and '<option value="DE">Germany</option>' in page
    response = submit(client, edit_url(acme), form(acme))
    assert response.status_code == 302
    saved = reloaded(acme)
    assert saved.legal_name == "ACME Gesellschaft mbH"
    assert saved.address_lines == ["Friedrichstraße 123", "Hof 2"]
    assert (saved.postal_code, saved.city, saved.country) == ("10117", "Berlin", "DE")
    assert saved.tax_id == "DE136695976" and saved.po_reference == "PO-2026-0042"
    assert saved.billing_emails == ["ap@acme.example", "controlling@acme.example"]
    (row,) = audit_rows("client.update")
    assert row.before["tax_id"] == "" and row.after["tax_id"] == "DE136695976"
    again = client.get(edit_url(acme)).text
    assert "Friedrichstraße 123\nHof 2" in again and '<option selected value="DE">' in again


def test_empty_billing_details_fall_back_to_the_account(client, admin, acme):
    empty = {k: "" for k in ("legal_name", "address_lines", "country", "tax_id", "billing_emails")}
    assert submit(client, edit_url(acme), form(acme, **empty)).status_code == 302
    saved = reloaded(acme)
    assert saved.billing_name == "ACME GmbH" and saved.invoice_emails == [acme.email]


BAD = [
    ({"billing_emails": "ap@acme.example, nope"}, "billing_emails", "nope&#39; is not an email"),
    ({"tax_id": "DE136695977"}, "tax_id", "Not a valid EU VAT number"),
    ({"country": "Atlantis"}, "country", "Choose a country from the list"),
    ({"address_lines": "1\n2\n3\n4"}, "address_lines", "at most 3"),
    ({"po_reference": "PO\x1b"}, "po_reference", "control character"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD)
def test_bad_billing_field_gets_its_message_and_nothing_is_saved(
    client, admin, acme, values, field, message
):
    response = submit(client, edit_url(acme), form(acme, name="ACME Renamed", **values))
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    saved = reloaded(acme)
    assert saved.name == "ACME GmbH" and saved.country == "" and saved.billing_emails == []
    assert audit_rows("client.update") == []


def test_new_client_can_be_added_with_billing_details(client, admin, acme):
    data = form(acme, name="Initech", email="ap@initech.example", country="US", tax_id="")
    response = submit(client, "/admin/clients/new", data)
    assert response.status_code == 302
    initech = db.session.scalar(db.select(Client).filter_by(name="Initech"))
    assert initech.country == "US" and initech.city == "Berlin"


def test_tax_fields_are_offered_with_the_rates(client, admin, acme, f):
    f.tax_rate("VAT 19%", "19", country="DE", is_default=True)
    page = client.get(edit_url(acme)).text
    assert '<option selected value="standard">Standard</option>' in page
    assert '<option value="reverse_charge">Reverse charge</option>' in page
    assert '<option selected value="">Default rate</option>' in page and "VAT 19% (19 %)" in page
    assert "Printed on the invoice; required when exempt." in page


def test_exempt_without_a_reason_gets_the_message_on_the_reason(client, admin, acme):
    response = submit(client, edit_url(acme), form(acme, tax_treatment="exempt"))
    assert response.status_code == 422
    assert "Enter the reason for the exemption" in field_error(
        response.text, "tax_exemption_reason"
    )
    assert reloaded(acme).tax_treatment == "standard"


def test_reverse_charge_without_a_tax_id_gets_a_message(client, admin, acme):
    data = form(acme, tax_treatment="reverse_charge", tax_id="")
    response = submit(client, edit_url(acme), data)
    assert response.status_code == 422
    assert "needs the client&#39;s VAT number" in field_error(response.text, "tax_treatment")
    assert reloaded(acme).tax_treatment == "standard"


def test_unknown_tax_rate_gets_a_message(client, admin, acme):
    response = submit(client, edit_url(acme), form(acme, tax_rate_id="999999"))
    assert response.status_code == 422
    assert "Choose a tax rate from the list." in field_error(response.text, "tax_rate_id")


def test_saved_tax_and_billing_details_show_on_the_client_page(client, admin, acme, f):
    rate = f.tax_rate("VAT 7%", "7")
    assert submit(client, edit_url(acme), form(acme, tax_rate_id=str(rate.id))).status_code == 302
    assert reloaded(acme).tax_rate_id == rate.id
    details = client.get(f"/admin/clients/{acme.id}").text
    details = details[details.index('id="billing-details"') :]
    assert "ACME Gesellschaft mbH" in details and "Friedrichstraße 123" in details
    assert "10117 Berlin" in details and "Germany" in details and "DE136695976" in details
    assert "ap@acme.example, controlling@acme.example" in details and "PO-2026-0042" in details
    assert "Standard · VAT 7%" in details

    data = form(acme, tax_treatment="exempt", tax_exemption_reason="Art. 132 VAT Directive")
    assert submit(client, edit_url(acme), data).status_code == 302
    details = client.get(f"/admin/clients/{acme.id}").text
    assert "Exempt · Art. 132 VAT Directive" in details
    assert (
        submit(client, edit_url(acme), form(acme, tax_treatment="reverse_charge")).status_code
        == 302
    )
    details = client.get(f"/admin/clients/{acme.id}").text
    assert "Reverse charge · 0 %" in details
    edit = client.get(edit_url(acme)).text
    assert '<option selected value="reverse_charge">' in edit
