"""The dashboard page's charts: the API's dashboard answer made into charts and
tables (web/charts.py) with Dutch words, one key per chart (its CSV's name)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from domain.deadlines import THUISZITTER_MONTHS
from web.charts import NONE, Chart, Table, bar_chart, line_chart, number
from web.labels import KINDS, N_

Say = Callable[[str], str]

BREAKDOWNS = (
    ("by_region", "region", N_("Zaken per regio"), N_("Regio")),
    ("by_sector", "sector", N_("Zaken per sector"), N_("Sector")),
    ("by_category", "category", N_("Zaken per categorie"), N_("Categorie")),
    ("by_service", "service", N_("Zaken per dienst"), N_("Dienst")),
    (
        "by_requester_role",
        "requester_role",
        N_("Zaken per rol van de aanvrager"),
        N_("Rol van de aanvrager"),
    ),
)
# Charts of one tally each: key, figure, kind of value, title, row heading.
TALLIES = (
    (
        "intake",
        "intake_outcomes",
        "intake_decision",
        N_("Uitkomst van de intake"),
        N_("Uitkomst"),
    ),
    (
        "referrals",
        "referrals",
        "referred_to",
        N_("Doorverwezen bij de intake, naar bestemming"),
        N_("Bestemming"),
    ),
    (
        "outcomes",
        "outcomes",
        "outcome",
        N_("Resultaat bij afsluiting"),
        N_("Resultaat"),
    ),
    (
        "education",
        "education_status_at_closing",
        "education_status",
        N_("Onderwijssituatie van de leerling bij afsluiting"),
        N_("Onderwijssituatie"),
    ),
)
MILESTONES = (
    ("to_intake", N_("Tot intake")),
    ("to_assignment", N_("Tot toewijzing")),
    ("to_first_contact", N_("Tot eerste contact")),
    ("to_closing", N_("Tot afsluiting")),
)


def _label(say: Say, kind: str, value: str) -> str:
    text = KINDS[kind].get(value)
    return say(text) if text else value


def _day(iso: str) -> str:
    d = date.fromisoformat(iso)
    return f"{d.day}-{d.month}"


def charts(figures: Mapping[str, Any], say: Say) -> dict[str, Chart]:
    """Every chart of the dashboard, by key, in the page's order."""
    found: dict[str, Chart] = {}
    empty = say(N_("Geen zaken in deze selectie."))
    weeks = figures["weeks"]
    labels = [_day(w["start"]) for w in weeks]
    found["weeks"] = line_chart(
        "weeks",
        say(N_("Instroom en uitstroom per week")),
        labels,
        [
            (say(N_("Aangemeld")), [w["registered"] for w in weeks]),
            (say(N_("Afgesloten")), [w["closed"] for w in weeks]),
            (say(N_("Ingetrokken")), [w["withdrawn"] for w in weeks]),
            (say(N_("Geëindigd bij intake")), [w["ended_at_intake"] for w in weeks]),
        ],
        axis_x=say(N_("Week, vanaf maandag")),
        axis_y=say(N_("Zaken")),
        row_heading=say(N_("Week vanaf")),
        empty=empty,
    )
    found["stock"] = line_chart(
        "stock",
        say(N_("Open zaken aan het eind van elke week")),
        labels,
        [(say(N_("Open")), [w["open_at_end"] for w in weeks])],
        axis_x=say(N_("Week, vanaf maandag")),
        axis_y=say(N_("Zaken")),
        row_heading=say(N_("Week vanaf")),
        empty=empty,
    )
    durations = figures["durations"]
    outcomes = figures["intake_outcomes"]
    found["funnel"] = bar_chart(
        "funnel",
        say(N_("Van aanmelding tot afsluiting")),
        [
            (say(N_("Aangemeld")), [figures["registered"]]),
            (say(N_("Intake beslist")), [durations["to_intake"]["count"]]),
            (say(N_("Toelaatbaar")), [outcomes.get("admissible", 0)]),
            (say(N_("Toegewezen")), [durations["to_assignment"]["count"]]),
            (say(N_("Eerste contact")), [durations["to_first_contact"]["count"]]),
            (say(N_("Afgesloten")), [durations["to_closing"]["count"]]),
        ],
        [say(N_("Zaken"))],
        axis=say(N_("Aantal zaken van dit schooljaar")),
        row_heading=say(N_("Stap")),
        empty=empty,
    )
    for key, figure, kind, title, heading in TALLIES:
        found[key] = _tally(key, say(title), figures[figure], kind, say(heading), say)
    found["queue"] = _queue(figures, say, empty)
    found["durations"] = _durations(figures, say, empty)
    found["first_contact"] = _first_contact(figures, say, empty)
    found["thuiszitters"] = _thuiszitters(figures, say)
    for key, kind, title, heading in BREAKDOWNS:
        found[key] = _tally(key, say(title), figures[key], kind, say(heading), say)
    return found


