"""An irreversible button asks first, on a page of its own that needs no JavaScript."""

import re

from playwright.sync_api import Browser, expect

from tests.e2e.helpers import OPERATOR, log_in, open_ticket_of


def test_deleting_time_asks_first_and_works_without_javascript(
    browser: Browser, browser_context_args, live_url
):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, live_url, *OPERATOR)
        open_ticket_of(page, live_url, "ACME GmbH")
        page.get_by_label("Time spent (hours)").fill("0:15")
        page.get_by_label("Note", exact=True).fill("Checked the backup")
        page.get_by_role("button", name="Update ticket").click()
        time_rows = page.locator("section[aria-labelledby=time-title] tbody tr")
        row = time_rows.filter(has_text="Checked the backup")
        expect(row).to_have_count(1)

        row.get_by_role("button", name="Delete").click()
        expect(page.get_by_role("heading", name=re.compile(r"^Delete 0:15 h of "))).to_be_visible()
        expect(page.get_by_text("Checked the backup")).to_be_visible()
        page.get_by_role("link", name="Keep it").click()
        expect(row).to_have_count(1)  # "Keep it" changed nothing

        row.get_by_role("button", name="Delete").click()
        page.get_by_role("button", name="Yes, delete the entry").click()
        expect(page.get_by_text("Time entry deleted.")).to_be_visible()
        expect(row).to_have_count(0)
    finally:
        context.close()
