"""Exact arithmetic: money rounded half-up to a currency's places; hours <-> integer minutes."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.i18n import N_

QUARTER = 15
MIN_MINUTES = 15
MAX_MINUTES = 24 * 60
# Marked here, translated where it is shown (`_(HOURS_RULE)`, `_l(HOURS_RULE)` on forms).
HOURS_RULE = N_("Enter hours in quarter-hour steps from 0.25 to 24, e.g. 0.25, 1.5, 1,5 or 1:30.")

# ASCII digits only: "١٫٥" and other Unicode digits are refused, not silently read.
_DECIMAL_HOURS = re.compile(r"([0-9]{0,2})(?:[.,]([0-9]{1,6}))?", re.ASCII)
_CLOCK_HOURS = re.compile(r"([0-9]{1,2}):([0-9]{2})", re.ASCII)


class HoursError(ValueError):
    """Raised for any hours value outside the rule; its message says what is allowed.

    `minutes` is the value read when it was a number between 0 and 24 h that is not on a
    quarter hour, so the message can name the nearest allowed values (`message_for`).
    """

    def __init__(self, message: str | None = None, *, minutes: int | None = None):
        super().__init__(message if message is not None else _(HOURS_RULE))
        self.minutes = minutes

    def message_for(self, time_format: str = "decimal") -> str:
        """The message, with the nearest quarter hours in the given time format when known."""
        if self.minutes is None:
            return str(self)
        return _suggestion(self.minutes, time_format)


# The quantum of each number of places (a close rounds some 100,000 amounts).
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(9)}


def round_money(amount: Decimal, places: int) -> Decimal:
    """Round half-up to `places` decimal places (0 for JPY, 2 for most)."""
    if isinstance(amount, float):
        raise TypeError("money must be Decimal, not float")
    if not isinstance(amount, Decimal):
        amount = Decimal(amount)
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return amount.quantize(quantum, rounding=ROUND_HALF_UP)


def round_minutes_to_quarter(minutes: Decimal) -> int:
    """Round a minute count half-up to the nearest multiple of 15."""
    quarters = (Decimal(minutes) / QUARTER).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(quarters) * QUARTER


def minutes_to_hours(minutes: int) -> Decimal:
    """Integer minutes -> hours as a Decimal with two places (90 -> 1.50)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


TIME_FORMATS = ("hm", "decimal")


def format_hours(minutes: int | None) -> str:
    """Integer minutes -> "1.50"; two decimals (invoices, CSV exports and the API)."""
    return f"{minutes_to_hours(minutes or 0):.2f}"


def format_hours_hm(minutes: int | None) -> str:
    """Integer minutes -> "1:30", as people enter time; negative values keep their sign."""
    minutes = minutes or 0
    sign = "-" if minutes < 0 else ""
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours}:{mins:02d}"


def local_number(text: str) -> str:
    """A number written with a point ("1.50"), as the language of the moment writes it:
    "1,50" in Polish and German. The API, CSV and Factur-X keep the point."""
    locale = get_locale()
    symbol = get_decimal_symbol(locale) if locale is not None else "."
    return text.replace(".", symbol) if symbol != "." else text


def format_hours_as(minutes: int | None, time_format: str = "hm") -> str:
    """Minutes in a user's chosen format for people to read: "hm" -> "1:30" (the default),
    "decimal" -> "1.50" ("1,50" in Polish and German)."""
    if time_format == "decimal":
        return local_number(format_hours(minutes))
    return format_hours_hm(minutes)


def _suggestion(minutes: int, time_format: str) -> str:
    """ "Use quarter hours: 2:00 or 2:15" for a value between two allowed ones."""
    low = max(MIN_MINUTES, minutes // QUARTER * QUARTER)
    high = min(MAX_MINUTES, low + QUARTER if minutes > low else low)
    if minutes < MIN_MINUTES:
        return _(
            "Use quarter hours: %(least)s is the least.",
            least=format_hours_as(MIN_MINUTES, time_format),
        )
    if low == high:
        return _("Use quarter hours: %(hours)s.", hours=format_hours_as(low, time_format))
    return _(
        "Use quarter hours: %(low)s or %(high)s.",
        low=format_hours_as(low, time_format),
        high=format_hours_as(high, time_format),
    )


def parse_hours(raw: object) -> int:
    """Parse "1.5", "1,5", "1:30" or "0.25" into minutes; refuse anything else.

    Allowed: 0.25 to 24 hours in quarter-hour steps. Raises HoursError.
    """
    if not isinstance(raw, str):
        raise HoursError()
    text = raw.strip()
    if not text or len(text) > 12:
        raise HoursError()
    clock = _CLOCK_HOURS.fullmatch(text)
    if clock:
        hours, mins = int(clock.group(1)), int(clock.group(2))
        minutes = hours * 60 + mins
        if mins >= 60:
            raise HoursError(
                _(
                    "Minutes after the colon must be 00, 15, 30 or 45. %(rule)s",
                    rule=_(HOURS_RULE),
                )
            )
        if mins not in (0, 15, 30, 45):
            _off_quarter(minutes)
    else:
        match = _DECIMAL_HOURS.fullmatch(text)
        if not match or not (match.group(1) or match.group(2)):
            raise HoursError()
        try:
            value = Decimal(f"{match.group(1) or 0}.{match.group(2) or 0}")
        except InvalidOperation:  # pragma: no cover - the pattern admits only digits
            raise HoursError() from None
        exact = value * 60
        if exact != exact.to_integral_value():
            _off_quarter(exact)
        minutes = int(exact)
    if minutes % QUARTER:
        _off_quarter(minutes)
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise HoursError()
    return minutes


def _off_quarter(minutes) -> None:
    """Refuse a value off the quarter-hour grid, naming the nearest allowed values when the
    value lies above 0 and not above 24 h (outside that the rule text says more)."""
    if 0 < minutes <= MAX_MINUTES:
        message_minutes = int(minutes)  # 2.1 h = 126 min; fractions of a minute round down
        raise HoursError(_suggestion(message_minutes, "decimal"), minutes=message_minutes)
    raise HoursError()
