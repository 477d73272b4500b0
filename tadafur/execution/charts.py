"""A small bar chart per indicator, drawn on the server as inline SVG (no JavaScript).

Geometry is computed here, mirrored for right-to-left pages (time runs from the right in
Arabic), so the template only draws; text inside the SVG is never mirrored. For an indicator
whose achievement is cumulative the bars show the running total, so the bar that reaches the
target line is the period the target was met; otherwise each bar is the level measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel import dates as babel_dates
from flask_babel import gettext as _, ngettext

from tadafur.i18n import date_locale, format_number

WIDTH, HEIGHT = 360, 170
TOP, BOTTOM, SIDE, LABEL = 18, 24, 10, 92  # margins; LABEL: room for the line labels
# (92: the review saw the Arabic target label clipped at 74)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: str  # formatted, shown above the bar
    label: str  # the period, shown under the bar ("" when too crowded)
    title: str  # the tooltip and accessible text of the bar


@dataclass(frozen=True)
class Line:
    y: float
    x1: float
    x2: float
    text_x: float
    anchor: str
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    direction: str
    bars: list[Bar]
    target: Line
    baseline: Line | None
    axis_y: float
    title: str
    description: str


def _y(value: Decimal, top: Decimal) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return round(TOP + plot - float(value / top) * plot, 1) if top else float(HEIGHT - BOTTOM)


def indicator_chart(result, direction: str = "ltr") -> Chart:
    """The chart of one `IndicatorResult` (see `tadafur.execution.services`)."""
    rtl = direction == "rtl"
    running, values = Decimal(0), []
    for period in result.periods:
        running += period.value.total
        values.append(running if result.cumulative_kind else period.value.total)
    top = max([result.target, result.baseline, *values, Decimal(1)]) * Decimal("1.1")
    plot_start, plot_end = (SIDE + LABEL, WIDTH - SIDE) if rtl else (SIDE, WIDTH - SIDE - LABEL)
    slots = max(len(values), 1)
    slot = (plot_end - plot_start) / slots
    bar_width = round(min(slot * 0.6, 48), 1)
    locale = date_locale()
    crowded = len(values) > 6
    bars = []
    for index, (period, value) in enumerate(zip(result.periods, values, strict=True)):
        position = (slots - 1 - index) if rtl else index
        x = round(plot_start + slot * position + (slot - bar_width) / 2, 1)
        y = _y(value, top)
        month = babel_dates.format_date(period.period_end, "MMM y", locale=locale)
        show = not crowded or index in (0, len(values) - 1)
        bars.append(Bar(x, y, bar_width, round(HEIGHT - BOTTOM - y, 1), format_number(value),
                        month if show else "",
                        _("%(period)s: %(value)s", period=month, value=format_number(value))))

    def line(value: Decimal, label: str) -> Line:
        if rtl:
            return Line(_y(value, top), plot_start, plot_end, plot_start - 4, "end", label)
        return Line(_y(value, top), plot_start, plot_end, plot_end + 4, "start", label)

    target = line(result.target, _("Target %(value)s", value=format_number(result.target)))
    baseline = (line(result.baseline, _("Baseline %(value)s",
                                        value=format_number(result.baseline)))
                if result.baseline else None)
    if result.achieved is None:
        description = _("Baseline %(baseline)s, target %(target)s; nothing measured yet.",
                        baseline=format_number(result.baseline),
                        target=format_number(result.target))
    else:
        description = ngettext(  # Arabic: "فترتين", not "2 فترات" (six plural forms)
            "Baseline %(baseline)s, target %(target)s, achieved %(achieved)s "
            "(%(percent)s %% of the target) over %(num)d period.",
            "Baseline %(baseline)s, target %(target)s, achieved %(achieved)s "
            "(%(percent)s %% of the target) over %(num)d periods.",
            len(result.periods), baseline=format_number(result.baseline),
            target=format_number(result.target), achieved=format_number(result.achieved),
            percent=format_number(result.percent_of_target or 0))
    return Chart(WIDTH, HEIGHT, direction, bars, target, baseline, float(HEIGHT - BOTTOM),
                 _("%(indicator)s: values per period", indicator=result.name), description)
