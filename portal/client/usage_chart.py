"""Geometry of the dashboard's bar chart (included vs used hours), in exact arithmetic.

Coordinates are computed with integers and Decimal and handed to the template as strings,
so the SVG is drawn on the server without floats and without any JavaScript.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from babel.dates import format_date

from portal.i18n import DEFAULT_LANGUAGE, current_language
from portal.money import format_hours, local_number
from portal.services.billing.periods import month_name
from portal.services.clients.usage import MonthUsage

WIDTH = 744  # 64 + 12 groups of 56 + 8
HEIGHT = 250
LEFT = 64  # room for the hour labels of the axis
TOP = 16
PLOT_HEIGHT = 200
BASELINE = TOP + PLOT_HEIGHT
GROUP_WIDTH = 56
BAR_WIDTH = 20
INCLUDED_OFFSET = 6
USED_OFFSET = 28
TICKS = 5
NICE_STEPS = (1, 2, 3, 4, 5, 6, 8)
_PLACES = Decimal("0.01")
MONTH_ABBR = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@dataclass(frozen=True)
class Bar:
    """One bar: its box as SVG attribute strings and what it stands for."""

    x: str
    y: str
    width: str
    height: str
    minutes: int


@dataclass(frozen=True)
class MonthGroup:
    """One month of the chart: its two bars and labels."""

    period: str
    name: str
    label: str
    year_label: str
    label_x: str
    included: Bar
    used: Bar
    over: bool


@dataclass(frozen=True)
class Gridline:
    """A horizontal line of the scale with its hour label."""

    y: str
    label: str


@dataclass(frozen=True)
class UsageChart:
    """Everything the SVG template needs."""

    width: int
    height: int
    plot_left: int
    plot_right: int
    baseline: int
    groups: list[MonthGroup]
    gridlines: list[Gridline]
    first: str
    last: str


def month_abbreviation(month_number: int) -> str:
    """A month's short name under its bars: "Jan" in English, "sty" in Polish, "Jan." in German."""
    language = current_language()
    if language == DEFAULT_LANGUAGE:
        return MONTH_ABBR[month_number - 1]
    return format_date(date(2000, month_number, 1), "LLL", locale=language)


def _text(value: Decimal | int) -> str:
    """A coordinate as SVG text with two decimals (no float ever involved)."""
    return str(Decimal(value).quantize(_PLACES))


def tick_step(max_minutes: int) -> int:
    """Whole hours between gridlines: the smallest of 1, 2, 3, 4, 5, 6, 8, 10, 20 ... that fits."""
    needed = max(1, -(-max_minutes // (60 * TICKS)))  # ceiling division
    scale = 1
    while True:
        for nice in NICE_STEPS:
            if nice * scale >= needed:
                return nice * scale
        scale *= 10


def _bar(x: int, minutes: int, top_minutes: int) -> Bar:
    """A bar standing on the baseline, as tall as its share of the scale."""
    height = Decimal(minutes) * PLOT_HEIGHT / Decimal(top_minutes)
    return Bar(_text(x), _text(BASELINE - height), _text(BAR_WIDTH), _text(height), minutes)


def build_chart(history: list[MonthUsage]) -> UsageChart:
    """Lay out one group of two bars per month on a scale of whole hours."""
    peak = max((max(m.included_minutes, m.used_minutes) for m in history), default=0)
    step = tick_step(peak)
    top_minutes = step * TICKS * 60
    groups = []
    for index, month in enumerate(history):
        x = LEFT + index * GROUP_WIDTH
        month_number = int(month.period[5:])
        groups.append(
            MonthGroup(
                period=month.period,
                name=month_name(month.period),
                label=month_abbreviation(month_number),
                year_label=month.period[:4] if index == 0 or month_number == 1 else "",
                label_x=_text(x + GROUP_WIDTH // 2),
                included=_bar(x + INCLUDED_OFFSET, month.included_minutes, top_minutes),
                used=_bar(x + USED_OFFSET, month.used_minutes, top_minutes),
                # Red only for overtime: hours beyond the included ones that carry-over or a
                # block covered are not billed, so they are not "beyond" in the legend's sense.
                over=month.model in ("package", "block") and month.overtime_minutes > 0,
            )
        )
    gridlines = [
        Gridline(
            _text(BASELINE - Decimal(PLOT_HEIGHT * tick) / TICKS),
            local_number(format_hours(tick * step * 60)),
        )
        for tick in range(TICKS + 1)
    ]
    return UsageChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=LEFT + GROUP_WIDTH * len(history),
        baseline=BASELINE,
        groups=groups,
        gridlines=gridlines,
        first=month_name(history[0].period) if history else "",
        last=month_name(history[-1].period) if history else "",
    )
