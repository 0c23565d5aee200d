"""Staff hours report: rows by month, client and operator in pages, totals of the whole range,
totals by client and by operator, filters, the streamed CSV, access, bad ranges; and the sums
the database keeps for it, against the entries themselves after edits, deletes and tracking
switches."""

import csv
import io
import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from portal.extensions import db
from portal.models import TimeEntry
from portal.services.billing.periods import month_name, period_of
from portal.services.clients.usage import previous_periods
from portal.services.tickets.conversation import set_tracking
from portal.services.tickets.time_entries import (
    TimeInput,
    delete_time_entry,
    edit_time_entry,
    log_time,
)
from tests.csv_checks import INJECTION, assert_safe_in_every_locale, download_raw
from tests.helpers import last_month_day, last_month_start, today, until_someone_waits


@pytest.fixture
def hours(f):
    """Two clients and two operators over last month and this month, plus older time."""
    acme, globex = f.client("ACME"), f.client("Globex")
    plan = f.plan()
    for c in (acme, globex):
        f.subscription(c, plan, last_month_start())
    olga, piotr = f.user("operator", name="Olga"), f.user("admin", name="Piotr")
    a, b = f.ticket(acme), f.ticket(globex)
    untracked = f.ticket(acme, subject="Later untracked")
    old = previous_periods(period_of(today()), 4)[0]
    entries = [
        (a, olga, 60, last_month_day(), True),
        (a, olga, 30, last_month_day(), False),
        (b, piotr, 120, last_month_day(), True),
        (b, olga, 45, last_month_day(), True),
        (a, piotr, 90, today(), True),
        (a, olga, 15, today(), True),
        (untracked, olga, 30, today(), True),  # billable, but tracking goes off below
        (b, piotr, 240, today(), True),
        (a, olga, 600, date(int(old[:4]), int(old[5:]), 10), False),  # outside the range
    ]
    for ticket, operator, minutes, day, billable in entries:
        log_time(ticket, operator, TimeInput(minutes, day, "", billable))
    db.session.commit()
    f.update(untracked, time_tracking=False)
    return {"last": period_of(last_month_start()), "this": period_of(today()), "old": old}


@pytest.fixture
def operator(login_as):
    """A logged-in operator, Oscar, who logged no time."""
    return login_as("operator", name="Oscar")


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """The cells of a table's body and footer rows, as text."""
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    body = table[table.index("<tbody>") :]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        rows.append([c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)])
    return rows


EXPECTED = [
    # period key, client, operator, hours, billable, not billable
    ("last", "ACME", "Olga", "1.50", "1.00", "0.50"),
    ("last", "Globex", "Olga", "0.75", "0.75", "0.00"),
    ("last", "Globex", "Piotr", "2.00", "2.00", "0.00"),
    ("this", "ACME", "Olga", "0.75", "0.25", "0.50"),
    ("this", "ACME", "Piotr", "1.50", "1.50", "0.00"),
    ("this", "Globex", "Piotr", "4.00", "4.00", "0.00"),
]


def test_report_rows_and_totals_for_two_clients_two_operators_two_months(client, operator, hours):
    url = f"/admin/reports/hours?from={hours['last']}&to={hours['this']}"
    page = client.get(url).text
    rows = table_rows(page, "hours-report")
    expected = [[month_name(hours[p]), c, o, h, b, n] for p, c, o, h, b, n in EXPECTED]
    assert rows[:-1] == expected
    assert rows[-1] == ["Total", "10.50", "9.50", "1.00"]
    by_client = client.get(f"{url}&by=client").text
    assert table_rows(by_client, "totals-client-table") == [
        ["ACME", "3.75", "2.75", "1.00"],
        ["Globex", "6.75", "6.75", "0.00"],
        ["Total", "10.50", "9.50", "1.00"],
    ]
    by_operator = client.get(f"{url}&by=operator").text
    assert table_rows(by_operator, "totals-operator-table") == [
        ["Olga", "3.00", "2.00", "1.00"],
        ["Piotr", "7.50", "7.50", "0.00"],
        ["Total", "10.50", "9.50", "1.00"],
    ]


