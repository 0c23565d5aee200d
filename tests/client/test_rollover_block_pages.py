"""What clients see of rollover and prepaid blocks (SPEC "More ways to sell hours", "What
clients see"): the carry-over lines and block balance on the dashboard, the notices against
the hours available, the usage history's extra columns and the CSV's, through real logins."""

import calendar
import csv
import io
import re
from datetime import date

import pytest

from portal.extensions import db
from portal.services.billing.close import close_period
from portal.services.billing.ledger import block_validity
from portal.services.billing.periods import period_bounds, period_of
from portal.services.clients.blocks import top_up
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import last_month_day, last_month_start, this_month_start, today

MONTH_NAMES = list(calendar.month_name)[1:]


def readable_month(period: str) -> str:
    """ "2026-11" as the dashboard names it: the month, with its year when not this year's."""
    name = MONTH_NAMES[int(period[5:]) - 1]
    return name if int(period[:4]) == today().year else f"{name} {period[:4]}"


def readable_day(day) -> str:
    """A date as the dashboard writes it: "31 December", with the year when not this year's."""
    name = f"{day.day} {MONTH_NAMES[day.month - 1]}"
    return name if day.year == today().year else f"{name} {day.year}"


def log(f, client, minutes, day=None, billable=True):
    """Log time on a fresh ticket of the client (entries of at most 10 h) and commit."""
    operator = f.user("operator")
    for chunk in range(0, minutes, 600):
        amount = min(600, minutes - chunk)
        log_time(f.ticket(client), operator, TimeInput(amount, day or today(), "", billable))
    db.session.commit()


def close_last_month():
    """Close the previous month, as the billing run does, and commit."""
    close_period(period_of(last_month_start()))
    db.session.commit()


def figure(page: str, name: str) -> str:
    """The text of one dashboard figure."""
    match = re.search(rf'id="figure-{name}">([^<]*)<', page)
    assert match, f"no figure {name}"
    return match.group(1).strip()


def headers(page: str) -> list[str]:
    """The usage history table's column headers."""
    table = re.search(r'<table[^>]*id="usage-history".*?</thead>', page, re.S).group(0)
    return re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', table)


def row_cells(page: str, period: str) -> dict[str, str]:
    """One usage history row, as its cells' data-label -> text."""
    row = re.search(rf'<tr data-period="{period}">(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r'data-label="([^"]+)">(.*?)</t[dh]>', row, re.S)
    return {label: re.sub(r"<[^>]+>", "", text).strip() for label, text in cells}


def csv_rows(client) -> list[list[str]]:
    """The usage CSV, parsed."""
    with client.get("/client/export/usage.csv") as response:
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def flex(f, acme_user):
    """ACME on Flex (10 h, rollover 1 month, EUR 300/80) from last month: 6 h used last
    month and closed, so 4 h carry into this one."""
    plan = f.plan("Flex", hours=10, prices={"EUR": ("300.00", "80.00")}, rollover_months=1)
    f.subscription(acme_user.client, plan, last_month_start())
    log(f, acme_user.client, 360, last_month_day())
    close_last_month()
    return acme_user.client


@pytest.fixture
def block20(f, acme_user):
    """ACME on Block20 (20 h, 3 months, EUR 1,000.00 a block, 70.00 an hour) since the
    first of this month: the first block is bought that day."""
    f.subscription(acme_user.client, f.block_plan(), this_month_start())
    return acme_user.client


def test_dashboard_shows_each_carry_over_with_its_month_and_last_day(client, f, flex):
    log(f, flex, 120)
    page = client.get("/client/").text
    last_day = period_bounds(period_of(today()))[1]  # the carry-over's last day
    carried = re.search(r'<ul[^>]*id="carry-overs">(.*?)</ul>', page, re.S).group(1)
    line = " ".join(carried.split())
    assert line == (
        f"<li>Carried over from {readable_month(period_of(last_month_start()))}: 4:00 h "
        f"(2:00 h left), use by {readable_day(last_day)}</li>"
    )
    assert figure(page, "carried") == "4:00 h"
    assert figure(page, "remaining") == "12:00 h"  # 4 h carried + 10 h included - 2 h


