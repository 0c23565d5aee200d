"""The admin audit log page and its CSV: actions done through the real pages show up with
their user, filters narrow, pages page, the CSV matches, and nothing a visitor types is a 500."""

import csv
import html
import io
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from portal import jobs
from portal.extensions import db
from portal.models import AuditLogEntry, Invoice, TimeEntry
from portal.services import audit
from portal.services.billing.periods import period_of
from portal.services.settings import save_settings
from tests.csv_checks import INJECTION, assert_safe_in_every_locale, download_raw
from tests.helpers import confirm, last_month_start, submit, this_month_start, today

_ROW = re.compile(r'<tr id="audit-(\d+)">(.*?)</tr>', re.S)
_CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
COLUMNS = ("when", "who", "action", "object", "changes")


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def audit_rows(client, **filters) -> list[dict]:
    """GET /admin/audit with filters; its table rows as dicts (id, columns, object link)."""
    response = client.get("/admin/audit?" + urlencode(filters))
    assert response.status_code == 200
    rows = []
    for row_id, body in _ROW.findall(response.text):
        cells = _CELL.findall(body)
        row = dict(zip(COLUMNS, map(_text, cells), strict=True))
        link = re.search(r'href="([^"]+)"', cells[3])
        row.update(id=int(row_id), link=html.unescape(link.group(1)) if link else None)
        rows.append(row)
    return rows


def by_action(rows: list[dict], label: str) -> list[dict]:
    """The rows with this action label."""
    return [row for row in rows if row["action"] == label]


def download(client, **filters) -> tuple[list[list[str]], object]:
    """GET the CSV with filters: its rows (header first) and the response."""
    with client.get("/admin/audit.csv?" + urlencode(filters)) as response:
        assert response.status_code == 200, response.text
        text = response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text))), response


def logged(actor, action, obj_type, obj_id, at, before=None, after=None) -> AuditLogEntry:
    """An audit row written by the service, dated `at` (test set-up for filters and paging)."""
    entry = audit.record(actor, action, obj_type, obj_id, before, after)
    db.session.flush()
    entry.at = at
    db.session.commit()
    return entry


@pytest.fixture
def ada(login_as):
    """A logged-in admin, Ada."""
    return login_as("admin", email="ada@example.com", name="Ada Admin")


def ticket_form(client, ticket, **fields):
    """Submit the ticket page's inline update form (CSRF from the page)."""
    data = {"reply": "", "status": "", "work_date": today().isoformat(), "billable": "y"}
    data.update(fields)
    response = submit(client, f"/admin/tickets/{ticket.id}", data)
    assert response.status_code == 302, response.text
    return response


