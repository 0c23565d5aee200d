"""Account links in the browser: "Forgot password?" → the mailed link → a new password → log
in; an admin invites an operator → the mailed link → a password → in. The mail is read from
the outbox row the request wrote, in the live server's own database file."""

import re
import sqlite3
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.helpers import ADMIN, CLIENT, log_in

NEW = "violet harbour compass drum"


def mailed_link(database: Path, kind: str, recipient: str) -> str:
    """The path of the link in the newest `kind` message to `recipient`."""
    with sqlite3.connect(database) as conn:
        rows = conn.execute(
            "SELECT recipients, body_text FROM outbox_message WHERE kind = ? ORDER BY id DESC",
            (kind,),
        ).fetchall()
    body = next(text for recipients, text in rows if recipient in recipients)
    return re.search(r"https?://[^/\s]+(/(?:password/reset|invitation)/\S+)", body).group(1)


def choose_password(page: Page) -> None:
    """Fill the link page's form with the new password twice and save."""
    page.get_by_label("New password", exact=True).fill(NEW)
    page.get_by_label("New password again").fill(NEW)
    page.get_by_role("button", name="Save password").click()


def test_forgot_password_then_log_in_with_the_new_one(page: Page, live_url, tmp_path):
    email, old = CLIENT
    page.goto(live_url + "/login")
    page.get_by_role("link", name="Forgot password?").click()
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If an account exists for that address")).to_be_visible()

    link = mailed_link(tmp_path / "portal.sqlite3", "password_reset", email)
    page.goto(live_url + link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    choose_password(page)
    expect(page.get_by_text("Your password is changed")).to_be_visible()

    log_in(page, live_url, email, old)
    expect(page.get_by_text("Email or password is incorrect.")).to_be_visible()
    log_in(page, live_url, email, NEW)
    expect(page).to_have_url(re.compile(r"/client/$"))
    page.goto(live_url + link)  # the link worked once
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()


def test_an_invited_operator_chooses_a_password_and_is_in(
    browser: Browser, browser_context_args, page: Page, live_url, tmp_path
):
    log_in(page, live_url, *ADMIN)
    page.goto(live_url + "/admin/users")
    page.get_by_label("Name", exact=True).fill("Ines Invited")
    page.get_by_label("Email", exact=True).fill("ines@example.com")
    page.get_by_label("Role", exact=True).select_option("operator")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_text("User ines@example.com added and invited by mail")).to_be_visible()

    link = mailed_link(tmp_path / "portal.sqlite3", "invitation", "ines@example.com")
    context = browser.new_context(**browser_context_args)  # Ines's own browser
    invited = context.new_page()
    try:
        invited.goto(live_url + link)
        expect(invited.get_by_role("heading", name="Welcome: choose your password")).to_be_visible()
        choose_password(invited)
        expect(invited.get_by_text("Password chosen. Welcome!")).to_be_visible()
        expect(invited).to_have_url(re.compile(r"/admin/$"))
    finally:
        context.close()
