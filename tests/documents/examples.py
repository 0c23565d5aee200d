"""InvoiceDocuments for the document tests and the benchmark: SPEC's worked example and kin."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

from portal.documents.model import DocumentLine, DocumentTax, InvoiceDocument, Party

REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)"
)

SELLER = Party(
    name="Wsparcie Sp. z o.o.",
    address_lines=("ul. Marszałkowska 1",),
    postal_code="00-001",
    city="Warszawa",
    country="PL",
    tax_id="PL5260250995",
    email="billing@wsparcie.example",
)
NOWAK = Party(
    name="Nowak Sp. j.",
    address_lines=("ul. Długa 5",),
    postal_code="80-001",
    city="Gdańsk",
    country="PL",
    tax_id="PL7792433421",
    email="faktury@nowak.example",
)
ACME = Party(
    name="ACME GmbH",
    address_lines=("Hauptstraße 1",),
    postal_code="10115",
    city="Berlin",
    country="DE",
    tax_id="DE136695976",
)


def line(position, description, quantity, unit_code, price, net, category="S", percent="23"):
    """A document line; amounts as strings to keep the examples readable."""
    return DocumentLine(
        position, description, D(quantity), unit_code, D(price), D(net), category, D(percent)
    )


def worked_example() -> InvoiceDocument:
    """SPEC's Nowak invoice: 800.00 + 2.75 h × 250.00 = 1,487.50 net, 23 % → 1,829.63 PLN."""
    return InvoiceDocument(
        kind="invoice",
        number="INV-2026/0001",
        issue_date=date(2026, 11, 1),
        due_date=date(2026, 11, 15),
        currency="PLN",
        places=2,
        seller=SELLER,
        buyer=NOWAK,
        lines=(
            line(1, "Standard support package, October 2026", "1", "C62", "800.00", "800.00"),
            line(2, "Overtime, October 2026", "2.75", "HUR", "250.00", "687.50"),
        ),
        taxes=(DocumentTax("S", D("23.000"), D("1487.50"), D("342.13")),),
        net_total=D("1487.50"),
        tax_total=D("342.13"),
        total=D("1829.63"),
        balance=D("1829.63"),
        po_reference="PO-77",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        bank_account_holder="Wsparcie Sp. z o.o.",
        iban="PL61109010140000071219812874",
        bic="WBKPPLPP",
        payment_terms="14 days net",
    )


def reverse_charge() -> InvoiceDocument:
    """ACME's September: 133.33 + 60.00 = 193.33 EUR net, reverse charge, no tax."""
    return InvoiceDocument(
        kind="invoice",
        number="INV-2026/0002",
        issue_date=date(2026, 10, 1),
        due_date=date(2026, 10, 15),
        currency="EUR",
        places=2,
        seller=SELLER,
        buyer=ACME,
        lines=(
            line(
                1,
                "Standard support package, September 2026, 20/30",
                "1",
                "C62",
                "133.33",
                "133.33",
                "AE",
                "0",
            ),
            line(2, "Overtime, September 2026", "0.5", "HUR", "120.00", "60.00", "AE", "0"),
        ),
        taxes=(DocumentTax("AE", D(0), D("193.33"), D("0.00"), REVERSE_CHARGE_NOTE),),
        net_total=D("193.33"),
        tax_total=D("0.00"),
        total=D("193.33"),
        balance=D("193.33"),
        notes=(REVERSE_CHARGE_NOTE,),
        iban="PL61109010140000071219812874",
    )


def exempt() -> InvoiceDocument:
    """An exempt invoice with its reason, no IBAN and no due date (terms text only)."""
    reason = "Exempt under Article 113 of the Polish VAT Act"
    return InvoiceDocument(
        kind="invoice",
        number="INV-2026/0003",
        issue_date=date(2026, 11, 2),
        due_date=None,
        currency="PLN",
        places=2,
        seller=SELLER,
        buyer=replace(NOWAK, tax_id="", email=""),
        lines=(line(1, "Training", "3", "HUR", "100.00", "300.00", "E", "0"),),
        taxes=(DocumentTax("E", D(0), D("300.00"), D("0.00"), reason),),
        net_total=D("300.00"),
        tax_total=D("0.00"),
        total=D("300.00"),
        balance=D("300.00"),
        notes=(reason,),
        payment_terms="Payable on receipt",  # BR-CO-25: due date or terms for an amount due
    )


def credit_note() -> InvoiceDocument:
    """The credit note cancelling the worked example: the same lines and taxes, negated."""
    invoice = worked_example()
    return replace(
        invoice,
        kind="credit_note",
        number="CN-2026/0001",
        issue_date=date(2026, 11, 3),
        due_date=None,
        lines=tuple(replace(x, net=-x.net, unit_price=-x.unit_price) for x in invoice.lines),
        taxes=tuple(replace(t, net=-t.net, tax=-t.tax) for t in invoice.taxes),
        net_total=-invoice.net_total,
        tax_total=-invoice.tax_total,
        total=-invoice.total,
        balance=-invoice.total,
        credited_number=invoice.number,
        credited_issue_date=invoice.issue_date,
        payment_terms="",
    )


def part_paid() -> InvoiceDocument:
    """The worked example after the 1,000.00 payment: 829.63 still due."""
    return replace(worked_example(), paid_total=D("1000.00"), balance=D("829.63"))
