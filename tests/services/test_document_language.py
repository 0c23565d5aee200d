"""A client's language is the language of its documents (SPEC "Languages").

The invoice keeps the language it was issued in (buyer["language"]); the close writes its
item texts in the client's language, one switch of language per language; the PDF prints
labels, money, dates and hours in the invoice's language; the Factur-X XML is the same
bytes in every language.

Money, numbers, month names and the stored language come from Babel and the data, so they
are checked now. The words themselves come from the Polish and German catalogs: the checks
that need them are marked `needs_catalog` and skipped until the catalogs are filled.
"""

import io
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from babel.support import Translations
from flask_babel import gettext
from pypdf import PdfReader

from portal.documents.pdf import extract_xml
from portal.extensions import db
from portal.i18n import speaking
from portal.models import BillableItem, Invoice
from portal.services.billing import close as close_module
from portal.services.billing.close import close_period, preview_period
from portal.services.billing.documents import invoice_language, invoice_pdf, invoice_xml
from portal.services.billing.profiles import save_business_profile
from portal.services.tickets.time_entries import TimeInput, log_time

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
# SPEC.md's Nowak: 800.00 a month, 250.00 an hour, 10 h included; 12.75 h in October.
ENTRIES = [(420, date(2026, 10, 6)), (345, date(2026, 10, 20))]


TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def catalog_filled(language: str) -> bool:
    """True once the language's compiled catalog translates an invoice label and an item
    text (the Polish and German catalogs are filled after the messages are marked)."""
    catalog = Translations.load(str(TRANSLATIONS), [language])
    return all(
        catalog.gettext(msgid) != msgid
        for msgid in ("Issue date", "%(plan)s support package, %(month)s")
    )


def needs_catalog(language: str):
    """Skip a check of translated words until the language's catalog is filled: REMOVE
    nothing, they switch themselves on when `make translations` has filled it."""
    return pytest.mark.skipif(
        not catalog_filled(language), reason=f"the {language} catalog is not filled yet"
    )


@pytest.fixture
def seller(f):
    save_business_profile(SELLER, f.user("admin"))
    f.tax_rate("VAT 23%", "23", "PL", is_default=True)
    db.session.commit()


def _bill(f, currency: str, language: str, name: str = "Nowak") -> Invoice:
    """The Nowak example for a client of `language` billed in `currency`, closed."""
    client = f.client(name, currency_code=currency, country="PL", city="Kraków", language=language)
    plan = f.plan(name="Standard", hours=10, prices={currency: ("800.00", "250.00")})
    f.subscription(client, plan, date(2026, 10, 1))
    ticket, operator = f.ticket(client), f.user("operator")
    for minutes, day in ENTRIES:
        log_time(ticket, operator, TimeInput(minutes, day, "Work", True))
    db.session.commit()
    result = close_period("2026-10", f.user("admin"))
    db.session.commit()
    [invoice] = [i for i in result.invoices if i.client_id == client.id]
    return invoice