def test_actions_done_through_the_pages_are_listed_with_the_admin_who_did_them(client, ada, f):
    acme, beta = f.client("ACME GmbH"), f.client("Beta Ltd")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    ticket = f.ticket(acme, subject="Mail server down")
    # Time logged with the plan assigned on the spot, from the ticket form.
    ticket_form(client, ticket, hours="1:30", note="Restart", plan=str(plan.id))
    ticket_form(client, ticket, hours="0.25", note="Typo")
    first, second = db.session.scalars(db.select(TimeEntry).order_by(TimeEntry.id)).all()
    # Time edited and deleted from their pages.
    edit_url = f"/admin/time-entries/{first.id}/edit"
    edited = submit(
        client,
        edit_url,
        {"hours": "2", "work_date": today().isoformat(), "note": "Restart", "billable": "y"},
    )
    assert edited.status_code == 302
    second_id = second.id
    confirm(client, f"/admin/tickets/{ticket.id}", f"/admin/time-entries/{second_id}/delete")
    assert db.session.get(TimeEntry, second_id) is None
    # A plan assigned from the client page, last month closed, its invoice marked paid.
    assigned = submit(
        client,
        f"/admin/clients/{beta.id}",
        {"plan": str(plan.id), "start_date": last_month_start().isoformat()},
        f"/admin/clients/{beta.id}/subscriptions",
    )
    assert assigned.status_code == 302
    period = period_of(last_month_start())
    closed = confirm(client, "/admin/billing", f"/admin/billing/{period}/close")
    assert closed.status_code == 302
    invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=beta.id))
    paid = submit(
        client, f"/admin/invoices/{invoice.id}", {}, f"/admin/invoices/{invoice.id}/mark-paid"
    )
    assert paid.status_code == 302

    rows = audit_rows(client)
    ticket_url = f"/admin/tickets/{ticket.id}"
    logged_rows = by_action(rows, "Time logged")
    assert len(logged_rows) == 2
    assert {row["link"] for row in logged_rows} == {ticket_url}
    assert f"Time entry {first.id} on ticket #{ticket.number}" in [r["object"] for r in rows]
    (edit_row,) = by_action(rows, "Time edited")
    assert edit_row["link"] == ticket_url
    assert "minutes: 90 → 120" in edit_row["changes"]
    assert "ticket_id" not in edit_row["changes"]  # only the keys that changed
    (delete_row,) = by_action(rows, "Time deleted")
    assert delete_row["object"] == f"Time entry {second_id} on ticket #{ticket.number}"
    assert "minutes: 15" in delete_row["changes"]
    plan_rows = by_action(rows, "Plan assigned")
    assert {row["link"] for row in plan_rows} == {
        f"/admin/clients/{acme.id}",
        f"/admin/clients/{beta.id}",
    }
    (close_row,) = by_action(rows, "Period closed")
    assert close_row["object"] == f"Period {period}" and close_row["link"] == "/admin/billing"
    (issue_row,) = by_action(rows, "Invoice issued")
    (paid_row,) = by_action(rows, "Invoice marked paid")
    assert paid_row["link"] == f"/admin/invoices/{invoice.id}"
    assert paid_row["object"] == f"Invoice {invoice.number}"
    assert "status: Unpaid → Paid" in paid_row["changes"]
    every = [*logged_rows, edit_row, delete_row, *plan_rows, close_row, issue_row, paid_row]
    assert all(row["who"] == "Ada Admin ada@example.com" for row in every)
    assert len(rows) == len(every)  # nothing else was recorded
    # Newest first: the payment was the last thing done.
    assert rows[0] == paid_row
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)


def test_an_operators_time_is_listed_under_the_operator(client, auth, login_as, f):
    acme = f.client("ACME GmbH")
    f.subscription(acme, f.plan(), this_month_start())
    ticket = f.ticket(acme)
    login_as("operator", email="olga@example.com", name="Olga Operator")
    ticket_form(client, ticket, hours="0.5", note="Checked logs")
    assert client.get("/admin/audit").status_code == 403
    auth.logout()
    login_as("admin")
    (row,) = by_action(audit_rows(client), "Time logged")
    assert row["who"] == "Olga Operator olga@example.com"
    assert "minutes: 30" in row["changes"] and "note: Checked logs" in row["changes"]


