"""At a phone's width (390 px): the main menu folds behind a toggler that works with the
keyboard, and no page with a table cuts a column off or scrolls sideways.

Tables stack on phones (.table-stack in static/css/app.css: one line per cell, labelled by
its data-label). The check here is the browser's own layout, not a class name: the page is
no wider than the screen, every visible cell lies inside it, and no table sits in a wrapper
that scrolls sideways (a .table-responsive that scrolls still hides the columns past its
edge)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ADMIN, CLIENT, OPERATOR, log_in, log_out, save_screenshot
from tests.e2e.test_billing_flow import close_oldest_open_month

PHONE = {"width": 390, "height": 844}
OPENED = re.compile(r"^(?=.*\bcollapse\b)(?=.*\bshow\b)(?!.*\bcollapsing\b)")
CLOSED = re.compile(r"^(?=.*\bcollapse\b)(?!.*\bshow\b)(?!.*\bcollapsing\b)")

# (who, path or a link to follow from a list, screenshot name)
PAGES = [
    pytest.param(ADMIN, "/admin/", "phone-queue", id="admin-queue"),
    pytest.param(OPERATOR, "/admin/", None, id="operator-queue"),
    pytest.param(ADMIN, "/admin/clients", None, id="admin-clients"),
    pytest.param(ADMIN, ("/admin/clients", "#main table tbody a"), None, id="admin-client"),
    pytest.param(ADMIN, "/admin/reports/hours", None, id="admin-reports"),
    pytest.param(ADMIN, "/admin/invoices", None, id="admin-invoices"),
    pytest.param(ADMIN, ("/admin/invoices", "#main table tbody a"), None, id="admin-invoice"),
    pytest.param(ADMIN, "/admin/billing", None, id="admin-billing"),
    pytest.param(ADMIN, "/admin/plans", None, id="admin-plans"),
    pytest.param(ADMIN, "/admin/currencies", None, id="admin-currencies"),
    pytest.param(ADMIN, "/admin/tax-rates", None, id="admin-tax-rates"),
    pytest.param(ADMIN, "/admin/users", None, id="admin-users"),
    pytest.param(ADMIN, ("/admin/", "ticket with time"), None, id="admin-ticket"),
    pytest.param(ADMIN, "/admin/api-tokens", None, id="admin-api-tokens"),
    pytest.param(ADMIN, "/admin/audit", None, id="admin-audit"),
    pytest.param(OPERATOR, "/admin/invoices", None, id="operator-invoices"),
    pytest.param(CLIENT, "/client/tickets", "phone-client-tickets", id="client-tickets"),
    pytest.param(CLIENT, "/client/usage", None, id="client-usage"),
    pytest.param(CLIENT, "/client/invoices", None, id="client-invoices"),
    pytest.param(CLIENT, ("/client/invoices", "#invoices tbody a"), None, id="client-invoice"),
]

# What lies outside the screen: cells past either edge, and wrappers that scroll sideways.
CUT_OFF = """(width) => {
  const found = [];
  const page = document.documentElement.scrollWidth;
  if (page > width) found.push(`page is ${page}px wide`);
  document.querySelectorAll('main table').forEach((table, t) => {
    for (let box = table.parentElement; box && box !== document.body; box = box.parentElement) {
      if (box.scrollWidth > box.clientWidth + 1) {
        found.push(`table ${t} scrolls sideways inside ${box.tagName}.${box.className}`);
      }
    }
    table.querySelectorAll('tbody td, tbody th, tfoot td, tfoot th').forEach((cell) => {
      const r = cell.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;  // hidden on phones: not a key column
      if (r.left < -0.5 || r.right > width + 0.5) {
        const label = cell.dataset.label || cell.cellIndex;
        const span = `${Math.round(r.left)}..${Math.round(r.right)}`;
        found.push(`table ${t} cell "${label}" spans ${span}`);
      }
    });
  });
  return found;
}"""


def create_token(page: Page, base: str) -> None:
    """As admin: issue an API token through the form, so the token list has a row."""
    page.goto(base + "/admin/api-tokens")
    page.get_by_label("User").select_option(index=1)
    page.get_by_label("Label").fill("Phone check")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_be_visible()


def row_link(page: Page, link: str):
    """The first link a list page offers; for "ticket with time", the first ticket in the
    queue whose total hours are not zero. The demo shop is built relative to today, so
    the newest ticket may have no time (untracked, or opened before a plan), and its page
    then shows no time table to check."""
    if link == "ticket with time":
        hours = page.locator('td[data-label="Hours total"]', has_text=re.compile(r"[1-9]"))
        return page.locator("#main table tbody tr").filter(has=hours).locator("a").first
    return page.locator(link).first


# The demo shop has no invoices and no tokens yet: the admin makes some first, at desktop width.
PREPARE = {"invoices": close_oldest_open_month, "api-tokens": create_token}


@pytest.mark.parametrize("who, where, shot", PAGES)
def test_no_page_at_390px_cuts_off_a_column(page: Page, live_url, who, where, shot):
    path = where[0] if isinstance(where, tuple) else where
    needs = [make for key, make in PREPARE.items() if key in path]
    if needs:
        log_in(page, live_url, *ADMIN)
        for make in needs:
            make(page, live_url)
        log_out(page)
    page.set_viewport_size(PHONE)
    log_in(page, live_url, *who)
    if isinstance(where, tuple):
        path, link = where
        page.goto(live_url + path)
        row_link(page, link).click()
        page.wait_for_load_state()
    else:
        page.goto(live_url + where)
    tables = page.locator("main table")
    assert tables.count() > 0, f"{page.url} has no table to check"
    expect(tables.first).to_be_visible()
    if shot:  # Before the check: the picture shows what a cut-off looks like, too.
        save_screenshot(page, shot)
    assert page.evaluate(CUT_OFF, PHONE["width"]) == []


def test_the_phone_menu_opens_and_closes_with_the_keyboard(page: Page, live_url):
    violations = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Content Security Policy" in message.text
            and violations.append(message.text)
        ),
    )
    page.set_viewport_size(PHONE)
    log_in(page, live_url, *ADMIN)
    page.goto(live_url + "/admin/clients")
    page.wait_for_load_state()
    # Bootstrap's script is the app's own file and ran.
    assert page.evaluate("typeof window.bootstrap") == "object"

    nav = page.get_by_role("navigation", name="Main")
    toggler = nav.get_by_role("button", name="Menu")
    clients = nav.get_by_role("link", name="Clients", exact=True)
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(toggler).to_have_attribute("aria-controls", "main-nav")
    expect(clients).to_be_hidden()

    for _ in range(10):  # Skip link, brand, then the toggler.
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('navbar-toggler')"):
            break
    expect(toggler).to_be_focused()

    page.keyboard.press("Enter")
    expect(toggler).to_have_attribute("aria-expanded", "true")
    # Bootstrap ignores the toggler while the menu slides; wait until it has opened.
    expect(page.locator("#main-nav")).to_have_class(OPENED)
    expect(clients).to_be_visible()
    expect(clients).to_have_attribute("aria-current", "page")
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Tickets", exact=True)).to_be_focused()

    # The admin's Setup menu inside opens with the keyboard too.
    setup = nav.locator("summary", has_text="Setup")
    setup.focus()
    page.keyboard.press("Enter")
    plans = nav.get_by_role("link", name="Plans", exact=True)
    expect(plans).to_be_visible()
    page.keyboard.press("Tab")
    expect(plans).to_be_focused()

    # Back to the toggler; Enter folds the menu away again.
    toggler.focus()
    page.keyboard.press("Enter")
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(page.locator("#main-nav")).to_have_class(CLOSED)
    expect(clients).to_be_hidden()
    assert violations == []


def test_the_desktop_shows_the_menu_without_a_toggler(page: Page, live_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_url, *CLIENT)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav.get_by_role("link", name="Usage", exact=True)).to_be_visible()
