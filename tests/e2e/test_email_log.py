"""In the browser: an admin filters the email log, opens a failed message (its HTML part in
a sandboxed frame where a script in it does nothing, its own styles applied) and retries it;
a client reads its Emails page, where only the client mail sent to it is listed."""

import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from portal import create_app
from portal.extensions import db
from portal.models import Client, User
from tests import factories
from tests.e2e.helpers import ADMIN, CLIENT, go_to, log_in
from tests.e2e.test_phone import CUT_OFF
from tests.helpers import make_config
from tests.live import serving

HOSTILE_HTML = (
    "<p>Your invoice E2E-MAIL-7731 is ready.</p>"
    '<script>document.title = "owned"; parent.document.title = "owned"</script>'
    '<img src="x" onerror="parent.document.title = \'owned\'">'
)


@pytest.fixture
def mail_url(demo_database, tmp_path):
    """The demo shop with mail: a failed invoice message and a ticket answer to ACME, staff
    mail about ACME, and another client's answer; served like `live_url`."""
    path = tmp_path / "portal.sqlite3"
    shutil.copyfile(demo_database, path)
    app = create_app(make_config("sqlite:///" + str(path), DEMO_SEED=2026), from_environment=False)
    with app.app_context():
        acme_person = db.session.scalar(db.select(User).filter_by(email=CLIENT[0]))
        acme = db.session.get(Client, acme_person.client_id)
        other = db.session.scalar(db.select(Client).where(Client.id != acme.id).limit(1))
        to = {"recipients": [acme_person.email]}
        factories.outbox_message(
            acme,
            "invoice_issued",
            status="failed",
            subject="Invoice E2E-MAIL-7731",
            body_html=HOSTILE_HTML,
            **to,
        )
        factories.outbox_message(
            acme, "ticket_reply", subject="Answer E2E-REPLY-1", body_html=STYLED_HTML, **to
        )
        factories.outbox_message(acme, "ticket_new", subject="Staff only E2E-STAFF-2")
        factories.outbox_message(other, "ticket_reply", subject="Other client E2E-OTHER-3")
        db.session.remove()
    with serving(app) as port:
        yield f"http://127.0.0.1:{port}"


def test_admin_filters_opens_and_retries_a_failed_email(page: Page, mail_url):
    log_in(page, mail_url, *ADMIN)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Setup").click()
    nav.get_by_role("link", name="Email log").click()
    expect(page.get_by_role("heading", name="Email log")).to_be_visible()

    page.get_by_label("Status").select_option("failed")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("#email-log tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Failed")
    expect(rows.first).to_contain_text("550 5.1.1 No such user")

    rows.first.get_by_role("link", name="Invoice E2E-MAIL-7731").click()
    expect(page.get_by_role("heading", name="Invoice E2E-MAIL-7731")).to_be_visible()
    expect(page.locator(".email-headers")).to_contain_text("Message-ID")
    frame = page.frame_locator("iframe.email-html")
    expect(frame.get_by_text("Your invoice E2E-MAIL-7731 is ready.")).to_be_visible()
    title = page.title()
    assert "owned" not in title and title.startswith("Email ")
    assert page.evaluate("document.title") == title
    [inner] = [f for f in page.frames if f.url.endswith("/html")]
    assert inner.title() == ""  # the frame's own script never ran either

    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text(re.compile("queued again"))).to_be_visible()
    expect(page.locator(".mail-status")).to_have_text("Queued")
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)


STYLED_HTML = (
    '<body style="font-family: Arial; background: #f8f9fa;">'
    '<div style="max-width: 600px; padding: 24px;">A styled E2E-STYLED-5 message with a long '
    "line that must wrap within a phone's width rather than push the page sideways.</div></body>"
)


def test_the_log_and_a_styled_message_fit_a_phone_and_log_no_error(page: Page, mail_url):
    problems = []
    page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.set_viewport_size({"width": 390, "height": 900})
    log_in(page, mail_url, *ADMIN)
    page.goto(mail_url + "/admin/emails")
    expect(page.locator("#email-log tbody tr").first).to_be_visible()
    assert page.evaluate(CUT_OFF, 390) == []  # the table stacks: no column cut off
    page.get_by_role("link", name="Answer E2E-REPLY-1").click()
    frame = page.frame_locator("iframe.email-html")
    expect(frame.get_by_text("A styled E2E-STYLED-5 message")).to_be_visible()
    # Its own inline styles apply in the frame (its response allows them), and nothing else.
    expect(frame.locator("div")).to_have_css("padding-top", "24px")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not problems, problems


def test_client_reads_its_own_emails_only(page: Page, mail_url):
    log_in(page, mail_url, *CLIENT)
    go_to(page, "Emails")
    expect(page.get_by_role("heading", name="Emails")).to_be_visible()
    table = page.locator("#emails")
    expect(table).to_contain_text("Answer E2E-REPLY-1")
    expect(page.locator("#emails tbody tr")).to_have_count(1)
    for hidden in ("E2E-MAIL-7731", "E2E-STAFF-2", "E2E-OTHER-3"):  # not sent, staff's, other's
        expect(page.get_by_text(hidden)).to_have_count(0)

    table.get_by_role("link", name="Answer E2E-REPLY-1").click()
    expect(page.get_by_role("heading", name="Answer E2E-REPLY-1")).to_be_visible()
    expect(page.locator("pre.email-text")).to_contain_text("this is message")
