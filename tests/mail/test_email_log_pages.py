"""The email logs through the pages: the admin's log (filters, one message as sent, retry,
release held) and a client's Emails page, which shows its own client mail and nothing else."""

import re
from html import unescape

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services.mail.sender import deliver_due
from tests.helpers import (
    AuthActions,
    assert_confirmation_page,
    confirm,
    csrf_token_from,
    submit,
)

SCRIPT_HTML = (
    '<p>Invoice ready</p><script>parent.document.title="owned"</script>'
    '<img src="x" onerror="parent.document.title=\'owned\'">'
)


@pytest.fixture
def mail(f):
    """ACME's and Globex's mail of every sort: client mail, staff mail, held and failed."""
    acme, globex = f.client("ACME GmbH"), f.client("Globex Ltd")
    return {
        "acme": acme,
        "globex": globex,
        "reply": f.outbox_message(acme, "ticket_reply", subject="ACME reply sent"),
        "invoice": f.outbox_message(
            acme, "invoice_issued", status="failed", subject="ACME invoice", body_html=SCRIPT_HTML
        ),
        "staff": f.outbox_message(acme, "ticket_new", subject="ACME new ticket for staff"),
        "held": f.outbox_message(acme, "payment_reminder", status="held", subject="ACME held"),
        "globex_reply": f.outbox_message(globex, "ticket_reply", subject="Globex private reply"),
        "reset": f.outbox_message(None, "password_reset", subject="Reset your password"),
    }


def row_ids(html: str) -> set[int]:
    """The message ids a log page lists."""
    return {int(n) for n in re.findall(r'<tr id="email-(\d+)"', html)}


def ids(*rows) -> set[int]:
    return {row.id for row in rows}


def test_admin_log_lists_every_message_newest_first_with_status_words(client, admin, mail):
    page = client.get("/admin/emails")
    assert page.status_code == 200
    assert row_ids(page.text) == ids(*[v for v in mail.values() if isinstance(v, OutboxMessage)])
    order = [int(n) for n in re.findall(r'<tr id="email-(\d+)"', page.text)]
    assert order == sorted(order, reverse=True)
    for words in ("Failed", "Held · waiting for release", "Sent", "550 5.1.1 No such user"):
        assert words in page.text
    assert "1 held message waits for release." in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", ["invoice"]),
        ("status=held", ["held"]),
        ("kind=ticket_reply", ["reply", "globex_reply"]),
        ("kind=ticket_reply&client=globex", ["globex_reply"]),
        ("client=ACME&status=sent", ["reply", "staff"]),
        ("kind=nonsense&status=%00", [*"reply invoice staff held globex_reply reset".split()]),
    ],
)
def test_admin_log_filters(client, admin, mail, query, expected):
    page = client.get(f"/admin/emails?{query}")
    assert page.status_code == 200
    assert row_ids(page.text) == ids(*(mail[key] for key in expected))


def test_admin_log_filters_by_client_id(client, admin, mail):
    page = client.get(f"/admin/emails?client_id={mail['globex'].id}")
    assert row_ids(page.text) == ids(mail["globex_reply"])
    assert "Only Globex Ltd." in page.text


def test_admin_sees_one_message_as_sent_with_its_html_sandboxed(client, admin, mail):
    message = mail["invoice"]
    page = client.get(f"/admin/emails/{message.id}")
    assert page.status_code == 200
    html = page.text
    for header in (message.sender, message.recipients[0], message.message_id, "ACME invoice"):
        assert unescape(header) in unescape(html)
    assert "this is message" in html  # the text part
    # The HTML part is not in the page at all, escaped or not: a frame with no allowance
    # loads it from its own response.
    assert "owned" not in html and "Invoice ready" not in html
    [frame] = re.findall(r"<iframe[^>]*>", html)
    assert 'sandbox=""' in frame and "allow-" not in frame
    assert f'src="/admin/emails/{message.id}/html"' in frame
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_html_part_is_served_sandboxed_and_framed_by_the_portal_only(client, admin, mail):
    answer = client.get(f"/admin/emails/{mail['invoice'].id}/html")
    assert answer.status_code == 200
    assert answer.mimetype == "text/html" and answer.text == SCRIPT_HTML  # as it was sent
    directives = {
        part.strip().partition(" ")[0]: part.strip().partition(" ")[2]
        for part in answer.headers["Content-Security-Policy"].split(";")
    }
    # `sandbox`: an opaque origin and no script, even opened outside the frame; no source
    # of script at all; frames only in the portal's own pages.
    assert "sandbox" in directives and directives["sandbox"] == ""
    assert directives["default-src"] == "'none'" and "script-src" not in directives
    assert directives["frame-ancestors"] == "'self'" and directives["img-src"] == "data:"
    assert answer.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in answer.headers["Cache-Control"]


def test_the_html_part_is_admin_only(client, operator, mail):
    assert client.get(f"/admin/emails/{mail['invoice'].id}/html").status_code == 403


def test_admin_downloads_the_message_as_eml(client, admin, mail):
    answer = client.get(f"/admin/emails/{mail['reply'].id}.eml")
    assert answer.status_code == 200
    assert answer.mimetype == "message/rfc822"
    assert "attachment" in answer.headers["Content-Disposition"]
    assert f"Message-ID: {mail['reply'].message_id}".encode() in answer.data


