"""The dashboard's chart builders (web/charts.py, web/dashboard_charts.py) and its
CSV: pure functions from numbers to shapes and tables, no server."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

from projections.dashboard_tables import YEAR_COLUMNS
from projections.figures import (
    duration_figures,
    stock_figures,
    week_figures,
    year_figures,
)
from web.charts import LABEL_CHARS, PALETTE, bar_chart, line_chart, nice_ticks
from web.dashboard_charts import charts, workload
from web.routes.dashboard import safe_cell, to_csv

FIRST, LAST = date(2026, 8, 1), date(2027, 7, 31)


def say(text: str) -> str:
    return text


def figures(
    tallies: dict[str, Counter[str | None]] | None = None,
    durations: Sequence[tuple[Any, ...]] = (),
    stock: Sequence[tuple[Any, ...]] = (),
    entered: Sequence[tuple[Any, ...]] = (),
) -> dict[str, Any]:
    """A dashboard answer made by the same functions the read model uses."""
    today = date(2026, 12, 7)
    counted = tallies or {c: Counter() for c in YEAR_COLUMNS}
    result: dict[str, Any] = {"school_year": "2026-2027", "region": None}
    result.update(year_figures(counted))
    (
        result["durations"],
        result["intake_outcomes"],
        result["referrals"],
    ) = duration_figures(durations)
    result.update(stock_figures(stock, today, {}))
    result["weeks"] = week_figures(
        FIRST, LAST, today, [0] + [168 * w for w in range(1, 53)], entered, [], []
    )
    result["norms"] = {"intake_days": 42}
    return result


def test_an_empty_year_draws_every_chart_with_its_message_and_a_table_of_zeros() -> (
    None
):
    drawn = charts(figures(), say)

    for chart in drawn.values():
        assert chart.empty is not None, chart.key
        assert all(bar["w"] == 0 for bar in chart.bars)
        assert chart.table.headings
    assert drawn["funnel"].table.rows[0] == ("Aangemeld", ["0"])
    # Weeks after today are unknown, not zero.
    assert drawn["weeks"].table.rows[-1][1] == ["\u2013"] * 4


def test_one_case_is_drawn_as_one_bar_with_its_value_beside_it() -> None:
    tallies = {c: Counter() for c in YEAR_COLUMNS}
    tallies["status"]["awaiting_assignment"] = 1
    tallies["region"]["utrecht"] = 1
    f = figures(
        tallies,
        durations=[("intake", "admissible", 12, 1)],
        stock=[("queue", "utrecht", "2026-12-01", 1)],
        entered=[(0, 1, 1)],
    )
    drawn = charts(f, say)

    funnel = drawn["funnel"]
    assert funnel.empty is None
    assert [b["w"] > 0 for b in funnel.bars] == [True, True, True, False, False, False]
    assert "1" in [t["text"] for t in funnel.texts]
    queue = drawn["queue"]
    assert queue.table.rows == [("Utrecht", ["\u2013", "6", "6", "0", "1"])]
    assert drawn["stock"].table.rows[0][1] == ["1"]
    assert drawn["durations"].table.rows[0] == (
        "Tot intake",
        ["12", "12", "1", "42 dagen"],
    )


def test_a_region_without_cases_says_so_and_draws_no_bars() -> None:
    f = figures()
    chart = workload(f, [], say)

    assert chart.empty == "Geen consulenten in deze selectie."
    assert chart.bars == []
    assert chart.table.rows == []
    assert charts(f, say)["queue"].empty == "Er wachten geen zaken op toewijzing."


def test_very_long_labels_are_cut_in_the_chart_and_whole_in_the_table() -> None:
    long = "Samenwerkingsverband Passend Onderwijs Zuid-Holland West " * 3
    chart = bar_chart(
        "long",
        "Lange namen",
        [(long, [3]), ("Kort", [1])],
        ["Zaken"],
        axis="Aantal",
        row_heading="Naam",
        empty="leeg",
    )

    label = next(t for t in chart.texts if t.get("full") == long)
    assert len(label["text"]) == LABEL_CHARS
    assert label["text"].endswith("…")
    assert chart.table.rows[0] == (long, ["3"])
    # The label column is bounded: the bars keep most of the width.
    assert min(b["x"] for b in chart.bars) <= 240


def test_series_differ_by_more_than_colour() -> None:
    chart = bar_chart(
        "two", "Twee", [("a", [1, 2])], ["x", "y"], axis="n", row_heading="r", empty=""
    )
    first, second = chart.series
    assert {first.color, second.color} <= set(PALETTE)
    assert (first.pattern, second.pattern) == (None, "hatch")
    lines = line_chart(
        "l",
        "Lijnen",
        ["1", "2"],
        [("a", [1, 2]), ("b", [2, None])],
        axis_x="x",
        axis_y="y",
        row_heading="r",
        empty="",
    )
    assert len({(s.dash, s.marker) for s in lines.series}) == 2
    assert lines.table.rows[1] == ("2", ["2", "\u2013"])


def test_ticks_are_round_and_reach_the_top() -> None:
    assert nice_ticks(0) == [0.0, 1.0]
    assert nice_ticks(1) == [0.0, 1.0]
    assert nice_ticks(7) == [0.0, 2.0, 4.0, 6.0, 8.0]
    assert nice_ticks(1234)[-1] >= 1234


def test_csv_cells_that_look_like_formulas_are_made_text() -> None:
    assert [safe_cell(c) for c in ("=1+1", "+31", "-2", "@SUM", "12", "a=b")] == [
        "'=1+1",
        "'+31",
        "'-2",
        "'@SUM",
        "12",
        "a=b",
    ]
    chart = bar_chart(
        "c", "C", [("=HYPERLINK()", [2.5])], ["n"], axis="", row_heading="h", empty=""
    )
    assert to_csv(chart.table) == "\ufeffh;n\r\n'=HYPERLINK();2,5\r\n"


def test_the_queue_lists_the_regions_with_a_waiting_thuiszitter_first() -> None:
    f = figures(
        stock=[
            ("queue", "utrecht", "2026-11-01", 2),
            ("queue", "gelderland", "2026-12-01", 1),
            ("queue_home", "gelderland", "2026-12-01", 1),
        ]
    )
    queue = charts(f, say)["queue"]

    assert [label for label, _ in queue.table.rows] == ["Gelderland", "Utrecht"]
    assert queue.table.rows[0][1] == ["6", "6", "6", "1", "1"]
    assert queue.table.rows[1][1] == ["\u2013", "36", "36", "0", "2"]


def test_first_contact_after_assignment_is_drawn_in_working_days_against_5() -> None:
    f = figures(durations=[("assignment_to_first_contact", None, 2, 3)])
    f["norms"]["first_contact_working_days_after_assignment"] = 5
    chart = charts(f, say)["first_contact"]

    assert chart.empty is None
    assert chart.table.rows[0] == ("Mediaan", ["2", "3", "3 (100%)"])
    assert any(t["text"] == "norm" for t in chart.texts)
