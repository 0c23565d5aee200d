"""The helpdesk in a real browser: owning, finding and a client closing a ticket."""

from playwright.sync_api import Page, expect

from tests.e2e.helpers import CLIENT, OPERATOR, go_to, log_in, open_ticket_of


def test_operator_assigns_a_ticket_to_themselves_and_finds_it_under_mine(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    open_ticket_of(page, live_url, "Hooli Labs")
    number = page.get_by_role("heading", level=1).inner_text().split(" · ", 1)[0]
    assignee = page.get_by_label("Assignee")
    me = assignee.locator("option", has_text="Anna").first.get_attribute("value")
    assignee.select_option(me)
    page.get_by_role("button", name="Update ticket").click()
    expect(page.get_by_text("assignee changed")).to_be_visible()

    page.goto(live_url + "/admin/")
    page.get_by_label("Assignee").select_option(label="Mine")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows.filter(has_text=number)).to_have_count(1)
    for row in rows.all():
        expect(row).to_contain_text("Anna")


def test_client_closes_a_ticket(page: Page, live_url):
    log_in(page, live_url, *CLIENT)
    go_to(page, "Tickets")
    page.get_by_label("Status").select_option(label="Waiting for support")
    page.get_by_role("button", name="Filter").click()
    page.locator("table tbody tr").first.get_by_role("link").first.click()
    expect(page.get_by_text("Waiting for support").first).to_be_visible()
    page.get_by_role("button", name="Close ticket").click()

    expect(page.get_by_text("Ticket closed.")).to_be_visible()
    expect(page.get_by_role("button", name="Close ticket")).to_have_count(0)
    expect(page.get_by_text("A reply reopens it")).to_be_visible()


def test_operator_finds_a_ticket_by_a_word_of_a_new_reply(page: Page, live_url):
    log_in(page, live_url, *OPERATOR)
    open_ticket_of(page, live_url, "Initech")
    number = page.get_by_role("heading", level=1).inner_text().split(" · ", 1)[0]
    page.get_by_label("Reply to the client").fill("The quokkafirmware update is scheduled.")
    page.get_by_role("button", name="Update ticket").click()
    expect(page.get_by_text("reply sent")).to_be_visible()

    page.goto(live_url + "/admin/")
    page.get_by_label("Search").fill("quokka")  # a prefix of a word of the reply
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(number)
    page.get_by_label("Search").fill(number)  # "#123456" finds it by number too
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(number)
