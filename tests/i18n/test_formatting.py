"""Money, hours, quantities and dates as each language writes them (Babel), the examples of
the issue and SPEC "Languages": "€1,829.63", "1 829,63 zł", "1.829,63 €", "1,50 h"."""

from datetime import date
from decimal import Decimal

import pytest

from portal.formatting import format_day, format_money, format_quantity
from portal.i18n import speaking
from portal.models import Currency
from portal.money import format_hours, format_hours_as

NBSP = "\u00a0"
EUR = Currency(code="EUR", decimals=2, prefix="", suffix="")
PLN = Currency(code="PLN", decimals=2, prefix="", suffix="")
JPY = Currency(code="JPY", decimals=0, prefix="", suffix="")


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", EUR, "€1,829.63"),
        ("pl", PLN, f"1{NBSP}829,63{NBSP}zł"),
        ("de", EUR, f"1.829,63{NBSP}€"),
        ("pl", EUR, f"1{NBSP}829,63{NBSP}€"),
        ("de", JPY, f"1.830{NBSP}¥"),
    ],
)
def test_money_follows_the_language_and_the_currencys_places(app, language, currency, expected):
    with speaking(language):
        assert format_money(Decimal("1829.625"), currency) == expected


@pytest.mark.parametrize(
    ("language", "decimal", "hm"),
    [("en", "1.50", "1:30"), ("pl", "1,50", "1:30"), ("de", "1,50", "1:30")],
)
def test_hours_for_people_follow_the_language_and_the_api_keeps_the_point(
    app, language, decimal, hm
):
    with speaking(language):
        assert format_hours_as(90, "decimal") == decimal
        assert format_hours_as(90, "hm") == hm
        assert format_hours(90) == "1.50"  # API, CSV and Factur-X


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("en", "2.5", "2.50"),
        ("pl", "2.5", "2,50"),
        ("de", "0.125", "0,13"),
        ("en", "0.125", "0.13"),
    ],
)
def test_quantities_keep_two_places_half_up_in_decimal(app, language, value, expected):
    with speaking(language):
        assert format_quantity(Decimal(value)) == expected


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "2026-11-30"), ("pl", "30.11.2026"), ("de", "30.11.2026")]
)
def test_dates_follow_the_language(app, language, expected):
    with speaking(language):
        assert format_day(date(2026, 11, 30)) == expected
