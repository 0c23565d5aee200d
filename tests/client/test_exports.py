"""Client CSV exports: headers, rows, two-decimal hours, formula injection, own data only."""

import csv
import io

import pytest

from portal.extensions import db
from portal.services.billing.close import close_period
from portal.services.billing.periods import period_of
from portal.services.reports.exports import safe_cell
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.csv_checks import INJECTION, assert_safe_in_every_locale, download_raw
from tests.helpers import last_month_day, last_month_start, this_month_start, today


def download(client, url: str) -> tuple[list[list[str]], object]:
    """GET a CSV export; its rows and the response."""
    with client.get(url) as response:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(text))), response


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+cmd", "'+cmd"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("a=b", "a=b"),
        ("x;=cmd", "x;'=cmd"),  # a cell of its own where ";" separates cells
        ("x,+1", "x,'+1"),
        ('x;""@SUM(A1)', 'x;""\'@SUM(A1)'),  # quotes after the ";" are read away
        ("a\n-1", "a\n'-1"),  # a new row for a reader that splits at ";"
        ("a; b", "a; b"),
        ("", ""),
        (None, ""),
    ],
)
def test_safe_cell_quotes_formula_starts(value, expected):
    assert safe_cell(value) == expected


def test_time_entries_csv_rows_hours_injection_and_only_own_entries(client, acme_user, f):
    acme = acme_user.client
    f.subscription(acme, f.plan(), this_month_start())
    olga = f.user("operator", name="Olga Operator")
    mail = f.ticket(acme, subject='=HYPERLINK("http://evil.example")')
    web = f.ticket(acme, subject="Website")
    untracked = f.ticket(acme, subject="Goodwill")
    log_time(mail, olga, TimeInput(90, today(), "=1+2"))
    log_time(mail, olga, TimeInput(45, today(), "+cmd", billable=False))
    log_time(web, olga, TimeInput(15, today(), "plain, with a comma"))
    log_time(untracked, olga, TimeInput(30, today(), "@risk"))
    other = f.client("Globex")
    f.subscription(other, f.plan(), this_month_start())
    log_time(f.ticket(other, subject="Globex secret"), olga, TimeInput(60, today(), "theirs"))
    db.session.commit()
    f.update(untracked, time_tracking=False)

    rows, response = download(client, "/client/export/time-entries.csv")
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and 'filename="time-entries-' in disposition
    day = today().isoformat()
    assert rows == [
        ["date", "ticket", "subject", "hours", "billable", "note", "operator"],
        [day, mail.display_number, '\'=HYPERLINK("http://evil.example")', "1.50", "yes", "'=1+2",
         "Olga Operator"],
        [day, mail.display_number, '\'=HYPERLINK("http://evil.example")', "0.75", "no", "'+cmd",
         "Olga Operator"],
        [day, web.display_number, "Website", "0.25", "yes", "plain, with a comma",
         "Olga Operator"],
        [day, untracked.display_number, "Goodwill", "0.50", "no", "'@risk", "Olga Operator"],
    ]  # fmt: skip


def test_time_entries_csv_is_streamed(client, acme_user, f):
    with client.get("/client/export/time-entries.csv") as response:
        assert response.is_streamed
        assert response.get_data(as_text=True).splitlines() == [
            '"date","ticket","subject","hours","billable","note","operator"'
        ]


# Appended after the original nine columns: carry-over and prepaid blocks.
ROLLOVER_BLOCK_COLUMNS = [
    "carried_in_hours",
    "carry_used_hours",
    "carried_out_hours",
    "block_used_hours",
    "block_left_hours",
]
NO_HOURS = ["0.00"] * 5


def test_usage_csv_rows_after_a_close(client, acme_user, f):
    acme = acme_user.client
    plan = f.plan("=Standard", hours=10, prices={"EUR": ("200.00", "60.00")})
    f.subscription(acme, plan, last_month_start())
    olga = f.user("operator", name="Olga")
    log_time(f.ticket(acme), olga, TimeInput(660, last_month_day(), ""))
    log_time(f.ticket(acme), olga, TimeInput(30, today(), ""))
    db.session.commit()
    [invoice] = close_period(period_of(last_month_start())).invoices
    db.session.commit()
    other = f.client("Globex")
    f.subscription(other, plan, this_month_start())  # closed months take no new plan

    rows, response = download(client, "/client/export/usage.csv")
    assert 'filename="usage-' in response.headers["Content-Disposition"]
    assert rows == [
        ["period", "plan", "included_hours", "used_hours", "overtime_hours", "amount",
         "currency", "invoice", "status", *ROLLOVER_BLOCK_COLUMNS],
        [period_of(today()), "'=Standard", "10.00", "0.50", "0.00", "200.00", "EUR", "",
         "Open month", *NO_HOURS],
        [period_of(last_month_start()), "'=Standard", "10.00", "11.00", "1.00", "260.00", "EUR",
         invoice.number, "Unpaid", *NO_HOURS],
    ]  # fmt: skip


def test_usage_csv_without_plan_has_only_the_header(client, acme_user):
    rows, _response = download(client, "/client/export/usage.csv")
    assert rows == [
        [
            "period",
            "plan",
            "included_hours",
            "used_hours",
            "overtime_hours",
            "amount",
            "currency",
            "invoice",
            "status",
            *ROLLOVER_BLOCK_COLUMNS,
        ]
    ]


@pytest.mark.parametrize("url", ["/client/export/time-entries.csv", "/client/export/usage.csv"])
def test_exports_are_for_client_users_only(client, login_as, url):
    login_as("operator")
    assert client.get(url).status_code == 403


def test_time_entries_csv_quotes_every_cell_and_disarms_semicolon_formulas(client, acme_user, f):
    acme = acme_user.client
    f.subscription(acme, f.plan(), this_month_start())
    olga = f.user("operator", name="Olga Operator")
    ticket = f.ticket(acme, subject="Mail,=1+2")
    log_time(ticket, olga, TimeInput(60, today(), INJECTION))
    log_time(ticket, olga, TimeInput(15, today(), "two\n@lines"))
    db.session.commit()

    rows = assert_safe_in_every_locale(download_raw(client, "/client/export/time-entries.csv"))

    assert [row[2] for row in rows[1:]] == ["Mail,'=1+2", "Mail,'=1+2"]
    assert [row[5] for row in rows[1:]] == ["x;'=cmd|' /C calc'!A0", "two\n'@lines"]


def test_usage_csv_quotes_every_cell_and_disarms_semicolon_formulas(client, acme_user, f):
    acme = acme_user.client
    f.subscription(acme, f.plan(INJECTION), this_month_start())

    rows = assert_safe_in_every_locale(download_raw(client, "/client/export/usage.csv"))

    assert rows[0][:2] == ["period", "plan"] and rows[1][1] == "x;'=cmd|' /C calc'!A0"