def test_pages_keep_the_order_and_every_page_shows_the_whole_ranges_total(client, operator, hours):
    url = f"/admin/reports/hours?from={hours['last']}&to={hours['this']}&per_page=4"
    first, second = client.get(url).text, client.get(f"{url}&page=2").text
    expected = [[month_name(hours[p]), c, o, h, b, n] for p, c, o, h, b, n in EXPECTED]
    assert table_rows(first, "hours-report")[:-1] == expected[:4]
    assert table_rows(second, "hours-report")[:-1] == expected[4:]
    for page in (first, second):
        assert table_rows(page, "hours-report")[-1] == ["Total", "10.50", "9.50", "1.00"]
        assert "6 in all · page" in page
    assert 'href="/admin/reports/hours?' in first and "page=2" in first
    by_client = client.get(f"{url.replace('per_page=4', 'per_page=1')}&by=client&page=2").text
    assert table_rows(by_client, "totals-client-table") == [
        ["Globex", "6.75", "6.75", "0.00"],
        ["Total", "10.50", "9.50", "1.00"],
    ]


def test_filters_by_client_and_operator_narrow_rows_totals_and_csv(client, operator, hours):
    olga = db.session.scalar(text("SELECT id FROM user_account WHERE name = 'Olga'"))
    span = f"from={hours['last']}&to={hours['this']}"
    page = client.get(f"/admin/reports/hours?{span}&client=acm&operator={olga}").text
    assert table_rows(page, "hours-report") == [
        [month_name(hours["last"]), "ACME", "Olga", "1.50", "1.00", "0.50"],
        [month_name(hours["this"]), "ACME", "Olga", "0.75", "0.25", "0.50"],
        ["Total", "2.25", "1.25", "1.00"],
    ]
    csv_link = f"/admin/reports/hours.csv?{span}&client=acm&operator={olga}"
    assert f'href="{csv_link.replace("&", "&amp;")}"' in page
    with client.get(f"/admin/reports/hours.csv?{span}&client=acm&operator={olga}") as response:
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert [row[:3] for row in rows[1:]] == [
        [hours["last"], "ACME", "Olga"],
        [hours["this"], "ACME", "Olga"],
    ]
    nobody = client.get(f"/admin/reports/hours?{span}&client=nobody").text
    assert 'id="hours-report"' not in nobody and "No time was logged" in nobody


