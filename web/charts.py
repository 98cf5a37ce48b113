"""Charts drawn on the server: pure functions from numbers to the shapes of an SVG
(rendered by templates/chart.html), each with the table of its numbers.

Colours from the Okabe-Ito palette (safe for colour-blind readers), only those
with at least 3:1 contrast on white, and never alone: bars of a second series
are hatched, lines differ in dash and marker, and every bar and line carries its
value or name as text. No JavaScript and no chart library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Okabe-Ito blue, vermillion, bluish green, reddish purple, black: each at least
# 3:1 against white (WCAG 1.4.11, graphical objects).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#B8468F", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 1")
MARKERS = ("circle", "square", "triangle", "diamond", "circle")
INK = "#1a1a1a"
GRID = "#767676"  # 4.5:1 on white

WIDTH = 640
ROW = 22  # height of one bar
GAP = 10  # between groups of bars
CHAR = 6.6  # average width of a character of the labels (13 px sans-serif)
LABEL_CHARS = 32  # longer labels are cut (in full in the table)
NONE = "\u2013"  # a cell without a number (an en dash)


@dataclass(frozen=True)
class Series:
    """One kind of number in a chart: its name and how it is drawn."""

    name: str
    color: str
    pattern: str | None = None  # "hatch" for bars; None: solid
    dash: str = ""
    marker: str = "circle"


@dataclass(frozen=True)
class Table:
    """The chart's numbers as a table: column headings, then rows of a row
    heading and its cells (text)."""

    headings: list[str]
    rows: list[tuple[str, list[str]]]


@dataclass
class Chart:
    """What the template draws: the SVG's size, its parts, and the table."""

    key: str  # unique on the page: ids of the title and patterns
    title: str
    width: int
    height: int
    series: list[Series]
    table: Table
    bars: list[dict[str, object]] = field(default_factory=list)
    lines: list[dict[str, object]] = field(default_factory=list)
    texts: list[dict[str, object]] = field(default_factory=list)
    rules: list[dict[str, object]] = field(default_factory=list)
    empty: str | None = None  # what the chart says when it has nothing to draw

    @property
    def patterns(self) -> list[Series]:
        return [s for s in self.series if s.pattern]


def series_of(names: Sequence[str]) -> list[Series]:
    """Series for ``names`` in palette order; the second of every two is hatched."""
    return [
        Series(
            name,
            PALETTE[i % len(PALETTE)],
            pattern="hatch" if i % 2 else None,
            dash=DASHES[i % len(DASHES)],
            marker=MARKERS[i % len(MARKERS)],
        )
        for i, name in enumerate(names)
    ]


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 up to at least ``top`` (1, 2 or 5 times a power
    of ten apart); 0 to 1 when there is nothing."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1.0) if top >= 1 else step
    n = math.ceil(top / step)
    return [round(i * step, 10) for i in range(n + 1)]


def short(label: str, chars: int = LABEL_CHARS) -> str:
    """A label cut to ``chars`` characters (with an ellipsis)."""
    return label if len(label) <= chars else label[: chars - 1].rstrip() + "…"


def number(value: float | None, empty: str = NONE) -> str:
    """A number as the table shows it: whole, or with one decimal (Dutch comma)."""
    if value is None:
        return empty
    if float(value).is_integer():
        return f"{int(value):d}"
    return f"{value:.1f}".replace(".", ",")


