"""What an invoice document says, as plain values: the page, the PDF and the XML read this.

Built from an issued invoice's snapshot (portal.services.billing.documents), never from
today's profiles, so a document made years later says what was issued. Amounts are as
stored: a credit note's are negative (the XML writes them as EN 16931 wants, see facturx).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Party:
    """The seller or the buyer as the invoice names them."""

    name: str
    address_lines: tuple[str, ...] = ()
    postal_code: str = ""
    city: str = ""
    country: str = ""  # ISO 3166 alpha-2, or "" when not known
    tax_id: str = ""  # VAT number, e.g. "PL5260250995"
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """One invoice line: what, how much, at what price, taxed how."""

    position: int
    description: str
    quantity: Decimal  # 2 places: hours for overtime/hourly, 1 for a package, or a count
    unit_code: str  # UN/ECE rec. 20: "HUR" (hour) or "C62" (one)
    unit_price: Decimal
    net: Decimal  # quantity × unit price as billed (rounded half-up to the currency)
    tax_category: str  # UNCL 5305: "S" standard, "Z" zero rated, "E" exempt, "AE" reverse charge
    tax_percent: Decimal  # 3 places


@dataclass(frozen=True)
class DocumentTax:
    """One rate's part of the invoice (EN 16931 BG-23)."""

    category: str
    percent: Decimal
    net: Decimal
    tax: Decimal
    exemption_reason: str = ""  # required for "E" and "AE"
    name: str = ""  # the rate's name as printed ("VAT 23%")


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything an invoice or credit note prints and declares."""

    kind: str  # "invoice" (type code 380) or "credit_note" (381)
    number: str
    issue_date: date
    due_date: date | None
    currency: str  # ISO 4217
    places: int  # the currency's decimal places
    seller: Party
    buyer: Party
    lines: tuple[DocumentLine, ...]
    taxes: tuple[DocumentTax, ...]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    paid_total: Decimal = Decimal(0)  # payments received so far
    balance: Decimal = Decimal(0)  # still to pay (total - paid)
    notes: tuple[str, ...] = ()  # printed notes, e.g. the reverse-charge statement
    po_reference: str = ""  # buyer's purchase-order reference (BT-13)
    credited_number: str = ""  # a credit note: the invoice it cancels (BT-25)
    credited_issue_date: date | None = None  # and that invoice's issue date (BT-26)
    period_start: date | None = None  # the month billed (BG-14), when there is one
    period_end: date | None = None
    bank_account_holder: str = ""
    iban: str = ""
    bic: str = ""
    payment_terms: str = ""
    footer: str = ""
    extra: dict = field(default_factory=dict)  # page-only details (hours used/included)