def test_admin_retries_a_failed_message_and_the_sender_delivers_it(client, admin, mail, smtp):
    message = mail["invoice"]
    url = f"/admin/emails/{message.id}"
    answer = submit(client, url, {}, f"{url}/retry")
    assert answer.status_code == 302 and answer.headers["Location"] == url
    db.session.expire_all()
    row = db.session.get(OutboxMessage, message.id)
    assert (row.status, row.attempts) == ("queued", 0)
    assert "queued again" in client.get(url).text

    done = deliver_due()
    assert message.id in done.sent
    sent = [r.message for r in smtp.received if r.message["Message-ID"] == message.message_id]
    assert len(sent) == 1 and sent[0]["Subject"] == "ACME invoice"
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "sent"


def test_retrying_a_message_that_did_not_fail_is_refused(client, admin, mail):
    message = mail["reply"]
    url = f"/admin/emails/{mail['invoice'].id}"  # a page with the Retry form's token
    answer = submit(client, url, {}, f"/admin/emails/{message.id}/retry")
    assert answer.status_code == 302
    assert "only a failed message can be retried" in client.get(answer.headers["Location"]).text
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "sent"


def test_retry_without_the_csrf_token_changes_nothing(client, admin, mail):
    answer = client.post(f"/admin/emails/{mail['invoice'].id}/retry", data={})
    assert answer.status_code in (302, 400)
    db.session.expire_all()
    assert db.session.get(OutboxMessage, mail["invoice"].id).status == "failed"


def test_release_held_asks_first_and_changes_nothing_until_confirmed(client, admin, mail):
    asked = submit(client, "/admin/emails", {}, "/admin/emails/release-held")
    assert_confirmation_page(asked, "Send 1 held message?", "Yes, send them")
    db.session.expire_all()
    assert db.session.get(OutboxMessage, mail["held"].id).status == "held"


def test_release_held_queues_held_mail_and_the_sender_sends_it(client, admin, mail, smtp):
    answer = confirm(client, "/admin/emails", "/admin/emails/release-held")
    assert answer.status_code == 302
    assert "1 held message released" in client.get("/admin/emails").text
    db.session.expire_all()
    assert db.session.get(OutboxMessage, mail["held"].id).status == "queued"
    assert mail["held"].id in deliver_due().sent
    assert [r.message["Subject"] for r in smtp.received] == ["ACME held"]


def test_a_one_time_links_mail_is_listed_but_its_body_never_shown(client, admin, f):
    reset = f.outbox_message(None, "password_reset", body_text="https://x/reset/SECRET-LINK")
    f.update(reset, body_html='<a href="https://x/reset/SECRET-LINK">Choose a password</a>')
    assert f"email-{reset.id}" in client.get("/admin/emails").text
    page = client.get(f"/admin/emails/{reset.id}")
    assert page.status_code == 200
    assert "SECRET-LINK" not in page.text and "one-time link" in page.text
    assert "<iframe" not in page.text and ".eml" not in page.text
    answer = client.get(f"/admin/emails/{reset.id}.eml")
    assert answer.status_code == 302 and b"SECRET-LINK" not in answer.data
    assert client.get(f"/admin/emails/{reset.id}/html").status_code == 404


def test_operators_have_no_email_log(client, operator, mail):
    assert client.get("/admin/emails").status_code == 403
    assert client.get(f"/admin/emails/{mail['reply'].id}").status_code == 403
    page = client.get("/admin/")
    assert "/admin/emails" not in page.text


def test_the_admin_menu_links_the_email_log(client, admin):
    assert 'href="/admin/emails"' in client.get("/admin/").text


@pytest.fixture
def acme_person(client, f, mail):
    """A logged-in user of ACME."""
    person = f.user("client", client=mail["acme"])
    assert AuthActions(client).login(person.email).status_code == 302
    return person


def test_a_client_sees_its_own_sent_client_mail_only(client, acme_person, mail, f):
    sent_invoice = f.outbox_message(mail["acme"], "invoice_issued", subject="ACME sent invoice")
    # The admins' copy of a usage alert: a client kind about ACME, but written for staff.
    f.outbox_message(mail["acme"], "usage_80", subject="ACME usage, admins", to_staff=True)
    page = client.get("/client/emails")
    assert page.status_code == 200
    assert row_ids(page.text) == ids(mail["reply"], sent_invoice)
    hidden = (
        "Globex private reply",
        "ACME new ticket for staff",
        "Reset your password",
        "ACME usage, admins",
    )
    for subject in (*hidden, "ACME held", "ACME invoice"):  # staff's, another's, not sent
        assert subject not in page.text
    assert 'href="/client/emails"' in page.text  # the navigation's link


def test_a_client_opens_its_message_as_text(client, acme_person, mail, f):
    sent = f.outbox_message(mail["acme"], "invoice_issued", body_html=SCRIPT_HTML)
    page = client.get(f"/client/emails/{sent.id}")
    assert page.status_code == 200
    assert "this is message" in page.text and sent.subject in page.text
    assert "<iframe" not in page.text and "owned" not in page.text  # text part only
    assert client.get(f"/admin/emails/{sent.id}/html").status_code == 403


@pytest.mark.parametrize("key", ["globex_reply", "staff", "reset", "held", "invoice"])
def test_another_clients_or_staff_mail_is_a_404_for_a_client(client, acme_person, mail, key):
    assert client.get(f"/client/emails/{mail[key].id}").status_code == 404


def test_the_admins_copy_of_a_usage_alert_is_a_404_for_the_client(client, acme_person, mail, f):
    copy = f.outbox_message(mail["acme"], "usage_100", to_staff=True)
    assert client.get(f"/client/emails/{copy.id}").status_code == 404


def test_a_client_cannot_open_the_admin_log(client, acme_person, mail):
    assert client.get("/admin/emails").status_code == 403
    page = client.get("/client/")
    token = csrf_token_from(page.text)
    answer = client.post(f"/admin/emails/{mail['invoice'].id}/retry", data={"csrf_token": token})
    assert answer.status_code == 403
