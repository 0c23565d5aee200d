"""In the browser: an operator's internal note never reaches the client, and a client sends
a file with a reply and downloads it again."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import CLIENT, OPERATOR, log_in, log_out, open_ticket_of

NOTE = "Internal only: E2E-NOTE-4471, client is on the legacy plan."


def test_an_internal_note_is_invisible_to_the_client(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    open_ticket_of(page, live_url, "ACME GmbH")
    ticket_id = re.search(r"/admin/tickets/(\d+)", page.url)[1]
    page.get_by_label("Reply to the client").fill(NOTE)
    page.get_by_label("Internal note (not shown to the client)").check()
    page.get_by_role("button", name="Update ticket").click()
    expect(page.get_by_text(re.compile("internal note added"))).to_be_visible()
    note = page.locator("article.internal-note")
    expect(note).to_contain_text("Internal note")
    expect(note).to_contain_text("E2E-NOTE-4471")
    log_out(page)

    log_in(page, live_url, *CLIENT)
    page.goto(f"{live_url}/client/tickets/{ticket_id}")
    expect(page.get_by_role("heading", name="Messages")).to_be_visible()
    expect(page.get_by_text("E2E-NOTE-4471")).to_have_count(0)
    expect(page.get_by_text("Internal note")).to_have_count(0)
    for path in ("/client/", "/client/tickets"):
        page.goto(live_url + path)
        expect(page.get_by_text("E2E-NOTE-4471")).to_have_count(0)


def test_a_client_uploads_and_downloads_an_attachment(page: Page, live_url):
    log_in(page, live_url, *CLIENT)
    page.goto(live_url + "/client/tickets")
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    page.get_by_label("Your reply").fill("Here is the error log.")
    content = "line one\nline two: ü\n".encode()
    page.get_by_label("Attach files").set_input_files(
        files=[{"name": "mail-error.log", "mimeType": "text/plain", "buffer": content}]
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_text("Reply sent.")).to_be_visible()
    link = page.get_by_role("link", name="mail-error.log")
    expect(link).to_be_visible()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "mail-error.log"
    with open(download.path(), "rb") as file:
        assert file.read() == content
