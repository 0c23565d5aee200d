"""Issued invoices as documents, through the doors people use: the invoice page, its PDF
(read back with pypdf, the XML pulled out with factur-x) and the XML download.

SPEC.md's worked examples to the cent: Nowak (PLN, 23 % VAT, 1,829.63) and ACME (EUR,
reverse charge, 193.33). What was issued stays as issued when profiles and rates change.
"""

import io
from datetime import date
from decimal import Decimal as D

import pytest
from lxml import etree
from pypdf import PdfReader

from portal.documents.facturx import check_xml
from portal.documents.pdf import extract_xml
from portal.extensions import db
from portal.models import Invoice, TaxRate
from portal.services.billing.close import close_period
from portal.services.billing.invoices import cancel_invoice
from portal.services.billing.profiles import save_business_profile
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import bearer

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
SELLER = {
    "legal_name": "Wsparcie Godzinowe Sp. z o.o.",
    "address_lines": ["ul. Prosta 20"],
    "postal_code": "00-850",
    "city": "Warszawa",
    "country": "PL",
    "tax_id": "PL5260250274",
    "email": "faktury@wsparcie.example",
    "iban": "PL61 1090 1014 0000 0712 1981 2874",
    "bic": "WBKPPLPP",
    "payment_terms": "Payable within 14 days.",
    "invoice_footer": "KRS 0000123456",
}
REVERSE_CHARGE = "Reverse charge: VAT to be accounted for by the recipient"


def _bill(f, client, plan, start: date, entries, period: str) -> Invoice:
    """Subscribe the client from `start`, log (minutes, day, billable) entries, close `period`."""
    admin = f.user("admin")
    f.subscription(client, plan, start)
    ticket, operator = f.ticket(client), f.user("operator")
    for minutes, day, billable in entries:
        log_time(ticket, operator, TimeInput(minutes, day, "Work", billable))
    db.session.commit()
    result = close_period(period, admin)
    db.session.commit()
    [invoice] = [i for i in result.invoices if i.client_id == client.id]
    return invoice


@pytest.fixture
def seller(f):
    save_business_profile(SELLER, f.user("admin"))
    db.session.commit()


@pytest.fixture
def nowak_invoice(f, seller):
    """SPEC.md: 800.00 PLN a month, 250.00 an hour, 10 h included; 12.75 h in October."""
    f.tax_rate("VAT 23%", "23", "PL", is_default=True)
    client = f.client("Nowak", currency_code="PLN", country="PL", city="Kraków")
    plan = f.plan(hours=10, prices={"PLN": ("800.00", "250.00")})
    entries = [(420, date(2026, 10, 6), True), (345, date(2026, 10, 20), True)]
    return _bill(f, client, plan, date(2026, 10, 1), entries, "2026-10")


@pytest.fixture
def acme_invoice(f, seller):
    """SPEC.md: Standard (10 h, EUR 200/60, prorating) from 2026-09-11; 7.75 h billable."""
    f.tax_rate("VAT 23%", "23", "PL", is_default=True)
    client = f.client(
        "ACME GmbH",
        legal_name="ACME Gesellschaft mbH",
        country="DE",
        city="Berlin",
        tax_id="DE136695976",
        tax_treatment="reverse_charge",
    )
    plan = f.plan(name="Standard", hours=10, prices={"EUR": ("200.00", "60.00")})
    entries = [
        (255, date(2026, 9, 14), True),
        (210, date(2026, 9, 21), True),
        (60, date(2026, 9, 22), False),
    ]
    return _bill(f, client, plan, date(2026, 9, 11), entries, "2026-09")


def _pdf(client, invoice, who="admin"):
    response = client.get(f"/{who}/invoices/{invoice.id}/pdf")
    assert response.status_code == 200, response.text[:500]
    return response


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _xml(client, invoice, who="admin") -> bytes:
    response = client.get(f"/{who}/invoices/{invoice.id}/factur-x.xml")
    assert response.status_code == 200
    return response.data


def _x(tree, path: str) -> str:
    return tree.xpath(path, namespaces=NS)[0].text


