"""The client form's invoice language: offered by each language's own name, English for a
new client, saved with the account (audited), an unknown one refused with nothing saved."""

import pytest

from portal.extensions import db
from portal.models import Client
from tests.helpers import audit_rows, field_error, submit


@pytest.fixture
def acme(f):
    """A EUR client, English by default."""
    f.currency("EUR", is_default=True)
    return f.client("ACME GmbH", currency_code="EUR")


def edit_url(client_row) -> str:
    """The client's edit page."""
    return f"/admin/clients/{client_row.id}/edit"


def form(client_row, **values) -> dict:
    """The edit form with the account as it is."""
    data = {
        "name": client_row.name,
        "email": client_row.email,
        "currency": str(client_row.currency_id),
        "active": "y",
        "tax_treatment": "standard",
    }
    return data | values


def reloaded(client_row) -> Client:
    """The client as the database has it."""
    db.session.expire_all()
    return db.session.get(Client, client_row.id)


def test_the_form_offers_the_languages_english_by_default(client, admin, acme):
    page = client.get("/admin/clients/new").text
    assert '<label class="form-label" for="language">Invoice language</label>' in page
    assert '<option selected value="en">English</option>' in page
    assert '<option value="pl">Polski</option>' in page
    assert '<option value="de">Deutsch</option>' in page
    assert '<option value=""' not in page.split('name="language"')[1].split("</select>")[0]


def test_the_invoice_language_is_saved_and_audited(client, admin, acme):
    response = submit(client, edit_url(acme), form(acme, language="pl"))
    assert response.status_code == 302
    assert reloaded(acme).language == "pl"
    (row,) = audit_rows("client.update")
    assert row.before["language"] == "en" and row.after["language"] == "pl"
    again = client.get(edit_url(acme)).text  # the form shows what is saved
    assert '<option selected value="pl">Polski</option>' in again


def test_a_new_client_gets_its_language(client, admin, acme):
    data = form(acme, name="Initech", email="ap@initech.example", language="de")
    assert submit(client, "/admin/clients/new", data).status_code == 302
    initech = db.session.scalar(db.select(Client).filter_by(name="Initech"))
    assert initech.language == "de"


def test_a_new_client_without_a_choice_is_english(client, admin, acme):
    data = form(acme, name="Initech", email="ap@initech.example")
    assert submit(client, "/admin/clients/new", data).status_code == 302
    initech = db.session.scalar(db.select(Client).filter_by(name="Initech"))
    assert initech.language == "en"


def test_an_edit_without_the_field_keeps_the_language(client, admin, acme):
    assert submit(client, edit_url(acme), form(acme, language="de")).status_code == 302
    assert submit(client, edit_url(acme), form(acme, name="ACME AG")).status_code == 302
    saved = reloaded(acme)
    assert saved.name == "ACME AG" and saved.language == "de"


@pytest.mark.parametrize("value", ["fr", "", "EN", "pl_PL"])
def test_an_unknown_language_is_refused_and_nothing_saved(client, admin, acme, value):
    data = form(acme, name="ACME Renamed", language=value)
    response = submit(client, edit_url(acme), data)
    assert response.status_code == 422
    assert field_error(response.text, "language") == "Choose English, Polish or German."
    saved = reloaded(acme)
    assert saved.language == "en" and saved.name == "ACME GmbH"
    assert audit_rows("client.update") == []