def test_closes_by_cli_and_scheduler_are_system_and_by_api_are_the_admin(app, client, ada, f):
    acme = f.client("ACME GmbH")
    three_back = (last_month_start() - timedelta(days=40)).replace(day=1)
    f.subscription(acme, f.plan(), three_back)
    two_back = period_of(three_back + timedelta(days=40))
    token = f.api_token(ada)

    assert app.test_cli_runner().invoke(args=["close-month", period_of(three_back)]).exit_code == 0
    response = client.post(
        f"/api/v1/billing/periods/{two_back}/close", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert jobs.close_past_months(app) == [period_of(last_month_start())]

    rows = audit_rows(client, action="period.close")
    assert [(row["object"], row["who"]) for row in rows] == [
        (f"Period {period_of(last_month_start())}", "system"),
        (f"Period {two_back}", "Ada Admin ada@example.com"),
        (f"Period {period_of(three_back)}", "system"),
    ]
    # The invoices of each close carry the same actor as the close.
    issued = audit_rows(client, action="invoice.issue")
    assert [row["who"] for row in issued] == ["system", "Ada Admin ada@example.com", "system"]


def hrs(hours: float) -> timedelta:
    """A number of hours."""
    return timedelta(hours=hours)


@pytest.fixture
def history(f, ada):
    """Rows by Ada (admin), Bob (operator) and the system, around 1 April 2026 in Warsaw."""
    save_settings({"business_timezone": "Europe/Warsaw"})
    db.session.commit()
    bob = f.user("operator", email="bob@example.com", name="Bob Operator")
    ticket = f.ticket(f.client("ACME GmbH"))
    entry = {"ticket_id": ticket.id, "minutes": 60}
    day = datetime(2026, 3, 31, tzinfo=UTC)
    paid = ({"status": "Unpaid"}, {"status": "Paid"})
    answered = ({"status": "Open"}, {"status": "Answered"})
    return {
        # 23:30 on 31 March in Warsaw (CEST, UTC+2)
        "march": logged(bob, "time_entry.create", "time_entry", 1, day + hrs(21.5), after=entry),
        # 00:30 on 1 April in Warsaw
        "april": logged(ada, "invoice.paid", "invoice", 7, day + hrs(22.5), *paid),
        "system": logged(None, "period.close", "billing_period", 3, day + hrs(48), after={"p": 1}),
        "bob_later": logged(bob, "ticket.status", "ticket", ticket.id, day + hrs(72), *answered),
    }


def ids(rows) -> set[int]:
    """The ids of rows (page dicts or AuditLogEntry objects)."""
    return {row["id"] if isinstance(row, dict) else row.id for row in rows}


def test_each_filter_narrows_the_rows(client, ada, history):
    h = history
    assert ids(audit_rows(client)) == ids(h.values())
    bob_id = h["march"].user_id
    assert ids(audit_rows(client, user=bob_id)) == ids([h["march"], h["bob_later"]])
    assert ids(audit_rows(client, user=ada.id)) == ids([h["april"]])
    assert ids(audit_rows(client, user="system")) == ids([h["system"]])
    assert ids(audit_rows(client, action="invoice.paid")) == ids([h["april"]])
    assert ids(audit_rows(client, object_type="ticket")) == ids([h["bob_later"]])
    # Days are business days: 22:30 UTC on 31 March is already 1 April in Warsaw.
    assert ids(audit_rows(client, date_from="2026-04-01")) == ids(
        [h["april"], h["system"], h["bob_later"]]
    )
    assert ids(audit_rows(client, date_to="2026-03-31")) == ids([h["march"]])
    # Both ends are included.
    assert ids(audit_rows(client, date_from="2026-04-01", date_to="2026-04-02")) == ids(
        [h["april"], h["system"]]
    )
    # Filters combine.
    assert ids(audit_rows(client, user=bob_id, date_from="2026-04-01")) == ids([h["bob_later"]])
    assert audit_rows(client, user=ada.id, action="ticket.status") == []
    (april,) = audit_rows(client, action="invoice.paid")
    assert april["when"] == "2026-04-01 00:30"  # shown in the business time zone


def test_selects_offer_the_users_actions_and_types_in_the_log(client, ada, f, history):
    f.user("operator", name="Idle Ivan")  # never acted
    page = client.get("/admin/audit").text
    user_select = re.search(r'<select[^>]*name="user".*?</select>', page, re.S).group(0)
    assert "Bob Operator" in user_select and "Ada Admin" in user_select
    assert "Idle Ivan" not in user_select and 'value="system"' in user_select
    action_select = re.search(r'<select[^>]*name="action".*?</select>', page, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', action_select) == [
        "",
        "invoice.paid",
        "period.close",
        "ticket.status",
        "time_entry.create",
    ]  # by label: Invoice marked paid, Period closed, Ticket status changed, Time logged
    assert ">Invoice marked paid<" in action_select and ">Time logged<" in action_select
    # The chosen filter stays selected.
    page = client.get("/admin/audit?action=period.close").text
    assert re.search(r'<option selected value="period.close">|value="period.close" selected', page)


@pytest.fixture
def thirty(ada):
    """30 rows, one a minute, alternately by Ada and the system."""
    start = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
    return [
        logged(
            ada if n % 2 else None,
            "client.update",
            "client",
            n,
            start + timedelta(minutes=n),
            {"name": f"Old {n}"},
            {"name": f"New {n}"},
        )
        for n in range(30)
    ]


def test_newest_first_in_pages_of_25(client, thirty):
    newest_first = [e.id for e in sorted(thirty, key=lambda e: e.at, reverse=True)]
    page1 = audit_rows(client)
    page2 = audit_rows(client, page=2)
    assert [row["id"] for row in page1] == newest_first[:25]
    assert [row["id"] for row in page2] == newest_first[25:]
    assert audit_rows(client, page=3) == []
    html_page = client.get("/admin/audit").text
    assert "30 in all · page 1 of 2" in html_page and 'href="/admin/audit?page=2"' in html_page
    assert [r["id"] for r in audit_rows(client, per_page=10, page=3)] == newest_first[20:]
    # The pager keeps the filters.
    assert (
        "user=system"
        in client.get("/admin/audit?user=system&per_page=5").text.split('aria-label="Pages"')[1]
    )


def test_csv_has_every_filtered_row_of_all_pages(client, ada, thirty):
    rows, response = download(client)
    assert rows[0] == [
        "id",
        "at_utc",
        "at_local",
        "user_id",
        "user",
        "action",
        "action_label",
        "object_type",
        "object_id",
        "before",
        "after",
    ]
    assert [int(r[0]) for r in rows[1:]] == [
        row["id"] for row in audit_rows(client) + audit_rows(client, page=2)
    ]
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-log.csv"'
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert "Content-Length" not in response.headers  # streamed, not built in memory first
    # Same filters, same rows as the (paged) page.
    system_rows, _ = download(client, user="system")
    page_ids = [
        r["id"] for p in (1, 2) for r in audit_rows(client, user="system", per_page=10, page=p)
    ]
    assert [int(r[0]) for r in system_rows[1:]] == page_ids and len(page_ids) == 15
    assert {r[4] for r in system_rows[1:]} == {"system"}
    # The CSV link on the page carries the page's filters.
    page = client.get("/admin/audit?user=system&page=2").text
    assert 'id="audit-csv" href="/admin/audit.csv?user=system"' in page


def test_csv_cells_timestamps_json_and_utf8(client, ada, f):
    save_settings({"business_timezone": "Europe/Warsaw"})
    db.session.commit()
    zoe = f.user("operator", email="zoe@example.com", name="Zoë Łukasiewicz")
    entry = logged(
        zoe,
        "time_entry.update",
        "time_entry",
        42,
        datetime(2026, 7, 1, 10, 15, tzinfo=UTC),
        {"minutes": 60, "note": "Zażółć"},
        {"minutes": 90, "note": "gęślą jaźń"},
    )
    rows, _ = download(client)
    (row,) = rows[1:]
    assert row[0] == str(entry.id)
    assert row[1] == "2026-07-01T10:15:00+00:00"
    assert row[2] == "2026-07-01T12:15:00+02:00"  # Warsaw, summer time
    assert row[3:9] == [
        str(zoe.id),
        "Zoë Łukasiewicz <zoe@example.com>",
        "time_entry.update",
        "Time edited",
        "time_entry",
        "42",
    ]
    assert json.loads(row[9]) == {"minutes": 60, "note": "Zażółć"}
    assert json.loads(row[10]) == {"minutes": 90, "note": "gęślą jaźń"}


def test_csv_guards_against_formula_injection(client, ada, f):
    evil = f.user("operator", email="evil@example.com", name='=HYPERLINK("http://x.example")')
    plus = f.user("operator", email="plus@example.com", name="+1 caller")
    logged(evil, "client.update", "client", 1, datetime(2026, 7, 1, tzinfo=UTC), after={"a": 1})
    logged(plus, "client.update", "client", 2, datetime(2026, 7, 2, tzinfo=UTC), after={"a": 2})
    rows, _ = download(client)
    users = {row[4] for row in rows[1:]}
    assert users == {
        "'+1 caller <plus@example.com>",
        '\'=HYPERLINK("http://x.example") <evil@example.com>',
    }
    # Nothing else in these rows starts like a formula.
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)


