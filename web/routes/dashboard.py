"""Dashboard: a school year's figures for coordinators and auditors, the whole
country or one region, now or as they stood at the end of any day, beside
another school year; every chart with its table, every table as CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from api.dashboard_reads import dashboard_figures
from domain.permissions import Read
from domain.values import Region
from domain.zone import AMSTERDAM, local_date
from projections.figures import school_year_bounds, school_year_of
from web import labels
from web.charts import Chart, Table
from web.dashboard_charts import charts, comparison, workload
from web.guards import require
from web.labels import N_
from web.site import PageError, SignedInDep, SiteDep, Visitor, page
from web.wording import CLOCK_STATES, CLOCKS

router = APIRouter(include_in_schema=False)

MESSAGES = {
    "school_year": N_("Kies een schooljaar als 2026-2027"),
    "compare": N_("Kies een schooljaar als 2025-2026 om mee te vergelijken"),
    "region": N_("Kies een bestaande regio"),
    "day": N_("Vul een datum in als jjjj-mm-dd"),
    "future": N_("Kies een dag tot en met vandaag"),
}
YEARS_BACK = 5


@dataclass
class Choice:
    """What the form asked for, checked: the moment shown (None: now)."""

    school_year: str
    region: str | None = None
    day: date | None = None
    compare: str | None = None
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def as_of(self) -> datetime | None:
        """The end of the chosen day (its last microsecond), Dutch time."""
        if self.day is None:
            return None
        midnight = datetime.combine(self.day + timedelta(days=1), time(), AMSTERDAM)
        return midnight - timedelta(microseconds=1)

    def query(self) -> str:
        """The same choice as a query string (for the CSV links)."""
        return urlencode({k: v for k, v in self.values.items() if v})


def _year(text: str) -> str | None:
    try:
        school_year_bounds(text)
    except ValueError:
        return None
    return text


def choose(request: Request) -> Choice:
    """The query's choices; a wrong value gets its message and is not used."""
    query = request.query_params
    today = local_date(datetime.now(tz=AMSTERDAM))
    values = {
        name: query.get(name, "").strip()[:20]
        for name in ("school_year", "region", "day", "compare")
    }
    errors: dict[str, str] = {}
    day: date | None = None
    if values["day"]:
        try:
            day = date.fromisoformat(values["day"])
        except ValueError:
            errors["day"] = "day"
        else:
            if day > today:
                errors["day"], day = "future", None
            elif day == today:
                day = None  # the end of today is not yet: now
    year = school_year_of(day or today)
    if values["school_year"]:
        chosen = _year(values["school_year"])
        if chosen is None:
            errors["school_year"] = "school_year"
        else:
            year = chosen
    compare: str | None = None
    if values["compare"]:
        compare = _year(values["compare"])
        if compare is None:
            errors["compare"] = "compare"
    region: str | None = None
    if values["region"]:
        if values["region"] in tuple(Region):
            region = values["region"]
        else:
            errors["region"] = "region"
    return Choice(year, region, day, compare, values, errors)


def _figures(here: SiteDep, choice: Choice, year: str) -> dict[str, Any]:
    return dashboard_figures(
        here.container, school_year=year, region=choice.region, as_of=choice.as_of
    )


def _consultants(here: SiteDep, choice: Choice) -> list[dict[str, Any]]:
    found = here.consultants()
    if choice.region is not None:
        found = [c for c in found if c["region"] == choice.region]
    return found


def _years(choice: Choice) -> list[str]:
    current = school_year_of(local_date(datetime.now(tz=AMSTERDAM)))
    first = int(current[:4])
    years = [f"{y}-{y + 1}" for y in range(first, first - YEARS_BACK - 1, -1)]
    for chosen in (choice.school_year, choice.compare):
        if chosen and chosen not in years:
            years.append(chosen)
    return years


def _deadlines_table(figures: dict[str, Any], person: Visitor) -> Table | None:
    rows = figures.get("deadlines_to_watch")
    if rows is None:
        return None
    return Table(
        [
            person.t(N_("Referentie")),
            person.t(N_("Termijn")),
            person.t(N_("Stand")),
            person.t(N_("Uiterlijk")),
            person.t(N_("Regio")),
        ],
        [
            (
                r["reference"],
                [
                    person.t(CLOCKS.get(r["clock"], r["clock"])),
                    person.t(CLOCK_STATES.get(r["state"], r["state"])),
                    r["due"] or "",
                    person.t(labels.REGION.get(r["region"], r["region"])),
                ],
            )
            for r in rows
        ],
    )


def _all(
    here: SiteDep, person: Visitor, choice: Choice
) -> tuple[dict[str, Any], dict[str, Chart], dict[str, Any] | None]:
    figures = _figures(here, choice, choice.school_year)
    drawn = charts(figures, person.t)
    drawn["workload"] = workload(figures, _consultants(here, choice), person.t)
    other = None
    if choice.compare is not None:
        other = _figures(here, choice, choice.compare)
    return figures, drawn, other


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, person: SignedInDep, here: SiteDep) -> HTMLResponse:
    require(person, Read.READ_DASHBOARD)
    choice = choose(request)
    figures, drawn, other = _all(here, person, choice)
    compared = comparison(figures, other, person.t) if other is not None else None
    return page(
        request,
        person,
        "dashboard.html",
        choice=choice,
        figures=figures,
        charts=drawn,
        compared=compared,
        years=_years(choice),
        regions=tuple(Region),
        errors={f: person.t(MESSAGES[kind]) for f, kind in choice.errors.items()},
        query=choice.query(),
        shown_at=datetime.fromisoformat(figures["as_of"]),
        clock_names={k: person.t(v) for k, v in CLOCKS.items()},
        state_names={k: person.t(v) for k, v in CLOCK_STATES.items()},
    )


@router.get("/dashboard/{key}.csv")
def table_csv(
    key: str, request: Request, person: SignedInDep, here: SiteDep
) -> Response:
    """One table of the dashboard as CSV, for the same choice as the page."""
    require(person, Read.READ_DASHBOARD)
    choice = choose(request)
    figures, drawn, other = _all(here, person, choice)
    tables = {k: c.table for k, c in drawn.items()}
    deadlines = _deadlines_table(figures, person)
    if deadlines is not None:
        tables["deadlines"] = deadlines
    if other is not None:
        table, chart = comparison(figures, other, person.t)
        tables["compare"], tables["compare_weeks"] = table, chart.table
    if key not in tables:
        raise PageError(404)
    moment = choice.day.isoformat() if choice.day else "nu"
    region = choice.region or "nederland"
    name = f"dashboard-{key}-{choice.school_year}-{region}-{moment}.csv"
    return Response(
        to_csv(tables[key]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# A cell that a spreadsheet would take for a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell as text a spreadsheet shows and never runs: ' before a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(table: Table) -> str:
    """A table as CSV (semicolons and decimal commas, as Dutch spreadsheets
    read them; a byte-order mark so that they take it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in table.headings])
    for heading, cells in table.rows:
        writer.writerow([safe_cell(heading), *(safe_cell(c) for c in cells)])
    return "\ufeff" + out.getvalue()
