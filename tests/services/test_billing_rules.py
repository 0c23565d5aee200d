"""`bill_subscription`, the arithmetic of a month's bill, as one table: no database, no app.

The close, its preview, the dashboard and the usage API all bill through this function;
tests/services/test_close.py checks the same rules end to end through closes.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from portal.services.billing.rules import Terms, bill_subscription


def terms(
    model="package",
    fee="200.00",
    rate="60.00",
    included=600,
    prorate=True,
    start=date(2026, 9, 11),
    end=None,
) -> Terms:
    """A subscription's terms; by default SPEC.md's Standard plan (10 h, 200.00 + 60.00/h,
    prorating) taken on 2026-09-11."""
    return Terms(model, Decimal(fee), Decimal(rate), included, prorate, start, end)


@dataclass(frozen=True)
class Want:
    """The expected bill: active days of the month's days, minutes, lines and total."""

    days: str  # "active/in the month", e.g. "20/30"
    included: int
    overtime: int
    lines: tuple[tuple[str, int, str, str], ...]  # kind, minutes, unit rate, amount
    total: str


CASES = [
    # terms, period, used minutes, currency places, expected bill
    pytest.param(
        terms(),
        "2026-09",
        465,
        2,
        Want(
            "20/30",
            405,
            60,
            (("package_fee", 405, "200.00", "133.33"), ("overtime", 60, "60.00", "60.00")),
            "193.33",
        ),
        id="spec-september-20-of-30-days",
    ),
    pytest.param(
        terms(),
        "2026-10",
        765,
        2,
        Want(
            "31/31",
            600,
            165,
            (("package_fee", 600, "200.00", "200.00"), ("overtime", 165, "60.00", "165.00")),
            "365.00",
        ),
        id="spec-october-full-month",
    ),
    pytest.param(
        terms(model="hourly", fee="0", rate="75.00", included=0, start=date(2026, 9, 20)),
        "2026-09",
        135,
        2,
        Want("30/30", 0, 135, (("hourly", 135, "75.00", "168.75"),), "168.75"),
        id="hourly-plan-every-hour-at-the-rate-no-proration",
    ),
    pytest.param(
        terms(start=date(2026, 8, 1), end=date(2026, 10, 10)),
        "2026-10",
        0,
        2,
        Want("31/31", 600, 0, (("package_fee", 600, "200.00", "200.00"),), "200.00"),
        id="ending-inside-the-month-billed-in-full",
    ),
    pytest.param(
        terms(prorate=False),
        "2026-09",
        660,
        2,
        Want(
            "30/30",
            600,
            60,
            (("package_fee", 600, "200.00", "200.00"), ("overtime", 60, "60.00", "60.00")),
            "260.00",
        ),
        id="non-prorating-plan-starting-inside-the-month",
    ),
    pytest.param(
        terms(start=date(2026, 9, 1)),
        "2026-09",
        0,
        2,
        Want("30/30", 600, 0, (("package_fee", 600, "200.00", "200.00"),), "200.00"),
        id="starting-on-the-first-is-a-full-month",
    ),
    pytest.param(
        terms(start=date(2024, 2, 15)),
        "2024-02",
        0,
        2,
        Want("15/29", 315, 0, (("package_fee", 315, "200.00", "103.45"),), "103.45"),
        id="leap-february-15-of-29-days",
    ),
    pytest.param(
        terms(fee="1000", rate="5000"),
        "2026-09",
        420,
        0,
        Want(
            "20/30",
            405,
            15,
            (("package_fee", 405, "1000", "667"), ("overtime", 15, "5000", "1250")),
            "1917",
        ),
        id="jpy-zero-decimals",
    ),
    pytest.param(
        terms(model="hourly", fee="0", rate="0.00", included=0, start=date(2026, 9, 1)),
        "2026-09",
        60,
        2,
        Want("30/30", 0, 60, (), "0"),
        id="zero-hourly-line-omitted",
    ),
    pytest.param(
        terms(fee="0.00", included=60, start=date(2026, 9, 1)),
        "2026-09",
        45,
        2,
        Want("30/30", 60, 0, (), "0"),
        id="zero-fee-and-no-overtime-no-lines",
    ),
    pytest.param(
        terms(fee="0.00", rate="10.00", included=60, start=date(2026, 9, 16)),
        "2026-09",
        45,
        2,
        Want("15/30", 30, 15, (("overtime", 15, "10.00", "2.50"),), "2.50"),
        id="zero-fee-line-omitted-overtime-kept",
    ),
    pytest.param(
        terms(fee="100.00"),
        "2026-09",
        0,
        2,
        Want("20/30", 405, 0, (("package_fee", 405, "100.00", "66.67"),), "66.67"),
        id="fee-66.666-rounds-to-66.67",
    ),
    pytest.param(
        terms(fee="200.01", start=date(2026, 9, 16)),
        "2026-09",
        0,
        2,
        Want("15/30", 300, 0, (("package_fee", 300, "200.01", "100.01"),), "100.01"),
        id="fee-half-cent-100.005-rounds-up",
    ),
    pytest.param(
        terms(fee="1001", start=date(2026, 9, 16)),
        "2026-09",
        0,
        0,
        Want("15/30", 300, 0, (("package_fee", 300, "1001", "501"),), "501"),
        id="fee-half-yen-500.5-rounds-up",
    ),
    pytest.param(
        terms(rate="0.10", start=date(2026, 9, 1)),
        "2026-09",
        615,
        2,
        Want(
            "30/30",
            600,
            15,
            (("package_fee", 600, "200.00", "200.00"), ("overtime", 15, "0.10", "0.03")),
            "200.03",
        ),
        id="overtime-0.025-rounds-up",
    ),
    pytest.param(
        terms(model="hourly", fee="0", rate="0.10", included=0, start=date(2026, 9, 1)),
        "2026-09",
        15,
        2,
        Want("30/30", 0, 15, (("hourly", 15, "0.10", "0.03"),), "0.03"),
        id="hourly-0.025-rounds-up",
    ),
    pytest.param(
        terms(fee="0.00", included=225, start=date(2026, 9, 30)),
        "2026-09",
        0,
        2,
        Want("1/30", 15, 0, (), "0"),
        id="included-7.5-minutes-rounds-up-to-15",
    ),
]


@pytest.mark.parametrize(("terms_", "period", "used", "places", "want"), CASES)
def test_bill_subscription(terms_, period, used, places, want):
    bill = bill_subscription(terms_, period, used, places)
    active, days = (int(n) for n in want.days.split("/"))
    assert bill.period == period and bill.used_minutes == used
    assert (bill.active_days, bill.days) == (active, days)
    assert bill.fraction == (Decimal(1) if active == days else Decimal(active) / Decimal(days))
    assert (bill.included_minutes, bill.overtime_minutes) == (want.included, want.overtime)
    lines = [(line.kind, line.minutes, line.unit_rate, line.amount) for line in bill.lines]
    assert lines == [
        (kind, minutes, Decimal(rate), Decimal(amount))
        for kind, minutes, rate, amount in want.lines
    ]
    # Amounts carry exactly the currency's places: "133.33", and "667" for JPY.
    assert [str(line.amount) for line in bill.lines] == [amount for *_, amount in want.lines]
    assert bill.total == Decimal(want.total)
    assert bill.remaining_minutes == max(0, want.included - used)
