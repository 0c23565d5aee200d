"""Every main page, per role, at desktop and phone width: a title and a heading, no console
error, nothing fetched from outside the app, no page wider than the screen."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ADMIN, CLIENT, OPERATOR, log_in

PAGES = {
    ADMIN: [
        "/admin/",
        "/admin/clients",
        "/admin/reports/hours",
        "/admin/invoices",
        "/admin/billing",
        "/admin/plans",
        "/admin/currencies",
        "/admin/users",
        "/admin/api-tokens",
        "/admin/audit",
        "/admin/emails",
        "/admin/settings",
        "/account/password",
    ],
    OPERATOR: ["/admin/", "/admin/clients", "/admin/invoices"],
    CLIENT: [
        "/client/",
        "/client/tickets",
        "/client/usage",
        "/client/invoices",
        "/client/emails",
        "/client/tickets/new",
    ],
}
WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("who", list(PAGES), ids=lambda who: who[0].split("@")[0])
def test_pages_are_whole_and_clean(page: Page, live_url, who, width):
    problems = []
    page.on(
        "console",
        lambda message: message.type == "error" and problems.append(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "request",
        lambda request: (
            (not request.url.startswith(live_url) and not request.url.startswith("data:"))
            and problems.append(f"outside request: {request.url}")
        ),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400 and problems.append(f"{response.status} {response.url}")
        ),
    )
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    log_in(page, live_url, *who)

    for path in PAGES[who]:
        page.goto(live_url + path)
        expect(page.locator("h1")).to_have_count(1)
        assert page.title().endswith("· Support Hours Portal"), path
        assert len(page.title()) > len(" · Support Hours Portal"), path
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{path} is {overflow}px wider than a {width} screen"
    assert problems == []


def test_the_setup_menu_opens_without_script(page: Page, live_url):
    log_in(page, live_url, *ADMIN)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Plans")).to_be_hidden()
    nav.get_by_text("Setup").click()
    nav.get_by_role("link", name="Plans").click()
    expect(page.locator("h1")).to_contain_text("Plans")
    expect(page.get_by_role("navigation", name="Main").locator("[aria-current=page]")).to_have_text(
        "Plans"
    )
