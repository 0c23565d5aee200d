"""`flask seed-demo` gives the shop a seller and some clients billing details."""

from portal.extensions import db
from portal.models import BusinessProfile, Client
from portal.services.billing.identifiers import tax_id_problem


def test_demo_shop_has_a_business_profile_and_billing_details(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    profile = db.session.get(BusinessProfile, 1)
    assert profile.country == "PL" and profile.tax_id == "PL5260250274"
    assert profile.iban.startswith("PL") and profile.bic == "WBKPPLPP"
    acme = db.session.scalar(db.select(Client).filter_by(name="ACME GmbH"))
    assert (acme.country, acme.tax_id) == ("DE", "DE136695976")
    assert tax_id_problem(acme.tax_id, acme.country) is None
    assert len(acme.invoice_emails) == 2
    hooli = db.session.scalar(db.select(Client).filter_by(name="Hooli Labs"))
    assert hooli.billing_name == "Hooli Labs" and hooli.invoice_emails == [hooli.email]


def test_demo_business_profile_shows_on_the_api(runner, client, f):
    runner.invoke(args=["seed-demo"])
    token = f.api_token(f.user("operator"))
    response = client.get("/api/v1/business-profile", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["legal_name"] == "Support Hours Sp. z o.o."
