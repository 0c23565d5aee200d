"""Staff hours report: totals by client, operator and month, CSV, access, bad ranges."""

import csv
import io
import re
from datetime import date

import pytest

from portal.extensions import db
from portal.services.billing.periods import month_name, period_of
from portal.services.clients.usage import previous_periods
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.csv_checks import INJECTION, assert_safe_in_every_locale, download_raw
from tests.helpers import last_month_day, last_month_start, today


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
    assert table_rows(page, "totals-client-table") == [
        ["ACME", "3.75", "2.75", "1.00"],
        ["Globex", "6.75", "6.75", "0.00"],
    ]
    assert table_rows(page, "totals-operator-table") == [
        ["Olga", "3.00", "2.00", "1.00"],
        ["Piotr", "7.50", "7.50", "0.00"],
    ]


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