def test_spec_example_nowak_on_the_page_the_pdf_and_the_xml(client, admin, nowak_invoice):
    invoice = db.session.get(Invoice, nowak_invoice.id)
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (
        D("1487.50"),
        D("342.13"),
        D("1829.63"),
    )
    page = client.get(f"/admin/invoices/{invoice.id}").text
    for text in ("1,487.50", "342.13", "1,829.63", "VAT 23% on", "Wsparcie Godzinowe"):
        assert text in page
    assert "2.75 h" in page and "/h" in page  # overtime shows hours × rate

    response = _pdf(client, invoice)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = _text(response.data)
    for expected in (invoice.number, "1,487.50", "342.13", "1,829.63", "Wsparcie Godzinowe"):
        assert expected in text
    assert "Nowak" in text and "PL61109010140000071219812874" in text
    assert "12.75 h used of 10.00 h included" in text

    xml = _xml(client, invoice)
    assert extract_xml(response.data) == xml  # the PDF carries the very same XML
    check_xml(xml)
    tree = etree.fromstring(xml)
    assert _x(tree, "//rsm:ExchangedDocument/ram:ID") == invoice.number
    assert _x(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert _x(tree, "//rsm:ExchangedDocument//udt:DateTimeString") == (
        invoice.issue_date.strftime("%Y%m%d")
    )
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert _x(tree, summation + "ram:TaxBasisTotalAmount") == "1487.50"
    assert _x(tree, summation + "ram:TaxTotalAmount") == "342.13"
    assert _x(tree, summation + "ram:GrandTotalAmount") == "1829.63"
    assert _x(tree, summation + "ram:DuePayableAmount") == "1829.63"
    assert _x(tree, "//ram:SellerTradeParty/ram:Name") == SELLER["legal_name"]
    assert _x(tree, "//ram:BuyerTradeParty/ram:Name") == "Nowak"
    assert _x(tree, "//ram:ApplicableTradeTax/ram:CategoryCode") == "S"


def test_spec_example_acme_reverse_charge(client, admin, acme_invoice):
    invoice = db.session.get(Invoice, acme_invoice.id)
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (
        D("193.33"),
        D("0.00"),
        D("193.33"),
    )
    page = client.get(f"/admin/invoices/{invoice.id}").text
    assert REVERSE_CHARGE in page and "20/30 of the month" in page
    text = _text(_pdf(client, invoice).data)
    assert REVERSE_CHARGE in text.replace("\n", " ") and "€193.33" in text
    assert "DE136695976" in text and "ACME Gesellschaft mbH" in text
    tree = etree.fromstring(_xml(client, invoice))
    assert _x(tree, "//ram:ApplicableTradeTax/ram:CategoryCode") == "AE"
    assert _x(tree, "//ram:BuyerTradeParty//ram:ID[@schemeID='VA']") == "DE136695976"
    # A prorated package is quantity 1 at its month's price: quantity × price = net.
    first = tree.xpath("//ram:IncludedSupplyChainTradeLineItem", namespaces=NS)[0]
    assert _x(first, ".//ram:BilledQuantity") in ("1.0000", "1.00", "1")
    assert _x(first, ".//ram:NetPriceProductTradePrice/ram:ChargeAmount").startswith("133.33")


def test_credit_note_documents_are_type_381_and_refer_to_the_invoice(client, admin, acme_invoice):
    invoice = db.session.get(Invoice, acme_invoice.id)
    cancel_invoice(invoice, None)
    db.session.commit()
    note = invoice.credit_note
    assert note.number.startswith("CN-") and note.total == D("-193.33")
    xml = _xml(client, note)
    check_xml(xml)
    tree = etree.fromstring(xml)
    assert _x(tree, "//rsm:ExchangedDocument/ram:TypeCode") == "381"
    assert _x(tree, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == invoice.number
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert _x(tree, summation + "ram:GrandTotalAmount") == "193.33"
    pdf = _pdf(client, note).data
    assert extract_xml(pdf) == xml
    text = _text(pdf)
    assert f"Credit note {note.number}" in text and invoice.number in text
    assert "-€193.33" in text or "−€193.33" in text


def test_an_issued_invoice_keeps_what_it_was_issued_with(client, admin, f, nowak_invoice):
    invoice_id = nowak_invoice.id
    page_before = client.get(f"/admin/invoices/{invoice_id}").text
    xml_before = _xml(client, nowak_invoice)
    text_before = _text(_pdf(client, nowak_invoice).data)

    # The seller moves and renames, the client too, and VAT goes up.
    save_business_profile(SELLER | {"legal_name": "Renamed Sp. z o.o."}, f.user("admin"))
    nowak = nowak_invoice.client
    nowak.legal_name, nowak.city = "Nowak Renamed", "Gdańsk"
    db.session.scalar(db.select(TaxRate)).percent = D("25")
    db.session.commit()

    invoice = db.session.get(Invoice, invoice_id)
    page_after = client.get(f"/admin/invoices/{invoice_id}").text
    assert "Renamed" not in page_after and "Wsparcie Godzinowe" in page_after
    assert "1,829.63" in page_after and "Gdańsk" not in page_after
    assert page_after.count("342.13") == page_before.count("342.13")
    assert _xml(client, invoice) == xml_before
    assert _text(_pdf(client, invoice).data) == text_before


def test_client_downloads_its_own_documents_and_never_anothers(client, login_as, f, seller):
    f.tax_rate("VAT 23%", "23", "PL", is_default=True)
    plan = f.plan(hours=10, prices={"EUR": ("200.00", "60.00")})
    mine = _bill(f, f.client("Mine", country="PL"), plan, date(2026, 9, 1), [], "2026-09")
    theirs = f.client("Theirs", country="PL")
    other = _bill(f, theirs, plan, date(2026, 10, 1), [], "2026-10")
    login_as("client", client=mine.client)
    assert _pdf(client, mine, "client").data.startswith(b"%PDF")
    check_xml(_xml(client, mine, "client"))
    list_page = client.get(f"/client/invoices/{mine.id}").text
    assert f"/client/invoices/{mine.id}/pdf" in list_page
    for path in ("pdf", "factur-x.xml"):
        response = client.get(f"/client/invoices/{other.id}/{path}")
        assert response.status_code == 404 and other.number not in response.text


def test_invoice_issued_before_the_business_profile_has_a_pdf_but_no_xml(client, admin, f):
    plan = f.plan(hours=10, prices={"EUR": ("200.00", "60.00")})
    invoice = _bill(f, f.client("Early"), plan, date(2026, 9, 1), [], "2026-09")
    assert _pdf(client, invoice).data.startswith(b"%PDF")
    response = client.get(f"/admin/invoices/{invoice.id}/factur-x.xml")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).text
    assert "has no e-invoice" in page


def test_api_serves_the_pdf_and_the_xml_and_refuses_anothers(client, f, nowak_invoice):
    admin_token = f.api_token(f.user("admin"))
    pdf = client.get(f"/api/v1/invoices/{nowak_invoice.id}/pdf", headers=bearer(admin_token))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment;")
    xml = client.get(
        f"/api/v1/invoices/{nowak_invoice.id}/factur-x.xml", headers=bearer(admin_token)
    )
    assert xml.mimetype == "application/xml" and extract_xml(pdf.data) == xml.data
    stranger = f.api_token(f.user("client"))
    for path in ("pdf", "factur-x.xml"):
        response = client.get(
            f"/api/v1/invoices/{nowak_invoice.id}/{path}", headers=bearer(stranger)
        )
        assert response.status_code == 404 and response.json["error"] == "not_found"
    own = f.api_token(f.user("client", client=nowak_invoice.client))
    response = client.get(f"/api/v1/invoices/{nowak_invoice.id}/pdf", headers=bearer(own))
    assert response.status_code == 200


def test_api_xml_without_a_seller_country_is_409(client, f):
    plan = f.plan(hours=10, prices={"EUR": ("200.00", "60.00")})
    invoice = _bill(f, f.client("Early"), plan, date(2026, 9, 1), [], "2026-09")
    token = f.api_token(f.user("admin"))
    response = client.get(f"/api/v1/invoices/{invoice.id}/factur-x.xml", headers=bearer(token))
    assert response.status_code == 409 and response.json["error"] == "document_incomplete"
