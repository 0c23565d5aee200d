"""What the browser tests share: the demo logins, moving about as a person would, and the
README's screenshots, written only when asked (PORTAL_SCREENSHOTS=1, `make screenshots`)."""

import os
import subprocess
import tempfile
from pathlib import Path

from playwright.sync_api import Page, expect

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ADMIN = ("admin@example.com", "admin-demo-2026")
OPERATOR = ("anna@example.com", "operator-demo-2026")
CLIENT = ("acme@example.com", "client-demo-2026")


def save_screenshot(page: Page, name: str) -> None:
    """Write docs/screenshots/<name>.png of the whole page when PORTAL_SCREENSHOTS=1.

    Off by default, so a test run leaves the working tree as it found it.
    """
    if os.environ.get("PORTAL_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def save_pdf_screenshot(pdf: bytes, name: str) -> None:
    """Write docs/screenshots/<name>.png of a PDF's first page (poppler's pdftoppm) when
    PORTAL_SCREENSHOTS=1."""
    if os.environ.get("PORTAL_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "90",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                file.name,
                str(SCREENSHOTS / name),
            ],
            check=True,
        )


def log_in(page: Page, base: str, email: str, password: str) -> None:
    """Log in through the login form, as a person would."""
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


def log_out(page: Page) -> None:
    """The navbar's Log out button."""
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def go_to(page: Page, link: str) -> None:
    """Follow a link of the main navigation."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True).click()
    page.wait_for_load_state()


def open_ticket_of(page: Page, base: str, client_name: str) -> None:
    """From the queue, filtered to one client's tracked tickets, open the first."""
    page.goto(base + "/admin/")
    page.get_by_label("Client").fill(client_name)
    page.get_by_label("Tracking").select_option(label="Tracked")
    page.get_by_role("button", name="Filter").click()
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Update ticket")).to_be_visible()