def test_report_csv_matches_the_page(client, operator, hours):
    url = f"/admin/reports/hours.csv?from={hours['last']}&to={hours['this']}"
    with client.get(url) as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        disposition = response.headers["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert f'filename="hours-{hours["last"]}-to-{hours["this"]}.csv"' in disposition
    assert rows[0] == [
        "period",
        "client",
        "operator",
        "hours",
        "billable_hours",
        "non_billable_hours",
    ]
    assert rows[1:] == [[hours[p], c, o, h, b, n] for p, c, o, h, b, n in EXPECTED]
    # The rows add up to the page's total of the whole range.
    assert sum(Decimal(row[3]) for row in rows[1:]) == Decimal("10.50")
    assert sum(Decimal(row[4]) for row in rows[1:]) == Decimal("9.50")


def test_report_csv_is_streamed_row_by_row(client, operator, hours):
    url = f"/admin/reports/hours.csv?from={hours['last']}&to={hours['this']}"
    response = client.get(url, buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 1 + len(EXPECTED)  # the header, then each row as it is read


def test_default_range_is_the_last_three_months(client, operator, hours):
    page = client.get("/admin/reports/hours").text
    first = previous_periods(hours["this"], 3)[0]
    assert f'value="{first}"' in page and f'value="{hours["this"]}"' in page
    assert table_rows(page, "hours-report")[-1] == ["Total", "10.50", "9.50", "1.00"]
    older = client.get(f"/admin/reports/hours?from={hours['old']}&to={hours['this']}").text
    assert table_rows(older, "hours-report")[-1] == ["Total", "20.50", "9.50", "11.00"]


@pytest.mark.parametrize("role", ["operator", "admin"])
def test_staff_may_open_the_report(client, login_as, role):
    login_as(role)
    page = client.get("/admin/reports/hours")
    assert page.status_code == 200
    assert 'href="/admin/reports/hours"' in page.text  # the nav link, for all staff
    with client.get("/admin/reports/hours.csv") as response:
        assert response.status_code == 200


def test_client_gets_403(client, login_as):
    login_as("client")
    assert client.get("/admin/reports/hours").status_code == 403
    assert client.get("/admin/reports/hours.csv").status_code == 403


def test_a_bad_range_keeps_the_client_and_operator_asked_for(client, operator, hours):
    olga = db.session.scalar(text("SELECT id FROM user_account WHERE name = 'Olga'"))
    response = client.get(
        f"/admin/reports/hours?from=2026-13&to=2026-09&client=acm&operator={olga}"
    )
    assert response.status_code == 400
    assert 'name="client" value="acm"' in response.text
    assert f'<option value="{olga}" selected>Olga</option>' in response.text


def test_an_operator_without_time_in_the_months_stays_selected(client, operator, hours):
    """Oscar logged nothing: the filter on him shows no rows, and says it is on him."""
    oscar = db.session.scalar(text("SELECT id FROM user_account WHERE name = 'Oscar'"))
    span = f"from={hours['last']}&to={hours['this']}"
    page = client.get(f"/admin/reports/hours?{span}&operator={oscar}").text
    assert f'<option value="{oscar}" selected>Oscar</option>' in page
    assert "No time was logged" in page
    unfiltered = client.get(f"/admin/reports/hours?{span}").text
    assert ">Oscar</option>" not in unfiltered  # the list offers those who logged time


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("from=2026-13&to=2026-09", "from", "Give the month as YYYY-MM"),
        ("from=abc&to=2026-09", "from", "Give the month as YYYY-MM"),
        ("from=2026-01&to=%27%3B--", "to", "Give the month as YYYY-MM"),
        ("from=2026-09-01&to=2026-10", "from", "Give the month as YYYY-MM"),
        ("from=2026-09&to=2026-08", "to", "must not be before"),
        ("from=2020-01&to=2026-01", "to", "at most 36 months"),
    ],
)
def test_bad_range_gives_a_message_not_a_500(client, operator, query, field, message):
    response = client.get(f"/admin/reports/hours?{query}")
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text and message in response.text
    assert 'id="hours-report"' not in response.text
    with client.get(f"/admin/reports/hours.csv?{query}") as csv_response:
        assert csv_response.status_code == 400 and message in csv_response.get_data(as_text=True)


def test_report_csv_quotes_every_cell_and_disarms_semicolon_formulas(client, operator, f):
    evil = f.client(INJECTION)
    f.subscription(evil, f.plan(), last_month_start())
    log_time(f.ticket(evil), f.user("operator", name="Eve;@SUM(A1)"), TimeInput(60, today(), ""))
    db.session.commit()

    rows = assert_safe_in_every_locale(download_raw(client, "/admin/reports/hours.csv"))

    assert rows[1][1:3] == ["x;'=cmd|' /C calc'!A0", "Eve;'@SUM(A1)"]


def _sums_from_entries() -> dict:
    """(period, client, operator) -> (minutes, billable) added up from the entries."""
    rows = db.session.execute(
        text(
            "SELECT e.work_date, t.client_id, e.operator_id, e.minutes, "
            "e.billable AND t.time_tracking FROM time_entry e JOIN ticket t ON t.id = e.ticket_id"
        )
    )
    sums: dict = {}
    for day, client_id, operator_id, minutes, billable in rows:
        period = str(day)[:7]
        total, paid = sums.get((period, client_id, operator_id), (0, 0))
        sums[(period, client_id, operator_id)] = (
            total + minutes,
            paid + (minutes if billable else 0),
        )
    return sums