@pytest.mark.parametrize(
    ("minutes", "notice"),
    [
        (600, None),  # all included hours used, but 10 of 14 available: no notice yet
        (675, "warning"),  # 11:15 of 14:00 = 80.4 %
        (840, "full"),
    ],
)
def test_notices_count_the_carry_over_as_available(client, f, flex, minutes, notice):
    log(f, flex, minutes)
    page = client.get("/client/").text
    shown = re.search(r'<div class="alert alert-(\w+)" role="status" id="usage-notice">', page)
    assert (shown and shown.group(1)) == {None: None, "warning": "warning", "full": "danger"}[
        notice
    ]
    if notice == "warning":
        assert "of 14:00 hours this month" in page
        assert "80 % of your hours (included and carried over)" in page
    if notice == "full":
        assert "all included hours and the hours carried over" in page


def test_dashboard_shows_the_block_balance_and_each_block(client, f, block20):
    log(f, block20, 17 * 60)
    page = client.get("/client/").text
    assert figure(page, "block-in") == "20:00 h"
    assert figure(page, "used") == "17:00 h"
    assert figure(page, "block-left") == "3:00 h"
    assert figure(page, "overtime") == "0:00 h"
    until = block_validity(this_month_start(), 3)[1]
    table = re.search(r'<table[^>]*id="blocks">.*?</table>', page, re.S).group(0)
    cells = [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", table)]
    bought = readable_day(this_month_start())
    assert cells == [bought, "20:00", "17:00", "3:00", readable_day(until)]
    assert "You have used 80 % of your prepaid hours: 17:00 of 20:00 hours this month." in page


def test_dashboard_says_when_the_blocks_are_used_up(client, f, block20):
    log(f, block20, 21 * 60)
    page = client.get("/client/").text
    assert figure(page, "block-left") == "0:00 h"
    assert figure(page, "overtime") == "1:00 h"
    assert figure(page, "charge") == "€70.00"
    assert "You have used all your prepaid hours; further hours are billed as overtime" in page


def test_usage_history_of_a_package_only_client_has_no_new_columns(client, f, acme_user):
    f.subscription(acme_user.client, f.plan("Standard"), this_month_start())
    page = client.get("/client/usage").text
    assert headers(page) == [
        "Period",
        "Plan",
        "Included h",
        "Used h",
        "Overtime h",
        "Amount",
        "Invoice",
        "Status",
    ]


def test_usage_history_shows_carry_over_columns_for_a_rollover_plan(client, f, flex):
    log(f, flex, 120)
    page = client.get("/client/usage").text
    assert headers(page) == [
        "Period",
        "Plan",
        "Included h",
        "Carried in h",
        "Used h",
        "Carry used h",
        "Carried out h",
        "Overtime h",
        "Amount",
        "Invoice",
        "Status",
    ]
    last = row_cells(page, period_of(last_month_start()))
    assert (last["Carried in h"], last["Used h"], last["Carried out h"]) == ("0:00", "6:00", "4:00")
    now = row_cells(page, period_of(today()))
    assert (now["Carried in h"], now["Used h"], now["Carry used h"]) == ("4:00", "2:00", "2:00")


def test_usage_history_shows_block_columns_for_a_block_plan(client, f, block20):
    log(f, block20, 5 * 60)
    page = client.get("/client/usage").text
    assert "Carried in h" not in headers(page)
    assert headers(page)[4:6] == ["Block used h", "Block left h"]
    now = row_cells(page, period_of(today()))
    assert (now["Block used h"], now["Block left h"]) == ("5:00", "15:00")


def test_usage_csv_appends_carry_over_and_block_hours(client, f, flex):
    log(f, flex, 120)
    rows = csv_rows(client)
    assert rows[0][9:] == [
        "carried_in_hours",
        "carry_used_hours",
        "carried_out_hours",
        "block_used_hours",
        "block_left_hours",
    ]
    by_period = {row[0]: row for row in rows[1:]}
    assert by_period[period_of(last_month_start())][9:] == ["0.00", "0.00", "4.00", "0.00", "0.00"]
    # The open month: 2 h of the carry-over used so far; its 10 h included, unused so far,
    # would carry out if it closed now (an estimate, as its amount is).
    assert by_period[period_of(today())][9:] == ["4.00", "2.00", "10.00", "0.00", "0.00"]


def test_usage_csv_has_the_block_hours(client, f, block20):
    log(f, block20, 5 * 60)
    rows = csv_rows(client)
    assert rows[1][0] == period_of(today())
    assert rows[1][9:] == ["0.00", "0.00", "0.00", "5.00", "15.00"]


def test_chart_marks_only_overtime_red_not_hours_the_carry_over_covered(client, f, flex):
    log(f, flex, 12 * 60)  # 12 h of 10 included: the 4 h carried over cover the rest
    page = client.get("/client/").text
    assert figure(page, "overtime") == "0:00 h"
    assert 'class="bar-used over"' not in page
    log(f, flex, 3 * 60)  # 15 h: 1 h beyond the 14 available
    assert 'class="bar-used over"' in client.get("/client/").text


def _close(*periods):
    """Close months in order, as the billing run does, and commit."""
    for period in periods:
        close_period(period)
        db.session.commit()


def test_flex_worked_example_on_the_usage_page(client, f, acme_user):
    """SPEC's Flex: September 6 h, October 12 h, November 13 h: 300.00, 300.00, 380.00."""
    plan = f.plan("Flex", hours=10, prices={"EUR": ("300.00", "80.00")}, rollover_months=1)
    f.subscription(acme_user.client, plan, date(2026, 9, 1))
    for minutes, day in ((360, date(2026, 9, 10)), (720, date(2026, 10, 10))):
        log(f, acme_user.client, minutes, day)
    log(f, acme_user.client, 780, date(2026, 11, 10))
    _close("2026-09", "2026-10", "2026-11")
    page = client.get("/client/usage").text
    rows = {period: row_cells(page, period) for period in ("2026-09", "2026-10", "2026-11")}
    wanted = {
        "2026-09": ("0:00", "6:00", "0:00", "4:00", "0:00", "€300.00"),
        "2026-10": ("4:00", "12:00", "4:00", "2:00", "0:00", "€300.00"),
        "2026-11": ("2:00", "13:00", "2:00", "0:00", "1:00", "€380.00"),
    }
    keys = ("Carried in h", "Used h", "Carry used h", "Carried out h", "Overtime h", "Amount")
    assert {period: tuple(row[key] for key in keys) for period, row in rows.items()} == wanted


def test_block20_worked_example_on_the_usage_page(client, f, acme_user):
    """SPEC's Block20: bought 2026-08-10; August 6 h, September 15 h (1 h overtime, 70.00),
    top-up 2026-10-05, October 5 h: 15 h left."""
    plan = f.block_plan("Block20", hours=20, validity_months=3)
    subscription = f.subscription(acme_user.client, plan, date(2026, 8, 10))
    log(f, acme_user.client, 360, date(2026, 8, 20))
    log(f, acme_user.client, 900, date(2026, 9, 20))
    _close("2026-08", "2026-09")
    top_up(subscription, date(2026, 10, 5))
    db.session.commit()
    log(f, acme_user.client, 300, date(2026, 10, 20))
    _close("2026-10")
    page = client.get("/client/usage").text
    rows = {period: row_cells(page, period) for period in ("2026-08", "2026-09", "2026-10")}
    keys = ("Used h", "Block used h", "Block left h", "Overtime h", "Amount")
    assert {period: tuple(row[key] for key in keys) for period, row in rows.items()} == {
        "2026-08": ("6:00", "6:00", "14:00", "0:00", "€0.00"),
        "2026-09": ("15:00", "14:00", "0:00", "1:00", "€70.00"),
        "2026-10": ("5:00", "5:00", "15:00", "0:00", "€0.00"),
    }
