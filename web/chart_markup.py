"""A chart's shapes (web/charts.py) as SVG markup, and its table's rows, written
in Python rather than in template loops: a dashboard draws a few thousand shapes
and cells, and a Jinja macro call, attribute lookup and escape per shape cost
several times the string itself. Numbers need no escaping; every text is
escaped. Shapes of one kind share their attributes through a group (<g>), which
keeps the page small.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from web.charts import INK, Chart, Series, Table

GRID_STROKE = "#d0d0d0"


def _e(value: object) -> str:
    return escape(str(value))


def marker(kind: str, x: float, y: float, color: str) -> Markup:
    """A line's marker at (x, y): circle, square, triangle or diamond."""
    if kind == "square":
        shape = f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8"'
    elif kind == "triangle":
        shape = (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x - 5:.1f},{y + 4:.1f}'
            f' {x + 5:.1f},{y + 4:.1f}"'
        )
    elif kind == "diamond":
        shape = (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f}'
            f' {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"'
        )
    else:
        shape = f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4"'
    return Markup(f'{shape} fill="{escape(color)}"/>')  # noqa: S704 — numbers


def _fill(chart: Chart, series: Series) -> str:
    if series.pattern:
        return f"url(#{escape(chart.key)}-hatch-{chart.series.index(series)})"
    return str(escape(series.color))


def shapes(chart: Chart) -> Markup:
    """The rules, bars, lines with their markers, and texts of a chart (what
    goes inside its <svg> after the <defs>)."""
    out: list[str] = []
    grid = [r for r in chart.rules if r.get("grid")]
    other = [r for r in chart.rules if not r.get("grid")]
    for stroke, rules in ((GRID_STROKE, grid), (INK, other)):
        if not rules:
            continue
        out.append(f'<g stroke="{stroke}">')
        for r in rules:
            mark = ' stroke-width="2" stroke-dasharray="4 3"' if r.get("mark") else ""
            out.append(
                f'<line x1="{r["x1"]:.1f}" y1="{r["y1"]:.1f}"'
                f' x2="{r["x2"]:.1f}" y2="{r["y2"]:.1f}"{mark}/>'
            )
        out.append("</g>")
    bars = [b for b in chart.bars if float(b["w"]) > 0]  # type: ignore[arg-type]
    if bars:
        out.append('<g stroke-width="1.5">')
        for b in bars:
            s: Series = b["series"]  # type: ignore[assignment]
            out.append(
                f'<rect x="{b["x"]:.1f}" y="{b["y"]:.1f}" width="{b["w"]:.1f}"'
                f' height="{b["h"]:.1f}" fill="{_fill(chart, s)}"'
                f' stroke="{escape(s.color)}"/>'
            )
        out.append("</g>")
    for line in chart.lines:
        s = line["series"]  # type: ignore[assignment]
        dash = f' stroke-dasharray="{escape(s.dash)}"' if s.dash else ""
        out.append(
            f'<polyline points="{_e(line["points"])}" fill="none"'
            f' stroke="{escape(s.color)}" stroke-width="2.5"{dash}/>'
        )
        for x, y in line["marks"]:  # type: ignore[attr-defined]
            out.append(marker(s.marker, x, y, s.color))
    if chart.texts:
        out.append(f'<g fill="{INK}">')
        for t in chart.texts:
            bold = ' font-weight="bold"' if t.get("axis") else ""
            full = t.get("full")
            title = f"<title>{_e(full)}</title>" if full and full != t["text"] else ""
            out.append(
                f'<text x="{t["x"]:.1f}" y="{t["y"]:.1f}"'
                f' text-anchor="{_e(t["anchor"])}"{bold}>'
                f"{title}{_e(t['text'])}</text>"
            )
        out.append("</g>")
    if chart.empty:
        out.append(
            f'<text x="{chart.width // 2}" y="{chart.height // 2 - 10}"'
            f' text-anchor="middle" fill="{INK}" font-size="15">'
            f"{escape(chart.empty)}</text>"
        )
    return Markup("\n".join(out))  # noqa: S704 — numbers and escaped texts


def table_rows(table: Table) -> Markup:
    """The rows of a chart's table (its <tbody>'s content): a row heading, then
    its cells as numbers."""
    out: list[str] = []
    for heading, cells in table.rows:
        out.append(
            '<tr class="utrecht-table__row">'
            f'<th class="utrecht-table__header-cell" scope="row">{escape(heading)}</th>'
            + "".join(
                f'<td class="utrecht-table__cell dossier-number">{escape(c)}</td>'
                for c in cells
            )
            + "</tr>"
        )
    return Markup("\n".join(out))  # noqa: S704 — escaped texts