def bar_chart(
    key: str,
    title: str,
    rows: Sequence[tuple[str, Sequence[float | None]]],
    series: Sequence[str],
    *,
    axis: str,
    row_heading: str,
    empty: str,
    markers: Sequence[tuple[str, float]] = (),
    extra: Mapping[str, Sequence[str]] | None = None,
) -> Chart:
    """Horizontal bars: one group per row (label, one value per series), the
    values written beside the bars; ``markers`` are vertical rules (such as a
    norm) with their name; ``extra`` columns (heading -> a cell per row) are
    in the table only. With no value above 0 the chart says ``empty``."""
    drawn = series_of(series)
    extra = extra or {}
    table = Table(
        [row_heading, *series, *extra],
        [
            (label, [number(v) for v in values] + [c[i] for c in extra.values()])
            for i, (label, values) in enumerate(rows)
        ],
    )
    longest = max((len(short(label)) for label, _ in rows), default=0)
    left = int(min(max(longest * CHAR + 12, 60), 240))
    right = 48
    group = ROW * len(drawn) + GAP
    top_pad, bottom = (24 if markers else 8), 44
    plot_h = max(group * len(rows), ROW)
    height = top_pad + plot_h + bottom
    chart = Chart(key, title, WIDTH, height, drawn, table)
    top = max((v or 0 for _, vs in rows for v in vs), default=0)
    if top <= 0 or not rows:
        chart.empty = empty
    ticks = nice_ticks(max([top, *(m for _, m in markers)]))
    span = ticks[-1]
    plot_w = WIDTH - left - right

    def x(value: float) -> float:
        return left + plot_w * value / span

    axis_y = top_pad + plot_h
    for tick in ticks:
        chart.rules.append(
            {"x1": x(tick), "y1": top_pad, "x2": x(tick), "y2": axis_y, "grid": True}
        )
        chart.texts.append(
            {"x": x(tick), "y": axis_y + 16, "text": number(tick), "anchor": "middle"}
        )
    chart.rules.append({"x1": left, "y1": axis_y, "x2": WIDTH - right, "y2": axis_y})
    chart.rules.append({"x1": left, "y1": top_pad, "x2": left, "y2": axis_y})
    chart.texts.append(
        {
            "x": left + plot_w / 2,
            "y": axis_y + 36,
            "text": axis,
            "anchor": "middle",
            "axis": True,
        }
    )
    for i, (label, vals) in enumerate(rows):
        y0 = top_pad + i * group + GAP / 2
        chart.texts.append(
            {
                "x": left - 6,
                "y": y0 + group / 2 - GAP / 2 + 4,
                "text": short(label),
                "full": label,
                "anchor": "end",
            }
        )
        for j, (s, value) in enumerate(zip(drawn, vals, strict=True)):
            y = y0 + j * ROW
            w = 0.0 if value is None else plot_w * value / span
            chart.bars.append(
                {"x": left, "y": y + 2, "w": w, "h": ROW - 4, "series": s, "n": j}
            )
            chart.texts.append(
                {
                    "x": left + w + 4,
                    "y": y + ROW / 2 + 4,
                    "text": number(value),
                    "anchor": "start",
                }
            )
    for name, value in markers:
        chart.rules.append(
            {"x1": x(value), "y1": top_pad, "x2": x(value), "y2": axis_y, "mark": True}
        )
        chart.texts.append(
            {"x": x(value), "y": top_pad - 6, "text": name, "anchor": "middle"}
        )
    return chart


def line_chart(
    key: str,
    title: str,
    labels: Sequence[str],
    lines: Sequence[tuple[str, Sequence[float | None]]],
    *,
    axis_x: str,
    axis_y: str,
    row_heading: str,
    empty: str,
    every: int = 4,
) -> Chart:
    """Lines over ``labels`` (such as weeks), one per (name, values); a value of
    None is not drawn (not known yet). Every ``every``-th label is written on the
    axis; the legend tells the lines apart by dash and marker as well as colour."""
    drawn = series_of([name for name, _ in lines])
    table = Table(
        [row_heading, *(name for name, _ in lines)],
        [
            (label, [number(values[i]) for _, values in lines])
            for i, label in enumerate(labels)
        ],
    )
    left, right, top_pad, bottom = 48, 24, 28, 52
    plot_w, plot_h = WIDTH - left - right, 200
    chart = Chart(key, title, WIDTH, top_pad + plot_h + bottom, drawn, table)
    known = [v for _, vs in lines for v in vs if v is not None]
    top = max(known, default=0)
    if top <= 0:
        chart.empty = empty
    ticks = nice_ticks(top, 4)
    span = ticks[-1]
    n = max(len(labels) - 1, 1)

    def x(i: int) -> float:
        return left + plot_w * i / n

    def y(value: float) -> float:
        return top_pad + plot_h - plot_h * value / span

    base = top_pad + plot_h
    for tick in ticks:
        chart.rules.append(
            {
                "x1": left,
                "y1": y(tick),
                "x2": left + plot_w,
                "y2": y(tick),
                "grid": True,
            }
        )
        chart.texts.append(
            {"x": left - 6, "y": y(tick) + 4, "text": number(tick), "anchor": "end"}
        )
    chart.rules.append({"x1": left, "y1": base, "x2": left + plot_w, "y2": base})
    chart.rules.append({"x1": left, "y1": top_pad, "x2": left, "y2": base})
    for i, label in enumerate(labels):
        if i % every == 0:
            chart.rules.append({"x1": x(i), "y1": base, "x2": x(i), "y2": base + 4})
            chart.texts.append(
                {"x": x(i), "y": base + 16, "text": short(label, 8), "anchor": "middle"}
            )
    chart.texts.append(
        {
            "x": left + plot_w / 2,
            "y": base + 40,
            "text": axis_x,
            "anchor": "middle",
            "axis": True,
        }
    )
    chart.texts.append(
        {"x": 4, "y": top_pad - 14, "text": axis_y, "anchor": "start", "axis": True}
    )
    for s, (_, values) in zip(drawn, lines, strict=True):
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if points:
            chart.lines.append(
                {
                    "points": " ".join(f"{px:.1f},{py:.1f}" for px, py in points),
                    "series": s,
                    "marks": points[:: max(1, every // 2)] + points[-1:],
                }
            )
    return chart