def test_bad_filters_are_ignored_with_a_message_and_the_page_still_renders(client, ada, history):
    everything = ids(history.values())
    page = client.get("/admin/audit?user=987654")
    assert page.status_code == 200
    assert "No such user in the log; showing everyone." in page.text
    assert ids(audit_rows(client, user=987654)) == everything
    page = client.get("/admin/audit?date_from=2026-04-03&date_to=2026-04-01").text
    assert "The end date is before the start date; the dates were ignored." in page
    assert ids(audit_rows(client, date_from="2026-04-03", date_to="2026-04-01")) == everything
    page = client.get("/admin/audit?date_from=31.03.2026&action=period.close").text
    assert "Enter a date as YYYY-MM-DD" in page
    # The good filter still applies; the CSV link carries only the good ones.
    assert ids(audit_rows(client, date_from="31.03.2026", action="period.close")) == {
        history["system"].id
    }
    assert 'href="/admin/audit.csv?action=period.close"' in page
    # The CSV refuses bad filters with the reason instead of exporting more than asked.
    response = client.get("/admin/audit.csv?user=987654")
    assert response.status_code == 400 and "No such user" in response.text


HOSTILE = [
    {"user": "abc"},
    {"user": "-1"},
    {"user": "99999999999999999999999"},
    {"user": "1 OR 1=1"},
    {"user": "\x00"},
    {"user": "١"},
    {"action": "<script>alert(1)</script>"},
    {"action": "\x00"},
    {"action": "x" * 5000},
    {"object_type": "'; DROP TABLE audit_log; --"},
    {"date_from": "garbage"},
    {"date_from": "2026-02-30"},
    {"date_from": "0001-01-01"},
    {"date_to": "9999-12-31"},
    {"date_from": "２０２６-01-01"},
    {"date_from": "20260101"},
    {"date_to": "2026-1-1"},
    {"date_to": "\x00"},
    {"date_from": "2026-05-01", "date_to": "2026-04-01"},
]
PAGING = [
    {"page": "99999999999999999999"},
    {"page": "9223372036854775807"},
    {"page": "-3"},
    {"page": "abc"},
    {"per_page": "100000"},
    {"per_page": "-1"},
]


