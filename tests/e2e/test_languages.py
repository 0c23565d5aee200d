"""A client switches the portal to Polish on the account page and reads the dashboard, a
ticket, the usage history, an invoice and its PDF in Polish, money written "1 234,56 zł"
(SPEC "Languages"). Screenshots for the README: client-pl-dashboard, client-pl-invoice,
invoice-pdf-pl."""

import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from portal.documents.pdf import extract_xml
from tests.e2e.helpers import ADMIN, log_in, log_out, save_pdf_screenshot, save_screenshot
from tests.e2e.test_billing_flow import close_oldest_open_month

NOWAK = ("nowak@example.com", "client-demo-2026")  # Nowak IT, Kraków: invoices in Polish
ZLOTY = re.compile(r"\d,\d\d\szł")  # Babel's Polish money: "1 829,63 zł"


def go_to(page: Page, link: str) -> None:
    """Follow a link of the main navigation, named in Polish as the menu is."""
    menu = page.get_by_role("navigation", name="Menu główne")
    menu.get_by_role("link", name=link, exact=True).click()
    page.wait_for_load_state()


def test_a_client_switches_to_polish_and_reads_the_portal_and_its_invoice(page: Page, live_url):
    log_in(page, live_url, *ADMIN)
    close_oldest_open_month(page, live_url)  # Nowak IT gets an invoice
    log_out(page)

    log_in(page, live_url, *NOWAK)
    page.goto(live_url + "/account/password")
    page.get_by_label("Language").select_option("pl")
    page.locator("form[action$='/account/language']").get_by_role("button").click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_text("Zapisano: strony i wiadomości są w języku: Polski.")).to_be_visible()

    go_to(page, "Pulpit")
    expect(page).to_have_title(re.compile("^Pulpit"))
    expect(page.get_by_text("Szacowana kwota za miesiąc")).to_be_visible()
    expect(page.locator("#figure-total")).to_have_text(ZLOTY)
    save_screenshot(page, "client-pl-dashboard")

    go_to(page, "Zgłoszenia")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zgłoszenia")
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.get_by_role("button", name="Wyślij odpowiedź")).to_be_visible()

    go_to(page, "Wykorzystanie")
    expect(page.get_by_role("heading", level=1)).to_have_text("Historia wykorzystania")

    go_to(page, "Faktury")
    row = page.locator("tbody tr").first
    expect(row).to_contain_text("Faktura")
    expect(row).to_contain_text(ZLOTY)
    row.get_by_role("link").first.click()
    invoice = page.locator(".invoice")
    for label in ("Data wystawienia", "Termin płatności", "Nabywca", "Razem"):
        expect(invoice).to_contain_text(label)
    expect(invoice).not_to_contain_text("Issue date")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Faktura")
    save_screenshot(page, "client-pl-invoice")

    with page.expect_download() as download:
        page.get_by_role("link", name="Pobierz PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Data wystawienia" in text and "Termin płatności" in text and "Strona 1" in text
    assert ZLOTY.search(text)
    assert "Issue date" not in text
    assert extract_xml(pdf).startswith(b"<?xml")
    save_pdf_screenshot(pdf, "invoice-pdf-pl")
