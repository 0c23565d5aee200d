"""Hours as typed -> integer minutes, and the exact money/minute rounding helpers."""

from decimal import Decimal

import pytest

from portal.money import (
    HoursError,
    format_hours,
    parse_hours,
    round_minutes_to_quarter,
    round_money,
)

ACCEPTED = [
    ("1.5", 90),
    ("1,5", 90),
    ("1:30", 90),
    ("0.25", 15),
    ("24", 1440),
    ("0:15", 15),
    (" 2 ", 120),
    (".5", 30),
    ("1.50", 90),
    ("10:45", 645),
]


@pytest.mark.parametrize(("raw", "minutes"), ACCEPTED, ids=[repr(r) for r, _ in ACCEPTED])
def test_accepted_hours_become_integer_minutes(raw, minutes):
    result = parse_hours(raw)
    assert result == minutes
    assert type(result) is int


REFUSED = [
    "0",
    "-1",
    "1.1",
    "0.3",
    "25",
    "24.25",
    "abc",
    "2:20",
    "1:60",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "1e309",
    "1e2",
    "",
    "   ",
    "1" * 5000,
    "\u0661\u066b\u0665",  # Arabic-Indic "١٫٥"
    "\uff11",  # fullwidth "１"
    "1.5h",
    "1:3",
    "0:00",
    "0.00",
    "+1",
    "1..5",
    "1,,5",
    "0x10",
    "24:15",
    "1.5.",
    "1:30:00",
    None,
    1.5,
    90,
    Decimal("1.5"),
]


def _id(value) -> str:
    text = repr(value)
    return text if len(text) <= 20 else f"{text[:12]}...len{len(text)}"


@pytest.mark.parametrize("raw", REFUSED, ids=[_id(r) for r in REFUSED])
def test_refused_hours_raise_an_error_that_says_what_is_allowed(raw):
    with pytest.raises(HoursError) as caught:
        parse_hours(raw)
    message = str(caught.value)
    if raw in OFF_QUARTER:  # between two allowed values: those two are named
        assert message == OFF_QUARTER[raw]
    else:
        assert "0.25" in message
        assert "24" in message


# Refused values inside the range, with the two nearest quarter hours (decimal in messages
# of code that does not know the reader; pages use the reader's format).
OFF_QUARTER = {
    "1.1": "Use quarter hours: 1.00 or 1.25.",
    "0.3": "Use quarter hours: 0.25 or 0.50.",
    "2:20": "Use quarter hours: 2.25 or 2.50.",
}


@pytest.mark.parametrize(
    ("amount", "places", "expected"),
    [
        (Decimal("133.335"), 2, "133.34"),
        (Decimal("133.334"), 2, "133.33"),
        (Decimal("133.3333333"), 2, "133.33"),
        (Decimal("2.5"), 0, "3"),
        (Decimal("4.5"), 0, "5"),  # banker's rounding would give 4
        (Decimal("0.125"), 2, "0.13"),  # banker's rounding would give 0.12
        (Decimal("1.00005"), 4, "1.0001"),
    ],
)
def test_round_money_rounds_half_up_to_the_currency_places(amount, places, expected):
    assert round_money(amount, places) == Decimal(expected)
    assert str(round_money(amount, places)) == expected


def test_round_money_refuses_floats():
    with pytest.raises(TypeError):
        round_money(133.335, 2)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (Decimal(400), 405),  # 26.67 quarters -> 27
        (Decimal("407.5"), 405),  # 27.17 quarters -> 27
        (Decimal("412.5"), 420),  # exactly 27.5 quarters -> half-up 28
        (Decimal("7.5"), 15),  # exactly half a quarter -> up
        (Decimal("7.4"), 0),
        (Decimal(600), 600),
        (0, 0),
    ],
)
def test_round_minutes_to_quarter_rounds_half_up_to_multiples_of_15(minutes, expected):
    result = round_minutes_to_quarter(minutes)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(90, "1.50"), (0, "0.00"), (None, "0.00"), (15, "0.25"), (1440, "24.00"), (405, "6.75")],
)
def test_format_hours_always_shows_two_decimals(minutes, expected):
    assert format_hours(minutes) == expected
