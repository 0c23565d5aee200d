"""The operator's day in a real browser: the inline update form on a ticket."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import OPERATOR, log_in, open_ticket_of, save_screenshot


def choose_plan(page: Page, name: str) -> None:
    """Pick the plan whose option starts with `name` in the inline form."""
    select = page.get_by_label("Assign a plan")
    select.select_option(select.locator("option", has_text=name).first.get_attribute("value"))


def test_operator_replies_and_logs_time_with_a_plan_chosen_on_the_spot(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    save_screenshot(page, "ticket-queue")
    open_ticket_of(page, live_url, "Hooli Labs")
    expect(page.get_by_text("Hooli Labs has no support plan")).to_be_visible()

    page.get_by_label("Reply to the client").fill("Restarted the mail server; it is fine now.")
    page.get_by_label("Time spent (hours)").fill("1:30")
    choose_plan(page, "Standard")
    save_screenshot(page, "ticket-inline-form")
    page.get_by_role("button", name="Update ticket").click()

    expect(page.get_by_text(re.compile("plan Standard assigned, 1:30 h logged"))).to_be_visible()
    time_table = page.locator("section[aria-labelledby=time-title]")
    expect(time_table).to_contain_text("1:30")
    expect(page.get_by_text("Restarted the mail server; it is fine now.")).to_be_visible()


def test_a_bad_hours_value_shows_the_field_message_and_saves_nothing(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    open_ticket_of(page, live_url, "Hooli Labs")
    page.get_by_label("Reply to the client").fill("Looking into it.")
    page.get_by_label("Time spent (hours)").fill("2:20")
    choose_plan(page, "Standard")
    page.get_by_role("button", name="Update ticket").click()

    hours = page.get_by_label("Time spent (hours)")
    expect(hours).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#hours-error")).to_contain_text("2:15 or 2:30")
    expect(hours).to_be_focused()  # focus lands on the first field in error
    expect(page.get_by_label("Reply to the client")).to_have_value("Looking into it.")
    expect(page.get_by_text("Hooli Labs has no support plan")).to_be_visible()  # no plan saved
    expect(page.get_by_text("Looking into it.", exact=True)).to_have_count(1)  # only the textarea


def test_the_inline_form_works_with_the_keyboard_alone(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    open_ticket_of(page, live_url, "ACME GmbH")
    page.get_by_label("Reply to the client").focus()
    page.keyboard.type("Done from the keyboard.")
    page.keyboard.press("Tab")  # status
    page.keyboard.press("Tab")  # hours
    page.keyboard.type("0.75")
    page.keyboard.press("Enter")

    expect(page.get_by_text(re.compile("0:45 h logged"))).to_be_visible()
    expect(page.get_by_text("Done from the keyboard.")).to_be_visible()