def _tally(
    key: str,
    title: str,
    counts: Mapping[str, int],
    kind: str,
    heading: str,
    say: Say,
) -> Chart:
    return bar_chart(
        key,
        title,
        [(_label(say, kind, value), [n]) for value, n in counts.items()],
        [say(N_("Zaken"))],
        axis=say(N_("Aantal zaken")),
        row_heading=heading,
        empty=say(N_("Geen zaken in deze selectie.")),
    )


def _queue(figures: Mapping[str, Any], say: Say, empty: str) -> Chart:
    """The queue per region, thuiszitters first (they go first in the queue):
    the regions with the longest waiting thuiszitter lead, then the others by
    their longest wait."""
    queue = figures["waiting_queue"]

    def home(r: str) -> Mapping[str, Any]:
        found: Mapping[str, Any] = queue[r].get("thuiszitters") or {}
        return found

    regions = sorted(
        queue,
        key=lambda r: (
            -(home(r).get("oldest_days") or -1),
            -(queue[r]["oldest_days"] or 0),
        ),
    )
    return bar_chart(
        "queue",
        say(N_("Wachtrij voor toewijzing per regio: hoe lang zaken wachten")),
        [
            (
                _label(say, "region", r),
                [
                    home(r).get("oldest_days"),
                    queue[r]["median_days"],
                    queue[r]["oldest_days"],
                ],
            )
            for r in regions
        ],
        [
            say(N_("Thuiszitter langst wachtend (dagen)")),
            say(N_("Mediaan (dagen)")),
            say(N_("Langst wachtend (dagen)")),
        ],
        axis=say(N_("Dagen in de wachtrij")),
        row_heading=say(N_("Regio")),
        empty=say(N_("Er wachten geen zaken op toewijzing.")),
        extra={
            say(N_("Thuiszitters wachtend")): [
                str(home(r).get("count", 0)) for r in regions
            ],
            say(N_("Wachtend")): [str(queue[r]["count"]) for r in regions],
        },
    )


def _first_contact(figures: Mapping[str, Any], say: Say, empty: str) -> Chart:
    """Working days from (first) assignment to first contact, against the
    norm of 5 working days."""
    found = figures["durations"].get("first_contact_after_assignment") or {}
    count = found.get("count", 0)
    norm = (figures.get("norms") or {}).get(
        "first_contact_working_days_after_assignment", 5
    )
    within = found.get("within_norm", 0)
    share = NONE if not count else f"{round(100 * within / count)}%"
    return bar_chart(
        "first_contact",
        say(N_("Eerste contact na toewijzing, in werkdagen")),
        [
            (say(N_("Mediaan")), [found.get("median_days")]),
            (say(N_("90e percentiel")), [found.get("p90_days")]),
        ],
        [say(N_("Werkdagen"))],
        axis=say(N_("Werkdagen na toewijzing")),
        row_heading=say(N_("Doorlooptijd")),
        empty=empty,
        markers=[(say(N_("norm")), float(norm))],
        extra={
            say(N_("Zaken")): [str(count), str(count)],
            say(N_("Binnen de norm")): [f"{within} ({share})", f"{within} ({share})"],
        },
    )


def _durations(figures: Mapping[str, Any], say: Say, empty: str) -> Chart:
    durations = figures["durations"]
    norms = figures.get("norms") or {}
    norm = norms.get("intake_days")
    markers: list[tuple[str, float]] = []
    if norm:
        markers.append((say(N_("norm intake")), float(norm)))
    return bar_chart(
        "durations",
        say(N_("Doorlooptijden vanaf aanmelding, in kalenderdagen")),
        [
            (say(text), [durations[key]["median_days"], durations[key]["p90_days"]])
            for key, text in MILESTONES
        ],
        [say(N_("Mediaan")), say(N_("90e percentiel"))],
        axis=say(N_("Dagen vanaf aanmelding")),
        row_heading=say(N_("Doorlooptijd")),
        empty=empty,
        markers=markers,
        extra={
            say(N_("Zaken")): [str(durations[k]["count"]) for k, _ in MILESTONES],
            say(N_("Norm")): [
                say(N_("%(days)d dagen")) % {"days": norm} if norm else NONE,
                NONE,
                say(N_("5 werkdagen na toewijzing")),
                NONE,
            ],
        },
    )