def _text(pdf: bytes) -> str:
    """The PDF's text, with Babel's no-break spaces as plain spaces."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def polish_invoice(f, seller):
    return _bill(f, "PLN", "pl")


@pytest.fixture
def german_invoice(f, seller):
    return _bill(f, "EUR", "de", name="Müller")


# ---- the language the invoice keeps --------------------------------------------------------


def test_the_invoice_keeps_its_clients_language(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    assert invoice.buyer["language"] == "pl"
    assert invoice_language(invoice) == "pl"
    # The client choosing another language later changes nothing issued.
    invoice.client.language = "de"
    db.session.commit()
    assert invoice_language(db.session.get(Invoice, invoice.id)) == "pl"


def test_an_invoice_issued_before_languages_reads_in_english(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    invoice.buyer = {k: v for k, v in invoice.buyer.items() if k != "language"}
    db.session.commit()
    assert invoice_language(db.session.get(Invoice, invoice.id)) == "en"


# ---- item texts in the client's language ---------------------------------------------------


def test_the_close_writes_a_polish_clients_items_with_polish_month_names(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    texts = [line.description for line in invoice.lines]
    # The month's name is Babel's (no catalog needed); it is the same on the items.
    assert all("październik 2026" in text for text in texts), texts
    items = db.session.scalars(db.select(BillableItem).filter_by(client_id=invoice.client_id))
    assert sorted(i.description for i in items) == sorted(texts)


def test_the_close_writes_a_german_clients_items_with_german_month_names(german_invoice):
    invoice = db.session.get(Invoice, german_invoice.id)
    assert all("Oktober 2026" in line.description for line in invoice.lines)


@needs_catalog("pl")
def test_polish_item_texts_come_from_the_catalog(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    texts = {line.kind: line.description for line in invoice.lines}
    month = "październik 2026"
    with speaking("pl"):
        package = gettext("%(plan)s support package, %(month)s", plan="Standard", month=month)
        overtime = gettext("%(plan)s overtime, %(month)s", plan="Standard", month=month)
    assert texts["package_fee"] == package
    assert texts["overtime"] == overtime
    assert "support package" not in texts["package_fee"]


def test_one_close_speaks_each_clients_language_once_per_language(f, seller, monkeypatch):
    """English, Polish and German clients in one close: each gets its own words, and the
    language switches once per language, not once per client or item."""
    plan = f.plan(name="Standard", hours=10, prices={"EUR": ("200.00", "60.00")})
    clients = {}
    for index, language in enumerate(["en", "pl", "de", "pl", "en", "de", "pl"]):
        client = f.client(f"Client {index}", language=language)
        f.subscription(client, plan, date(2026, 10, 1))
        clients[client.id] = language
    switches = []
    real = close_module.speaking

    def counting(language):
        switches.append(language)
        return real(language)

    monkeypatch.setattr(close_module, "speaking", counting)
    result = close_period("2026-10", f.user("admin"))
    db.session.commit()
    assert sorted(switches) == ["de", "en", "pl"]
    month = {"en": "October 2026", "pl": "październik 2026", "de": "Oktober 2026"}
    for item in result.items:
        assert item.description.endswith(month[clients[item.client_id]]), item.description
    english = [i.description for i in result.items if clients[i.client_id] == "en"]
    assert set(english) == {"Standard support package, October 2026"}


def test_the_preview_words_items_as_the_close_will(f, seller):
    plan = f.plan(name="Standard", hours=10, prices={"EUR": ("200.00", "60.00")})
    polish = f.client("Kowalski", language="pl")
    english = f.client("Smith", language="en")
    for client in (polish, english):
        f.subscription(client, plan, date(2026, 10, 1))
    closed, rows = preview_period("2026-10")
    assert not closed
    texts = {row["client_id"]: row["description"] for row in rows}
    assert texts[polish.id].endswith("październik 2026")
    assert texts[english.id] == "Standard support package, October 2026"


def test_a_prepaid_block_is_described_in_the_clients_language(f, seller):
    client = f.client("Kowalski", language="pl")
    f.subscription(client, f.block_plan(), date(2026, 10, 1))
    item = db.session.scalar(db.select(BillableItem).filter_by(client_id=client.id))
    # Polish hours and dates: "20,00 h", "01.10.2026" (Babel and the portal's formats).
    assert "20,00 h" in item.description and "01.10.2026" in item.description
    invoice = db.session.get(Invoice, item.invoice_id)
    assert invoice.buyer["language"] == "pl"


# ---- the PDF in the invoice's language -----------------------------------------------------


def test_a_polish_invoice_pdf_writes_money_and_hours_the_polish_way(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    assert invoice.total == D("1829.63")
    text = _text(invoice_pdf(invoice))
    assert "1 829,63 zł" in text and "1 487,50 zł" in text and "342,13 zł" in text
    assert "12,75" in text and "10,00" in text  # hours used and included
    assert "październik 2026" in text
    assert "1,829.63" not in text
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))
    assert reader.trailer["/Root"]["/Lang"] == "pl"


def test_a_german_invoice_pdf_writes_money_the_german_way(german_invoice):
    invoice = db.session.get(Invoice, german_invoice.id)
    text = _text(invoice_pdf(invoice))
    assert "1.829,63 €" in text and "1.487,50 €" in text
    assert "Oktober 2026" in text and "12,75" in text
    assert "€1,829.63" not in text


def test_the_pdf_follows_the_invoice_not_the_reader(client, admin, polish_invoice):
    """An English-speaking admin downloads a Polish invoice: it reads in Polish; the page
    around it stays in the admin's language."""
    admin.language = "en"
    db.session.commit()
    response = client.get(f"/admin/invoices/{polish_invoice.id}/pdf")
    assert response.status_code == 200
    assert "1 829,63 zł" in _text(response.data)
    xml = client.get(f"/admin/invoices/{polish_invoice.id}/factur-x.xml").data
    assert extract_xml(response.data) == xml


@needs_catalog("pl")
def test_a_polish_invoice_pdf_has_polish_labels(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    text = " ".join(_text(invoice_pdf(invoice)).split())  # labels may wrap in their cells
    # "Nabywca" is set in capitals by the style sheet.
    for label in (
        "Data wystawienia",
        "Termin płatności",
        "Faktura",
        "NABYWCA",
        "Razem",
        "Strona 1",
    ):
        assert label in text, label
    assert "Issue date" not in text and "Billed to" not in text
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))
    assert "faktura" in reader.metadata.title.lower()


@needs_catalog("de")
def test_a_german_invoice_pdf_has_german_labels(german_invoice):
    invoice = db.session.get(Invoice, german_invoice.id)
    text = " ".join(_text(invoice_pdf(invoice)).split())
    assert "Rechnungsdatum" in text and "Fälligkeitsdatum" in text
    assert "Issue date" not in text
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))
    assert "Rechnung" in reader.metadata.title


def test_the_pdf_metadata_names_the_invoice(polish_invoice):
    invoice = db.session.get(Invoice, polish_invoice.id)
    reader = PdfReader(io.BytesIO(invoice_pdf(invoice)))
    assert invoice.number in reader.metadata.title
    assert SELLER["legal_name"] in reader.metadata.title
    assert reader.metadata.author == SELLER["legal_name"]


# ---- the Factur-X XML is the same in every language ----------------------------------------


def test_the_factur_x_xml_is_the_same_bytes_in_every_language(polish_invoice):
    """The same invoice issued as English and as Polish: its XML (own codes, ISO values)
    does not change, in the PDF or on its own, whatever the document's or reader's language."""
    invoice = db.session.get(Invoice, polish_invoice.id)
    copies = {}
    for language in ("en", "pl", "de"):
        invoice.buyer = {**invoice.buyer, "language": language}
        db.session.commit()
        invoice = db.session.get(Invoice, invoice.id)
        pdf = invoice_pdf(invoice)
        copies[language] = extract_xml(pdf), _text(pdf)
        for reader in ("en", "pl", "de"):
            with speaking(reader):
                assert invoice_xml(invoice) == copies[language][0]
    assert copies["en"][0] == copies["pl"][0] == copies["de"][0]
    # ... while the PDFs around it do differ.
    assert "1,829.63" in copies["en"][1] and "1 829,63" in copies["pl"][1]
    assert "1.829,63" in copies["de"][1]
