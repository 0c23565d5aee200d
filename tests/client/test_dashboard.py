"""Client dashboard: this month's figures, the 80 % and 100 % notices, the 12-month chart."""

import re
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import last_month_day, last_month_start, this_month_start, today


@pytest.fixture
def standard(f):
    """Standard: 10 h included, EUR 200 a month, overtime EUR 60 an hour."""
    return f.plan("Standard", hours=10, prices={"EUR": ("200.00", "60.00")})


def log(f, client, minutes, day=None, billable=True):
    """Log time on a fresh ticket of the client and commit."""
    operator = f.user("operator", name="Olga")
    for chunk in range(0, minutes, 600):  # entries of at most 10 h
        amount = min(600, minutes - chunk)
        log_time(f.ticket(client), operator, TimeInput(amount, day or today(), "", billable))
    db.session.commit()


def figure(page: str, name: str) -> str:
    """The text of one dashboard figure."""
    match = re.search(rf'id="figure-{name}">([^<]*)<', page)
    assert match, f"no figure {name}"
    return match.group(1).strip()


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (135, ("10:00 h", "2:15 h", "7:45 h", "0:00 h", "€0.00", "€200.00")),
        (690, ("10:00 h", "11:30 h", "0:00 h", "1:30 h", "€90.00", "€290.00")),
    ],
)
def test_dashboard_figures_for_the_current_month(client, acme_user, f, standard, minutes, expected):
    f.subscription(acme_user.client, standard, this_month_start())
    log(f, acme_user.client, minutes)
    log(f, acme_user.client, 60, billable=False)  # shown elsewhere, consumes no hours
    page = client.get("/client/").text
    names = ("included", "used", "remaining", "overtime", "charge", "total")
    assert tuple(figure(page, name) for name in names) == expected
    assert "Standard" in page


WARNING = "You have used 80 % of your included hours"
FULL = "You have used all included hours; further hours are billed as overtime at €60.00 per hour"


@pytest.mark.parametrize(
    ("minutes", "warning", "full"),
    [
        (0, False, False),
        (465, False, False),  # 77.5 %
        (480, True, False),  # exactly 80 %
        (585, True, False),  # 97.5 %
        (600, False, True),  # exactly 100 %
        (615, False, True),
    ],
)
def test_notices_appear_at_80_and_100_percent(
    client, acme_user, f, standard, minutes, warning, full
):
    f.subscription(acme_user.client, standard, this_month_start())
    if minutes:
        log(f, acme_user.client, minutes)
    page = client.get("/client/").text
    assert (WARNING in page) is warning
    assert (FULL in page) is full
    notice = re.search(r'<div class="alert[^"]*" role="status" id="usage-notice">', page)
    assert bool(notice) is (warning or full)


def bars(page: str) -> dict[str, tuple[Decimal, Decimal]]:
    """Per month group of the chart: the included and used bar heights."""
    groups = re.findall(r'<g class="chart-month" data-period="([0-9-]{7})">(.*?)</g>', page, re.S)
    result = {}
    for period, body in groups:
        included = re.search(r'class="bar-included"[^>]*height="([0-9.]+)"', body).group(1)
        used = re.search(r'class="bar-used[^"]*"[^>]*height="([0-9.]+)"', body).group(1)
        result[period] = (Decimal(included), Decimal(used))
    return result


def test_chart_has_twelve_months_and_bar_heights_follow_the_hours(client, acme_user, f, standard):
    f.subscription(acme_user.client, standard, last_month_start())
    log(f, acme_user.client, 300, day=last_month_day())  # 5 h of 10
    log(f, acme_user.client, 1200)  # 20 h of 10: overtime
    page = client.get("/client/").text
    heights = bars(page)
    assert len(heights) == 12
    periods = list(heights)
    assert periods == sorted(periods)
    current, previous = periods[-1], periods[-2]
    assert current == f"{today():%Y-%m}" and previous == f"{last_month_start():%Y-%m}"
    # Scale 0-20 h over 200 units: 10 h -> 100, 5 h -> 50, 20 h -> 200.
    assert heights[previous] == (Decimal("100.00"), Decimal("50.00"))
    assert heights[current] == (Decimal("100.00"), Decimal("200.00"))
    assert heights[current][1] / heights[previous][1] == 4
    assert all(heights[p] == (0, 0) for p in periods[:-2])
    assert 'class="bar-used over"' in page  # the month beyond its included hours
    assert ">20.00 h</text>" in page and ">0.00 h</text>" in page  # the scale
    assert '<title id="usage-chart-title">' in page and '<desc id="usage-chart-desc">' in page


def test_chart_has_a_hidden_data_table_with_the_same_numbers(client, acme_user, f, standard):
    f.subscription(acme_user.client, standard, this_month_start())
    log(f, acme_user.client, 135)
    page = client.get("/client/").text
    hidden = page[page.index('<div class="visually-hidden">') :]
    table = hidden[hidden.index('<table id="usage-chart-data">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 13  # header and twelve months
    last_row = table[table.rindex("<tr>") :]
    assert "10:00" in last_row and "2:15" in last_row


def test_hourly_plan_shows_used_and_estimated_charge_without_notices(client, acme_user, f):
    hourly = f.plan("Hourly", model="hourly", hours=0, prices={"EUR": ("0", "75.00")})
    f.subscription(acme_user.client, hourly, this_month_start())
    log(f, acme_user.client, 135)
    page = client.get("/client/").text
    assert figure(page, "used") == "2:15 h"
    assert figure(page, "charge") == "€168.75"
    assert WARNING not in page and "You have used all" not in page


def test_no_plan_shows_how_to_get_one(client, acme_user):
    page = client.get("/client/").text
    assert 'id="no-plan"' in page and "You have no support plan" in page
    assert "/client/tickets/new" in page
    assert "chart-month" not in page


def test_dashboard_shows_only_own_figures(client, acme_user, f, standard):
    f.subscription(acme_user.client, standard, this_month_start())
    other = f.client("Globex")
    f.subscription(other, standard, this_month_start())
    log(f, other, 540)
    page = client.get("/client/").text
    assert figure(page, "used") == "0:00 h"
    assert WARNING not in page