def _thuiszitters(figures: Mapping[str, Any], say: Say) -> Chart:
    home = figures["thuiszitters"]
    mark = THUISZITTER_MONTHS * 365.25 / 12
    return bar_chart(
        "thuiszitters",
        say(N_("Thuiszitters: dagen thuis tegen de grens van 3 maanden")),
        [
            (say(N_("Mediaan dagen thuis")), [home["median_days_at_home"]]),
            (say(N_("Langst thuis")), [home["max_days_at_home"]]),
        ],
        [say(N_("Dagen"))],
        axis=say(N_("Dagen thuis")),
        row_heading=say(N_("Thuiszitters")),
        empty=say(N_("Geen open zaken van thuiszitters.")),
        markers=[(say(N_("3 maanden")), round(mark))],
        extra={
            say(N_("Open zaken")): [str(home["count"]), str(home["count"])],
            say(N_("Langer dan 3 maanden")): [
                str(home["past_3_months"]),
                str(home["past_3_months"]),
            ],
        },
    )


def workload(
    figures: Mapping[str, Any], consultants: Sequence[Mapping[str, Any]], say: Say
) -> Chart:
    """Each consultant's open cases (in the selection) against their capacity,
    by region and kind."""
    open_cases = {c["consultant_id"]: c["open"] for c in figures["open_per_consultant"]}
    shown = [c for c in consultants if c["active"] or open_cases.get(c["id"])]
    rows = [
        (
            f"{c['name']} ({_label(say, 'region', c['region'])})",
            [open_cases.get(c["id"], 0), c["capacity"]],
        )
        for c in shown
    ]
    return bar_chart(
        "workload",
        say(N_("Werklast: open zaken per consulent tegen de capaciteit")),
        rows,
        [say(N_("Open zaken")), say(N_("Capaciteit"))],
        axis=say(N_("Zaken")),
        row_heading=say(N_("Consulent")),
        empty=say(N_("Geen consulenten in deze selectie.")),
        extra={
            say(N_("Soort")): [_label(say, "service", c["kind"]) for c in shown],
            say(N_("Actief")): [
                say(N_("ja")) if c["active"] else say(N_("nee")) for c in shown
            ],
        },
    )


def comparison(
    one: Mapping[str, Any], other: Mapping[str, Any], say: Say
) -> tuple[Table, Chart]:
    """Two school years side by side: their main figures, and their
    registrations week by week."""
    rows: list[tuple[str, list[str]]] = []

    def add(text: str, pick: Callable[[Mapping[str, Any]], Any]) -> None:
        rows.append((text, [number(pick(one)), number(pick(other))]))

    add(say(N_("Aangemeld")), lambda f: f["registered"])
    add(say(N_("Open")), lambda f: f["open"])
    add(say(N_("Afgesloten")), lambda f: f["closed"])
    add(say(N_("Geëindigd (alle manieren)")), lambda f: f["ended"])
    add(say(N_("Wachtend op toewijzing")), lambda f: f["waiting_total"]["count"])
    add(say(N_("Thuiszitters open")), lambda f: f["thuiszitters"]["count"])
    for key, text in MILESTONES:
        rows.append(
            (
                say(text) + " " + say(N_("(mediaan dagen)")),
                [number(f["durations"][key]["median_days"]) for f in (one, other)],
            )
        )
    table = Table([say(N_("Cijfer")), one["school_year"], other["school_year"]], rows)
    weeks = max(len(one["weeks"]), len(other["weeks"]))
    chart = line_chart(
        "compare",
        say(N_("Aanmeldingen per week, twee schooljaren")),
        [str(i + 1) for i in range(weeks)],
        [
            (f["school_year"], _padded([w["registered"] for w in f["weeks"]], weeks))
            for f in (one, other)
        ],
        axis_x=say(N_("Week van het schooljaar")),
        axis_y=say(N_("Zaken")),
        row_heading=say(N_("Week")),
        empty=say(N_("Geen zaken in deze selectie.")),
    )
    return table, chart


def _padded(values: list[Any], n: int) -> list[Any]:
    return values + [None] * (n - len(values))