@pytest.mark.parametrize("args", HOSTILE + PAGING)
def test_hostile_filter_values_answer_200_with_a_field_error_never_500(client, ada, history, args):
    response = client.get("/admin/audit?" + urlencode(args))
    assert response.status_code == 200
    if args in HOSTILE:
        assert 'class="invalid-feedback"' in response.text
    assert "<script>alert(1)</script>" not in response.text
    csv_response = client.get("/admin/audit.csv?" + urlencode(args))
    assert csv_response.status_code == (400 if args in HOSTILE else 200)
    csv_response.close()


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_only_admins_get_in(client, auth, login_as, path):
    anonymous = client.get(path)
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    for role in ("operator", "client"):
        login_as(role)
        assert client.get(path).status_code == 403
        auth.logout()
    login_as("admin")
    response = client.get(path)
    assert response.status_code == 200
    response.close()


def test_an_empty_log_shows_an_empty_state_and_a_header_only_csv(client, ada):
    page = client.get("/admin/audit").text
    assert "No recorded actions match these filters." in page
    assert 'id="audit-csv" href="/admin/audit.csv"' in page
    rows, _ = download(client)
    assert len(rows) == 1 and rows[0][0] == "id"


def test_csv_quotes_every_cell_and_disarms_semicolon_formulas(client, ada, f):
    evil = f.user("operator", email="evil@example.com", name=INJECTION)
    logged(evil, "client.update", "client", 1, datetime(2026, 7, 1, tzinfo=UTC), after={"a": 1})
    logged(ada, "client.update", "client", 2, datetime(2026, 7, 2, tzinfo=UTC), after={"n": "-1"})

    rows = assert_safe_in_every_locale(download_raw(client, "/admin/audit.csv"))

    assert [row[4] for row in rows[1:]] == [
        "Ada Admin <ada@example.com>",
        "x;'=cmd|' /C calc'!A0 <evil@example.com>",
    ]
    assert json.loads(rows[1][10]) == {"n": "-1"}  # JSON inside a cell stays JSON
