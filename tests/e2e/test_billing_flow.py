"""Closing a month and what the client sees of it, in a real browser."""

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from portal.documents.pdf import extract_xml
from portal.services.billing.periods import month_name
from tests.e2e.helpers import (
    ADMIN,
    CLIENT,
    OPERATOR,
    go_to,
    log_in,
    log_out,
    open_ticket_of,
    save_pdf_screenshot,
    save_screenshot,
)


def close_oldest_open_month(page: Page, base: str) -> str:
    """As admin: preview the oldest month waiting for its close, close it there and confirm."""
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.goto(base + "/admin/billing")
    page.get_by_role("button", name="Preview").last.click()  # months are listed newest first
    expect(page.get_by_text("Preview: a close would create these items.")).to_be_visible()
    expect(page.locator("table")).to_contain_text("ACME GmbH")
    close = page.get_by_role("button", name=re.compile(r"^Close \d{4}-\d{2}$"))
    period = close.inner_text().split()[-1]
    close.click()
    expect(page.get_by_role("heading", name=f"Close {month_name(period)}?")).to_be_visible()
    expect(page.get_by_text("This cannot be undone.")).to_be_visible()
    expect(page.get_by_role("link", name="Keep it open")).to_be_visible()
    page.get_by_role("button", name=f"Yes, close {period}").click()
    expect(page.get_by_text(re.compile(f"{period}.*closed"))).to_be_visible()
    assert not problems, problems  # a blocked inline script would be a console error
    save_screenshot(page, "billing")
    return period


def test_client_sees_the_operators_time_and_the_usage_meter(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    open_ticket_of(page, live_url, "ACME GmbH")
    number = page.locator("h1").inner_text().split(" ")[0]  # "#T-1234 · subject"
    page.get_by_label("Time spent (hours)").fill("1.5")
    page.get_by_role("button", name="Update ticket").click()
    expect(page.get_by_text(re.compile("1:30 h logged"))).to_be_visible()
    log_out(page)

    log_in(page, live_url, *CLIENT)
    expect(page.locator("#usage-meter")).to_be_visible()
    expect(page.locator(".usage-chart-svg")).to_be_visible()
    save_screenshot(page, "client-dashboard")
    go_to(page, "Tickets")
    save_screenshot(page, "client-tickets")
    row = page.locator("tbody tr", has_text=number).first
    expect(row).to_contain_text("Open month")
    row.get_by_role("link").first.click()
    expect(page.locator("section[aria-labelledby=time-title]")).to_contain_text("1:30")


def test_admin_closes_a_month_and_the_client_sees_the_invoice_turn_paid(page: Page, live_url):
    log_in(page, live_url, *ADMIN)
    period = close_oldest_open_month(page, live_url)
    log_out(page)

    log_in(page, live_url, *CLIENT)
    go_to(page, "Invoices")
    row = page.locator("tbody tr", has_text=month_name(period)).first
    expect(row).to_contain_text("Unpaid")
    number = row.get_by_role("link").first.inner_text()
    log_out(page)

    log_in(page, live_url, *ADMIN)
    page.goto(live_url + "/admin/invoices?period=" + period)
    page.get_by_role("link", name=number).click()
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator(".invoice-status")).to_have_text("Paid")
    log_out(page)

    log_in(page, live_url, *CLIENT)
    go_to(page, "Invoices")
    expect(page.locator("tbody tr", has_text=number)).to_contain_text("Paid")
    page.get_by_role("link", name=number).click()
    save_screenshot(page, "invoice")
    # The PDF downloads as a file (never shown inline) and is the Factur-X document.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF") and download.value.suggested_filename.endswith(".pdf")
    assert extract_xml(pdf).startswith(b"<?xml")
    save_pdf_screenshot(pdf, "invoice-pdf")
    # Printable: the print style hides navigation and buttons and keeps the invoice.
    page.emulate_media(media="print")
    expect(page.locator("nav")).to_be_hidden()
    expect(page.locator(".invoice")).to_be_visible()
    expect(page.locator(".invoice")).to_contain_text(number)


def test_client_downloads_time_entries_as_csv(page: Page, live_url):
    log_in(page, live_url, *CLIENT)
    go_to(page, "Usage")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download time entries (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(download.path().read_text(encoding="utf-8-sig"))))
    assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
