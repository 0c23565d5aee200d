"""The business profile page (Setup → Business profile): saved with CSRF on, each bad field
answered with its own message and nothing saved."""

import pytest

from portal.extensions import db
from portal.models import BusinessProfile
from tests.helpers import audit_rows, count, field_error, submit

URL = "/admin/settings/business-profile"


def form(**values) -> dict:
    """A complete, valid form of the page."""
    data = {
        "legal_name": "Support Hours Sp. z o.o.",
        "address_lines": "ul. Prosta 20\r\nlok. 4",
        "postal_code": "00-850",
        "city": "Warszawa",
        "country": "PL",
        "tax_id": "PL 526-025-02-74",
        "email": "Invoices@Example.com",
        "phone": "+48 22 123 45 67",
        "bank_account_holder": "Support Hours Sp. z o.o.",
        "iban": "PL61 1090 1014 0000 0712 1981 2874",
        "bic": "wbkpplpp",
        "payment_terms": "14 days, bank transfer.",
        "invoice_footer": "KRS 0000123456\r\nThank you.",
    }
    return data | values


def stored() -> BusinessProfile | None:
    """The profile row as the database has it."""
    db.session.expire_all()
    return db.session.get(BusinessProfile, 1)


def test_setup_menu_links_the_page_and_it_offers_countries_by_name(client, admin):
    assert f'href="{URL}"' in client.get("/admin/settings").text
    page = client.get(URL).text
    assert '<option value="DE">Germany</option>' in page
    assert '<option value="PL">Poland</option>' in page
    assert 'value="EU"' not in page and 'value="001"' not in page


def test_admin_saves_the_profile_and_the_change_is_audited(client, admin):
    response = submit(client, URL, form())
    assert response.status_code == 302
    profile = stored()
    assert profile.legal_name == "Support Hours Sp. z o.o."
    assert profile.address_lines == ["ul. Prosta 20", "lok. 4"]
    assert profile.country == "PL" and profile.tax_id == "PL5260250274"
    assert profile.iban == "PL61109010140000071219812874" and profile.bic == "WBKPPLPP"
    assert profile.email == "invoices@example.com"
    assert profile.invoice_footer == "KRS 0000123456\r\nThank you."
    (row,) = audit_rows("business_profile.update")
    assert row.user_id == admin.id and row.before is None
    assert row.after["tax_id"] == "PL5260250274"
    page = client.get(URL).text
    assert "Business profile saved." in page and '<option selected value="PL">Poland' in page


def test_a_second_save_audits_only_what_changed(client, admin):
    submit(client, URL, form())
    submit(client, URL, form(city="Kraków"))
    assert stored().city == "Kraków"
    second = audit_rows("business_profile.update")[-1]
    assert second.before == {"city": "Warszawa"} and second.after == {"city": "Kraków"}


BAD = [
    ({"iban": "PL61 1090 1014 0000 0712 1981 2875"}, "iban", "Not a valid IBAN"),
    ({"iban": "XX00 1234"}, "iban", "Not a valid IBAN"),
    ({"tax_id": "PL5260250275"}, "tax_id", "Not a valid EU VAT number"),
    ({"tax_id": "5260250274"}, "tax_id", "with its country prefix (PL"),
    ({"country": "XK"}, "country", "Choose a country from the list"),
    ({"country": "ZZ"}, "country", "Choose a country from the list"),
    ({"country": ""}, "country", "Choose a country from the list"),
    ({"bic": "WBKP"}, "bic", "Not a valid BIC"),
    ({"email": "invoices@"}, "email", "valid email address"),
    ({"phone": "call me"}, "phone", "phone number"),
    ({"legal_name": ""}, "legal_name", "legal name"),
    ({"legal_name": "ACME\x1b[31m"}, "legal_name", "control character"),
    ({"address_lines": "a\nb\nc\nd"}, "address_lines", "at most 3"),
    ({"city": "x" * 101}, "city", "100 characters"),
]


@pytest.mark.parametrize(("values", "field", "message"), BAD)
def test_a_bad_field_gets_its_message_and_nothing_is_saved(client, admin, values, field, message):
    response = submit(client, URL, form(**values))
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert count(BusinessProfile) == 0 and audit_rows("business_profile.update") == []


def test_every_bad_field_at_once_gets_a_message_each(client, admin):
    submit(client, URL, form())
    bad = {"iban": "DE00 0000", "tax_id": "DE136695977", "country": "Atlantis"}
    response = submit(client, URL, form(**bad))
    assert response.status_code == 422
    for field in bad:
        assert field_error(response.text, field), field
    assert 'value="DE00 0000"' in response.text  # what was typed stays
    assert stored().iban == "PL61109010140000071219812874"


def test_without_csrf_token_nothing_is_saved(client, admin):
    response = client.post(URL, data=form())
    assert response.status_code in (400, 422)
    assert count(BusinessProfile) == 0


def test_operators_may_not_see_the_page(client, login_as):
    login_as("operator")
    assert client.get(URL).status_code == 403