def _kept_sums() -> dict:
    """The sums the database keeps for the report (rows with minutes left)."""
    rows = db.session.execute(
        text(
            "SELECT period, client_id, operator_id, minutes, billable_minutes "
            "FROM hours_summary WHERE minutes > 0"
        )
    )
    return {(p, c, o): (m, b) for p, c, o, m, b in rows}


def test_kept_sums_follow_edits_deletes_tracking_and_bulk_inserts(f, hours):
    assert _kept_sums() == _sums_from_entries()
    entries = db.session.scalars(db.select(TimeEntry).order_by(TimeEntry.id)).all()
    actor = entries[0].operator
    # An edit that changes minutes, day (another month) and billable.
    edit_time_entry(entries[0], actor, TimeInput(75, today(), "moved", False))
    delete_time_entry(entries[2], entries[2].operator)
    db.session.commit()
    assert _kept_sums() == _sums_from_entries()
    ticket = entries[0].ticket
    set_tracking(ticket, False, actor)
    db.session.commit()
    assert _kept_sums() == _sums_from_entries()
    set_tracking(ticket, True, actor)
    db.session.commit()
    # A bulk insert, as the load generator writes (one statement, many rows).
    db.session.execute(
        db.insert(TimeEntry),
        [
            {
                "ticket_id": ticket.id,
                "subscription_id": entries[1].subscription_id,
                "operator_id": actor.id,
                "minutes": 15 * n,
                "work_date": last_month_day(),
                "billable": n % 2 == 0,
                "note": "",
            }
            for n in range(1, 6)
        ],
    )
    db.session.commit()
    assert _kept_sums() == _sums_from_entries()
    db.session.execute(db.delete(TimeEntry).where(TimeEntry.ticket_id == ticket.id))
    db.session.commit()
    assert _kept_sums() == _sums_from_entries()


def test_entries_emptied_at_once_take_their_sums_with_them(hours):
    """TRUNCATE (PostgreSQL) fires no row trigger: a statement trigger empties the summary.
    SQLite has no TRUNCATE; a DELETE of every entry goes through the row triggers."""
    assert _kept_sums() != {}
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE time_entry CASCADE"))
    else:
        db.session.execute(db.delete(TimeEntry))
    db.session.commit()
    assert _kept_sums() == _sums_from_entries() == {}
    if db.engine.dialect.name == "postgresql":  # the rows themselves, not only their minutes
        assert db.session.scalar(text("SELECT count(*) FROM hours_summary")) == 0


def test_an_entry_logged_while_tracking_is_switched_is_summed_with_the_new_tracking(app, hours):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: no entry is written during another's switch")
    entry = db.session.scalars(db.select(TimeEntry).order_by(TimeEntry.id)).first()
    ticket, operator = entry.ticket, entry.operator
    db.session.commit()
    engine = create_engine(db.engine.url)
    switch = engine.connect()
    switch.execute(
        text("UPDATE ticket SET time_tracking = false WHERE id = :id"), {"id": ticket.id}
    )

    def commit_once_the_entry_waits():
        until_someone_waits(switch)
        switch.commit()
        switch.close()

    switcher = threading.Thread(target=commit_once_the_entry_waits)
    switcher.start()
    try:
        # As a writer that does not touch the ticket (the load generator, the API's bulk
        # paths): only the lock of the switch keeps it from summing the old tracking.
        db.session.execute(
            db.insert(TimeEntry),
            [
                {
                    "ticket_id": ticket.id,
                    "subscription_id": entry.subscription_id,
                    "operator_id": operator.id,
                    "minutes": 45,
                    "work_date": last_month_day(),
                    "billable": True,
                    "note": "",
                }
            ],
        )
        db.session.commit()
    finally:
        switcher.join()
        engine.dispose()
    assert _kept_sums() == _sums_from_entries()
