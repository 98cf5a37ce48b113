"""The dashboard read model on both stores: a scripted school year, its figures now
and as they stood at earlier moments, by region, and apart from other years.

Every duration below is worked out by hand from the script (calendar days in the
Netherlands from registration); percentiles interpolate linearly between ranks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any
from uuid import UUID

import pytest

from domain.service import CaseService
from domain.values import (
    ActivityKind,
    Category,
    EducationStatus,
    ErasureReason,
    IntakeDecision,
    Outcome,
    ReferredTo,
    Region,
    RequesterRole,
    Sector,
    Service,
    Status,
    Step,
)
from dossier.bootstrap import build_read_database, build_service
from projections.dashboard import DashboardProjection
from projections.dashboard_tables import CASE_COLUMNS, count_keys
from projections.dashboard_view import DashboardView
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from storage.db import Database
from tests.support.clock import FakeClock
from tests.support.http_api import STORES
from tests.support.samples import COORDINATOR, INTAKE, registration
from tests.support.stores import drop_schema, store_settings
from tests.support.together import all_at_once

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
MID_OCTOBER = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
BEFORE_CHRISTMAS = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)
AFTER_REOPENING = datetime(2027, 1, 12, 12, 0, tzinfo=UTC)

UT, NH, GE = Region.UTRECHT, Region.NOORD_HOLLAND, Region.GELDERLAND
OC, OZC = Service.ONDERWIJSCONSULENT, Service.ONDERWIJSZORGCONSULENT


def d(year: int, month: int, day: int) -> date:
    return date(year, month, day)


@dataclass
class Script:
    """Commands through the real service, each at 09:00 UTC on its day, run in
    the order of their days (a case's own steps keep their written order)."""

    service: CaseService
    clock: FakeClock
    cases: dict[str, UUID] = field(default_factory=dict)
    consultants: dict[str, UUID] = field(default_factory=dict)
    steps: list[tuple[date, Callable[[], object]]] = field(default_factory=list)

    def later(self, day: date, command: Callable[[], object]) -> None:
        self.steps.append((day, command))

    def run(self) -> None:
        for day, command in sorted(self.steps, key=lambda s: s[0]):
            self.clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))
            command()

    def consultant(self, name: str, region: Region, kind: Service) -> None:
        self.clock.set(datetime(2026, 4, 1, 9, tzinfo=UTC))
        consultant = self.service.register_consultant(
            name, region, kind, 30, by=COORDINATOR
        )
        self.consultants[name] = consultant.id

    def register(
        self,
        name: str,
        day: date,
        region: Region,
        sector: Sector,
        category: Category,
        *,
        role: RequesterRole = RequesterRole.PARENT,
        service: Service = OC,
        at_home_since: date | None = None,
    ) -> None:
        base = registration()
        case = replace(
            base,
            requester=replace(base.requester, role=role),
            sector=sector,
            samenwerkingsverband="PO2707"
            if sector in (Sector.PO, Sector.SBO)
            else None,
            region=region,
            category=category,
            service=service,
            at_home_since=at_home_since,
            receives_education=at_home_since is None,
        )

        def command() -> None:
            self.cases[name] = self.service.register(case, by=INTAKE).case.id

        self.later(day, command)

    def take_in(
        self,
        name: str,
        day: date,
        decision: IntakeDecision | None = IntakeDecision.ADMISSIBLE,
    ) -> None:
        """Record the prerequisites the rule asks for, then decide the intake."""

        def command() -> None:
            case_id = self.cases[name]
            status = self.service.record_prerequisite(
                case_id, Step.SCHOOL_CONVERSATION, day, None, by=INTAKE
            ).case.status
            if status == Status.REGISTERED:
                self.service.record_prerequisite(
                    case_id, Step.SAMENWERKINGSVERBAND_CONTACT, day, None, by=INTAKE
                )
            if decision == IntakeDecision.ADMISSIBLE:
                self.service.decide_intake(case_id, decision, by=INTAKE)
            elif decision == IntakeDecision.NOT_ADMISSIBLE:
                self.service.decide_intake(
                    case_id, decision, "Hoger onderwijs.", by=INTAKE
                )
            elif decision == IntakeDecision.REFERRED:
                self.service.decide_intake(
                    case_id,
                    decision,
                    "Eerst naar de commissie.",
                    ReferredTo.GESCHILLENCOMMISSIE,
                    by=INTAKE,
                )

        self.later(day, command)

    def assign(self, name: str, day: date, consultant: str) -> None:
        self.later(
            day,
            lambda: self.service.assign(
                self.cases[name], self.consultants[consultant], by=COORDINATOR
            ),
        )

    def contact(self, name: str, day: date, *, on: date | None = None) -> None:
        self.later(
            day,
            lambda: self.service.record_activity(
                self.cases[name],
                ActivityKind.CONTACT,
                on or day,
                "Gesprek met ouders en school.",
                ["ouders", "school"],
                by=COORDINATOR,
            ),
        )

    def suspend(self, name: str, day: date) -> None:
        self.later(
            day,
            lambda: self.service.suspend(
                self.cases[name], "Procedure loopt.", by=COORDINATOR
            ),
        )

    def resume(self, name: str, day: date) -> None:
        self.later(day, lambda: self.service.resume(self.cases[name], by=COORDINATOR))

    def close(
        self,
        name: str,
        day: date,
        outcome: Outcome,
        education: EducationStatus = EducationStatus.ATTENDING,
    ) -> None:
        self.later(
            day,
            lambda: self.service.close_case(
                self.cases[name], outcome, education, "Afgerond.", by=COORDINATOR
            ),
        )

    def withdraw(self, name: str, day: date) -> None:
        self.later(
            day,
            lambda: self.service.withdraw(
                self.cases[name], "Ouders trekken in.", by=INTAKE
            ),
        )

    def reopen(self, name: str, day: date) -> None:
        self.later(
            day,
            lambda: self.service.reopen(
                self.cases[name], "Nieuwe problemen.", by=COORDINATOR
            ),
        )

    def erase(self, name: str, day: date) -> None:
        self.later(
            day,
            lambda: self.service.erase_personal_data(
                self.cases[name], ErasureReason.DATA_SUBJECT_REQUEST, by=COORDINATOR
            ),
        )


def school_year_2026_2027(s: Script) -> None:
    """Two cases of the year before (X0 carried over, still waiting in August),
    thirteen of 2026-2027 (A to M)."""
    s.consultant("C1", UT, OC)
    s.consultant("C2", NH, OC)
    s.consultant("C3", UT, OC)
    s.consultant("Z1", GE, OZC)

    s.register("X1", d(2026, 5, 4), UT, Sector.VO, Category.SCHORSING)
    s.take_in("X1", d(2026, 5, 11))
    s.assign("X1", d(2026, 5, 13), "C1")
    s.contact("X1", d(2026, 5, 14))
    s.close("X1", d(2026, 6, 30), Outcome.PLACED_AT_SCHOOL)

    s.register("X0", d(2026, 7, 20), NH, Sector.PO, Category.TOELATING)
    s.take_in("X0", d(2026, 7, 27))
    s.assign("X0", d(2026, 10, 19), "C2")
    s.contact("X0", d(2026, 10, 20))

    s.register("A", d(2026, 8, 17), UT, Sector.PO, Category.TOELATING)
    s.take_in("A", d(2026, 8, 31))  # 14 days
    s.assign("A", d(2026, 9, 7), "C1")  # 21
    s.contact("A", d(2026, 9, 9))  # 23
    s.close("A", d(2026, 10, 19), Outcome.PLACED_AT_SCHOOL)  # 63
    s.erase("A", d(2027, 2, 10))

    s.register(
        "B",
        d(2026, 9, 1),
        UT,
        Sector.VO,
        Category.THUISZITTER,
        role=RequesterRole.SCHOOL,
        at_home_since=d(2026, 6, 15),
    )
    s.take_in("B", d(2026, 9, 8))  # 7
    s.assign("B", d(2026, 9, 10), "C1")  # 9
    s.contact("B", d(2026, 9, 14), on=d(2026, 9, 11))  # 10: the day of the contact
    s.suspend("B", d(2026, 11, 2))
    s.resume("B", d(2026, 12, 1))
    s.close("B", d(2027, 1, 25), Outcome.BACK_AT_SCHOOL)  # 146

    s.register("C", d(2026, 9, 15), NH, Sector.PO, Category.ONDERSTEUNINGSAANBOD)
    s.take_in("C", d(2026, 10, 13))  # 28
    s.assign("C", d(2026, 10, 20), "C2")  # 35
    s.contact("C", d(2026, 10, 22))  # 37

    s.register("D", d(2026, 9, 21), NH, Sector.SBO, Category.VERWIJDERING)
    s.take_in("D", d(2026, 10, 5), IntakeDecision.NOT_ADMISSIBLE)  # 14

    s.register(
        "E",
        d(2026, 10, 1),
        GE,
        Sector.VSO,
        Category.ONDERWIJSZORGARRANGEMENT,
        role=RequesterRole.CARE_PROVIDER,
        service=OZC,
    )
    s.take_in("E", d(2026, 10, 29))  # 28
    s.assign("E", d(2026, 11, 2), "Z1")  # 32
    s.contact("E", d(2026, 11, 3))  # 33
    s.close(
        "E",
        d(2026, 12, 14),
        Outcome.CARE_ARRANGEMENT,
        EducationStatus.PARTIALLY_ATTENDING,
    )  # 74
    s.reopen("E", d(2027, 1, 11))
    s.assign("E", d(2027, 1, 13), "Z1")
    s.contact("E", d(2027, 1, 14))
    s.close("E", d(2027, 2, 8), Outcome.ADVICE_GIVEN)  # 130

    s.register("F", d(2026, 10, 5), UT, Sector.PO, Category.SCHORSING)
    s.take_in("F", d(2026, 10, 26), IntakeDecision.REFERRED)  # 21

    s.register(
        "G",
        d(2026, 10, 12),
        UT,
        Sector.VO,
        Category.TOELATING,
        role=RequesterRole.GUARDIAN,
    )
    s.withdraw("G", d(2026, 10, 20))

    s.register(
        "H",
        d(2026, 11, 2),
        NH,
        Sector.PO,
        Category.THUISZITTER,
        at_home_since=d(2026, 9, 1),
    )
    s.take_in("H", d(2026, 11, 16))  # 14, then waits

    s.register(
        "I",
        d(2026, 11, 9),
        UT,
        Sector.MBO,
        Category.TOELATING,
        role=RequesterRole.PUPIL,
    )
    s.take_in("I", d(2026, 12, 7))  # 28
    s.assign("I", d(2026, 12, 14), "C1")  # 35
    s.suspend("I", d(2027, 1, 18))

    s.register("J", d(2026, 12, 1), UT, Sector.PO, Category.ONDERSTEUNINGSAANBOD)
    s.take_in("J", d(2027, 1, 12))  # 42, then waits

    s.register(
        "K",
        d(2027, 1, 4),
        GE,
        Sector.SO,
        Category.THUISZITTER,
        role=RequesterRole.LEERPLICHT,
        at_home_since=d(2026, 12, 1),
    )
    s.take_in("K", d(2027, 1, 11), decision=None)  # prerequisites met, no intake

    s.register(
        "L",
        d(2027, 2, 1),
        NH,
        Sector.VO,
        Category.VERWIJDERING,
        role=RequesterRole.SCHOOL,
    )

    s.register("M", d(2027, 2, 15), UT, Sector.PO, Category.TOELATING)
    s.take_in("M", d(2027, 2, 22))  # 7
    s.assign("M", d(2027, 2, 24), "C1")  # 9
    s.assign("M", d(2027, 2, 26), "C3")  # reassigned


@dataclass
class Year:
    script: Script
    runner: ProjectionRunner
    read_db: Database

    def consultant(self, name: str) -> str:
        return str(self.script.consultants[name])

    def figures(self, **options: Any) -> dict[str, Any]:
        self.runner.catch_up()
        view = DashboardView.of(self.runner.version)
        options.setdefault("school_year", "2026-2027")
        options.setdefault("now", NOW)
        with self.read_db.reading() as tx:
            return view.figures(tx, **options)


def scripted_year(service: CaseService, read_db: Database, clock: FakeClock) -> Year:
    script = Script(service, clock)
    school_year_2026_2027(script)
    script.run()
    clock.set(NOW)
    runner = ProjectionRunner(service, read_db, DashboardProjection)
    return Year(script, runner, read_db)


@pytest.fixture(scope="module", params=STORES)
def year(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Year]:
    """The school year on a store of its own, made once per store for the tests
    that only read it (scripting it was most of each such test's time). A test
    that changes the events, the clock or the read model's tables takes
    ``own_year``."""
    store: str = request.param
    settings = store_settings(
        store, tmp_path_factory.mktemp(f"year-{store}") / "var", request, "t"
    )
    clock = FakeClock()
    service = build_service(settings, clock=clock)
    read_db = build_read_database(settings)
    try:
        yield scripted_year(service, read_db, clock)
    finally:
        read_db.close()
        service.factory.close()
        drop_schema(settings)


@pytest.fixture
def own_year(service: CaseService, read_db: Database, clock: FakeClock) -> Year:
    """The school year on the test's own store, for a test that changes it."""
    return scripted_year(service, read_db, clock)


def nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def calendar_days(figures: dict[str, Any]) -> dict[str, Any]:
    """The durations in calendar days from registration."""
    return {k: v for k, v in figures["durations"].items() if k.startswith("to_")}


def queues(figures: dict[str, Any]) -> dict[str, Any]:
    """The waiting queue per region, its thuiszitters aside."""
    return {
        region: {k: v for k, v in queue.items() if k != "thuiszitters"}
        for region, queue in figures["waiting_queue"].items()
    }


def per_consultant(figures: dict[str, Any]) -> dict[str, int]:
    return {c["consultant_id"]: c["open"] for c in figures["open_per_consultant"]}


# --- the year now -------------------------------------------------------------------


def test_the_school_year_now_counts_each_case_in_its_current_state(
    year: Year,
) -> None:
    f = year.figures()

    assert f["school_year"] == "2026-2027"
    assert f["period"] == {"start": "2026-08-01", "end": "2027-07-31"}
    assert f["as_of"] == NOW.isoformat()
    assert (f["registered"], f["open"], f["closed"], f["ended"]) == (13, 7, 3, 6)
    assert f["by_status"] == {
        "registered": 1,
        "awaiting_intake": 1,
        "awaiting_assignment": 2,
        "assigned": 1,
        "in_mediation": 1,
        "suspended": 1,
        "closed": 3,
        "not_admissible": 1,
        "referred": 1,
        "withdrawn": 1,
    }
    assert nonzero(f["by_region"]) == {
        "utrecht": 7,
        "noord-holland": 4,
        "gelderland": 2,
    }
    assert f["by_region"]["limburg"] == 0
    assert nonzero(f["by_sector"]) == {
        "po": 6,
        "sbo": 1,
        "so": 1,
        "vo": 3,
        "vso": 1,
        "mbo": 1,
    }
    assert nonzero(f["by_category"]) == {
        "thuiszitter": 3,
        "toelating": 4,
        "schorsing": 1,
        "verwijdering": 2,
        "ondersteuningsaanbod": 2,
        "onderwijszorgarrangement": 1,
    }
    assert nonzero(f["by_requester_role"]) == {
        "parent": 7,
        "pupil": 1,
        "school": 2,
        "care_provider": 1,
        "leerplicht": 1,
        "guardian": 1,
    }
    assert f["by_service"] == {"onderwijsconsulent": 12, "onderwijszorgconsulent": 1}
    assert f["intake_outcomes"] == {
        "admissible": 8,
        "not_admissible": 1,
        "referred": 1,
    }
    # E was closed, reopened and closed again: only its latest closing counts.
    assert nonzero(f["outcomes"]) == {
        "placed_at_school": 1,
        "back_at_school": 1,
        "advice_given": 1,
    }
    assert nonzero(f["education_status_at_closing"]) == {"attending": 3}


def test_the_durations_now_are_median_and_p90_of_calendar_days(year: Year) -> None:
    f = year.figures()

    assert calendar_days(f) == {
        # 7 7 14 14 14 21 28 28 28 42 (A B C D E F H I J M)
        "to_intake": {"count": 10, "median_days": 17.5, "p90_days": 29.4},
        # 9 9 21 32 35 35 (A B C E I M; the first assignment, not M's second)
        "to_assignment": {"count": 6, "median_days": 26.5, "p90_days": 35.0},
        # 10 23 33 37 (B counted to the day of its contact, not of its record)
        "to_first_contact": {"count": 4, "median_days": 28.0, "p90_days": 35.8},
        # 63 130 146 (A, E's second closing, B)
        "to_closing": {"count": 3, "median_days": 130.0, "p90_days": 142.8},
    }


def test_the_stock_now_queue_thuiszitters_and_consultants(year: Year) -> None:
    f = year.figures()

    assert queues(f) == {
        "noord-holland": {"count": 1, "oldest_days": 105, "median_days": 105.0},
        "utrecht": {"count": 1, "oldest_days": 48, "median_days": 48.0},
    }
    assert f["waiting_total"] == {"count": 2, "oldest_days": 105, "median_days": 76.5}
    # H at home since 1 September (181 days); K since 1 December: 90 days, on
    # the 3-month mark today, not yet past it.
    assert f["thuiszitters"] == {
        "count": 2,
        "median_days_at_home": 135.5,
        "max_days_at_home": 181,
        "past_3_months": 1,
    }
    # C2 holds C and X0, carried over from the year before; M moved to C3.
    assert per_consultant(f) == {
        year.consultant("C2"): 2,
        year.consultant("C1"): 1,
        year.consultant("C3"): 1,
    }
    assert f["open_per_consultant"][0] == {
        "consultant_id": year.consultant("C2"),
        "open": 2,
        "capacity": None,
    }


def test_first_contact_is_measured_in_working_days_from_assignment_too(
    year: Year,
) -> None:
    # A Mon 7 -> Wed 9 September: 2; B Thu 10 -> Fri 11: 1; C Tue 20 -> Thu 22
    # October: 2; E Mon 2 -> Tue 3 November: 1. All within the 5 working days.
    expected = {
        "count": 4,
        "median_days": 1.5,
        "p90_days": 2.0,
        "unit": "working_days",
        "within_norm": 4,
    }
    assert year.figures()["durations"]["first_contact_after_assignment"] == expected
    assert (
        year.figures(as_of=NOW)["durations"]["first_contact_after_assignment"]
        == expected
    )
    october = year.figures(as_of=MID_OCTOBER)["durations"]
    assert october["first_contact_after_assignment"] == {
        "count": 2,
        "median_days": 1.5,
        "p90_days": 1.9,
        "unit": "working_days",
        "within_norm": 2,
    }


def test_the_queue_of_each_region_counts_its_thuiszitters_first(year: Year) -> None:
    # H (a thuiszitter) waits in Noord-Holland; J in Utrecht is none.
    for f in (year.figures(), year.figures(as_of=NOW)):
        assert f["waiting_queue"]["noord-holland"]["thuiszitters"] == {
            "count": 1,
            "oldest_days": 105,
            "median_days": 105.0,
        }
        assert f["waiting_queue"]["utrecht"]["thuiszitters"] == {
            "count": 0,
            "oldest_days": None,
            "median_days": None,
        }
    reopened = year.figures(as_of=AFTER_REOPENING)["waiting_queue"]
    assert reopened["noord-holland"]["thuiszitters"]["oldest_days"] == 57
    assert reopened["gelderland"]["thuiszitters"]["count"] == 0


def test_capacities_from_another_read_model_are_shown_beside_the_open_cases(
    year: Year,
) -> None:
    f = year.figures(capacities={year.consultant("C2"): 30})

    capacity = {c["consultant_id"]: c["capacity"] for c in f["open_per_consultant"]}
    assert capacity == {
        year.consultant("C2"): 30,
        year.consultant("C1"): None,
        year.consultant("C3"): None,
    }


def test_as_of_defaults_to_now_and_a_later_moment_is_taken_as_now(
    year: Year,
) -> None:
    assert year.figures() == year.figures(as_of=NOW)
    assert year.figures(as_of=NOW + timedelta(days=30)) == year.figures()


# --- as it stood at earlier moments ---------------------------------------------


def test_mid_october_shows_only_what_was_known_then(year: Year) -> None:
    f = year.figures(as_of=MID_OCTOBER)

    assert f["as_of"] == MID_OCTOBER.isoformat()
    assert (f["registered"], f["open"], f["closed"], f["ended"]) == (7, 6, 0, 1)
    assert nonzero(f["by_status"]) == {
        "registered": 3,  # E, F, G: intake, referral, withdrawal came later
        "awaiting_assignment": 1,  # C
        "in_mediation": 2,  # A (closed on 19 October), B
        "not_admissible": 1,  # D
    }
    assert nonzero(f["by_region"]) == {
        "utrecht": 4,
        "noord-holland": 2,
        "gelderland": 1,
    }
    assert nonzero(f["intake_outcomes"]) == {"admissible": 3, "not_admissible": 1}
    assert nonzero(f["outcomes"]) == {}
    assert calendar_days(f) == {
        "to_intake": {"count": 4, "median_days": 14.0, "p90_days": 23.8},
        "to_assignment": {"count": 2, "median_days": 15.0, "p90_days": 19.8},
        "to_first_contact": {"count": 2, "median_days": 16.5, "p90_days": 21.7},
        "to_closing": {"count": 0, "median_days": None, "p90_days": None},
    }
    # X0 has waited since 27 July (80 days), C since 13 October (2 days).
    assert queues(f) == {
        "noord-holland": {"count": 2, "oldest_days": 80, "median_days": 41.0},
    }
    assert f["thuiszitters"] == {
        "count": 1,
        "median_days_at_home": 122.0,
        "max_days_at_home": 122,
        "past_3_months": 1,
    }
    assert per_consultant(f) == {year.consultant("C1"): 2}


def test_before_christmas_shows_the_closing_then_in_force(year: Year) -> None:
    f = year.figures(as_of=BEFORE_CHRISTMAS)

    assert (f["registered"], f["open"], f["closed"], f["ended"]) == (10, 5, 2, 5)
    assert nonzero(f["by_status"]) == {
        "registered": 1,  # J
        "awaiting_assignment": 1,  # H
        "assigned": 1,  # I
        "in_mediation": 2,  # B (resumed 1 December), C
        "closed": 2,  # A, E (reopened in January)
        "not_admissible": 1,
        "referred": 1,
        "withdrawn": 1,
    }
    assert nonzero(f["intake_outcomes"]) == {
        "admissible": 6,
        "not_admissible": 1,
        "referred": 1,
    }
    assert nonzero(f["outcomes"]) == {"placed_at_school": 1, "care_arrangement": 1}
    assert nonzero(f["education_status_at_closing"]) == {
        "attending": 1,
        "partially_attending": 1,
    }
    assert calendar_days(f) == {
        "to_intake": {"count": 8, "median_days": 17.5, "p90_days": 28.0},
        "to_assignment": {"count": 5, "median_days": 32.0, "p90_days": 35.0},
        "to_first_contact": {"count": 4, "median_days": 28.0, "p90_days": 35.8},
        # A 63, E 74 (its first closing, the one in force then)
        "to_closing": {"count": 2, "median_days": 68.5, "p90_days": 72.9},
    }
    assert queues(f) == {
        "noord-holland": {"count": 1, "oldest_days": 34, "median_days": 34.0},
    }
    assert f["thuiszitters"] == {
        "count": 2,
        "median_days_at_home": 149.0,
        "max_days_at_home": 188,
        "past_3_months": 2,
    }
    assert per_consultant(f) == {year.consultant("C1"): 2, year.consultant("C2"): 2}


def test_a_reopened_case_joins_the_queue_of_its_region(year: Year) -> None:
    f = year.figures(as_of=AFTER_REOPENING)

    assert queues(f) == {
        "gelderland": {"count": 1, "oldest_days": 1, "median_days": 1.0},  # E
        "noord-holland": {"count": 1, "oldest_days": 57, "median_days": 57.0},  # H
        "utrecht": {"count": 1, "oldest_days": 0, "median_days": 0.0},  # J
    }
    assert f["waiting_total"] == {"count": 3, "oldest_days": 57, "median_days": 1.0}
    assert f["by_status"]["closed"] == 1
    assert f["durations"]["to_closing"] == {
        "count": 1,
        "median_days": 63.0,
        "p90_days": 63.0,
    }


def test_a_contact_counts_once_recorded_measured_to_the_day_it_took_place(
    year: Year,
) -> None:
    # B's contact of 11 September was recorded on the 14th.
    before = year.figures(as_of=datetime(2026, 9, 12, 12, 0, tzinfo=UTC))
    after = year.figures(as_of=datetime(2026, 9, 14, 12, 0, tzinfo=UTC))

    assert before["durations"]["to_first_contact"] == {
        "count": 1,
        "median_days": 23.0,
        "p90_days": 23.0,
    }
    assert before["by_status"]["assigned"] == 1
    assert after["durations"]["to_first_contact"] == {
        "count": 2,
        "median_days": 16.5,
        "p90_days": 21.7,
    }
    assert after["by_status"]["in_mediation"] == 2


# --- region, other years, erasure -------------------------------------------------


def test_the_region_filter_narrows_every_figure(year: Year) -> None:
    f = year.figures(region="utrecht")

    assert f["region"] == "utrecht"
    assert (f["registered"], f["open"], f["closed"], f["ended"]) == (7, 3, 2, 4)
    assert nonzero(f["by_region"]) == {"utrecht": 7}
    assert nonzero(f["by_status"]) == {
        "awaiting_assignment": 1,
        "assigned": 1,
        "suspended": 1,
        "closed": 2,
        "referred": 1,
        "withdrawn": 1,
    }
    assert nonzero(f["intake_outcomes"]) == {"admissible": 5, "referred": 1}
    assert nonzero(f["outcomes"]) == {"placed_at_school": 1, "back_at_school": 1}
    assert calendar_days(f) == {
        "to_intake": {"count": 6, "median_days": 17.5, "p90_days": 35.0},
        "to_assignment": {"count": 4, "median_days": 15.0, "p90_days": 30.8},
        "to_first_contact": {"count": 2, "median_days": 16.5, "p90_days": 21.7},
        "to_closing": {"count": 2, "median_days": 104.5, "p90_days": 137.7},
    }
    assert queues(f) == {
        "utrecht": {"count": 1, "oldest_days": 48, "median_days": 48.0},
    }
    assert f["thuiszitters"] == {
        "count": 0,
        "median_days_at_home": None,
        "max_days_at_home": None,
        "past_3_months": 0,
    }
    assert per_consultant(f) == {year.consultant("C1"): 1, year.consultant("C3"): 1}


def test_cases_of_other_school_years_do_not_count(year: Year) -> None:
    earlier = year.figures(school_year="2025-2026")
    later = year.figures(school_year="2027-2028")

    assert (earlier["registered"], earlier["open"], earlier["closed"]) == (2, 1, 1)
    assert nonzero(earlier["by_status"]) == {"in_mediation": 1, "closed": 1}
    assert earlier["durations"] == {
        "to_intake": {"count": 2, "median_days": 7.0, "p90_days": 7.0},
        "to_assignment": {"count": 2, "median_days": 50.0, "p90_days": 82.8},
        "to_first_contact": {"count": 2, "median_days": 51.0, "p90_days": 83.8},
        "to_closing": {"count": 1, "median_days": 57.0, "p90_days": 57.0},
        # X1 Wed 13 -> Thu 14 May, Ascension Day: 0 working days; X0 Mon 19 ->
        # Tue 20 October: 1.
        "first_contact_after_assignment": {
            "count": 2,
            "median_days": 0.5,
            "p90_days": 0.9,
            "unit": "working_days",
            "within_norm": 2,
        },
    }
    # The stock of that year: what is still open of it (X0), nothing of 2026-2027.
    assert earlier["waiting_queue"] == {}
    assert per_consultant(earlier) == {year.consultant("C2"): 1}
    assert later["registered"] == 0
    assert later["durations"]["to_intake"]["count"] == 0


def test_the_end_of_the_year_before_shows_its_queue(year: Year) -> None:
    f = year.figures(
        school_year="2025-2026", as_of=datetime(2026, 7, 31, 12, 0, tzinfo=UTC)
    )

    assert nonzero(f["by_status"]) == {"awaiting_assignment": 1, "closed": 1}
    assert queues(f) == {
        "noord-holland": {"count": 1, "oldest_days": 4, "median_days": 4.0},
    }


def test_an_erased_case_still_counts(
    own_year: Year, service: CaseService, clock: FakeClock
) -> None:
    later = NOW + timedelta(hours=2)
    before = own_year.figures(now=later)

    clock.set(NOW + timedelta(hours=1))
    service.erase_personal_data(
        own_year.script.cases["B"], ErasureReason.RETENTION_EXPIRED, by=COORDINATOR
    )

    assert own_year.figures(now=later) == before
    assert before["outcomes"]["back_at_school"] == 1  # B, erased now


# --- the tables themselves ----------------------------------------------------------


def test_status_intervals_tile_each_case_and_a_rebuild_gives_the_same_rows(
    own_year: Year, service: CaseService
) -> None:
    own_year.runner.catch_up()
    tables = DashboardView.of(own_year.runner.version)
    with own_year.read_db.reading() as tx:
        intervals = tx.fetchall(
            "SELECT case_id, status, valid_from, valid_to FROM {s}"
            " ORDER BY case_id, version",
            s=tables.status,
        )
        current = dict(tx.fetchall("SELECT case_id, status FROM {c}", c=tables.cases))

    by_case: dict[str, list[tuple[Any, ...]]] = {}
    for row in intervals:
        by_case.setdefault(row[0], []).append(row)
    assert len(by_case) == 15
    for case_id, rows in by_case.items():
        for earlier, later in pairwise(rows):
            assert earlier[3] == later[2]
        assert rows[-1][3] is None
        assert rows[-1][1] == current[case_id]
    e = [r[1] for r in by_case[str(own_year.script.cases["E"])]]
    assert e == [
        "registered",
        "awaiting_intake",
        "awaiting_assignment",
        "assigned",
        "in_mediation",
        "closed",
        "awaiting_assignment",
        "assigned",
        "in_mediation",
        "closed",
    ]

    report = rebuild(service, own_year.read_db, DashboardProjection)
    assert report.compared_with_old
    with own_year.read_db.reading() as tx:
        counters = sum(
            len(tx.fetchall("SELECT * FROM {t}", t=table))
            for table in (
                tables.year_counts,
                tables.duration_counts,
                tables.stock_counts,
                tables.week_counts,
                tables.counter_rules,
            )
        )
    assert counters > 0
    assert report.rows == len(intervals) + 15 + counters


def counters(read_db: Database, view: DashboardView) -> dict[str, list[Any]]:
    """Each counters table's rows (by base name), sorted."""
    tables = {
        "dashboard_year_tallies": view.year_counts,
        "dashboard_duration_counts": view.duration_counts,
        "dashboard_stock_counts": view.stock_counts,
        "dashboard_week_counts": view.week_counts,
    }
    with read_db.reading() as tx:
        return {
            base: sorted(tx.fetchall("SELECT * FROM {t}", t=table))
            for base, table in tables.items()
        }


def drop_counters(read_db: Database, view: DashboardView) -> None:
    """Back to a version built before the counters existed."""
    with read_db.transaction() as tx:
        for table in (
            view.year_counts,
            view.duration_counts,
            view.stock_counts,
            view.week_counts,
            view.counter_rules,
        ):
            tx.execute("DROP TABLE {t}", t=table)


def test_the_counters_hold_what_the_case_rows_count_however_events_are_batched(
    own_year: Year, service: CaseService
) -> None:
    one_by_one = ProjectionRunner(
        service, own_year.read_db, DashboardProjection, version=7, batch_size=1
    )
    one_by_one.catch_up()
    held = counters(own_year.read_db, DashboardView.of(7))

    own_year.runner.catch_up()
    view = DashboardView.of(own_year.runner.version)
    assert counters(own_year.read_db, view) == held
    with own_year.read_db.reading() as tx:
        rows = tx.fetchall(f"SELECT {', '.join(CASE_COLUMNS)} FROM {{c}}", c=view.cases)
    expected = count_keys(dict(zip(CASE_COLUMNS, r, strict=True)) for r in rows)
    weeks = held.pop("dashboard_week_counts")
    assert held == {
        base: sorted((*key, n) for (b, key), n in expected.items() if b == base)
        for base in held
    }
    # The week counters: what the intervals count, however batched.
    assert weeks
    assert weeks == counters(own_year.read_db, view)["dashboard_week_counts"]
    # (Closings and reopenings took counters down to 0: none is left at 0.)
    assert all(row[-1] > 0 for rows in held.values() for row in rows)


def test_a_version_built_before_the_counters_reads_without_then_gains_them(
    own_year: Year, service: CaseService
) -> None:
    own_year.runner.catch_up()
    view = DashboardView.of(own_year.runner.version)
    before = counters(own_year.read_db, view)
    now = own_year.figures()
    drop_counters(own_year.read_db, view)
    # Until a worker has made them, the figures now come from the intervals.
    assert own_year.figures() == now

    again = ProjectionRunner(service, own_year.read_db, DashboardProjection)

    assert again.version == own_year.runner.version
    assert counters(own_year.read_db, view) == before
    assert own_year.figures() == now


def test_a_naive_moment_is_refused(year: Year) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        year.figures(as_of=datetime(2026, 10, 15, 12, 0))
    with pytest.raises(ValueError, match="YYYY-YYYY"):
        year.figures(school_year="2026")


def test_two_workers_starting_at_once_fill_the_counters_once(
    own_year: Year, service: CaseService
) -> None:
    own_year.runner.catch_up()
    view = DashboardView.of(own_year.runner.version)
    before = counters(own_year.read_db, view)
    drop_counters(own_year.read_db, view)
    _, failures = all_at_once(
        lambda: ProjectionRunner(service, own_year.read_db, DashboardProjection), 2
    )

    assert failures == []
    assert counters(own_year.read_db, view) == before


# --- the own_year week by week --------------------------------------------------------


def week(f: dict[str, Any], label: str) -> dict[str, Any]:
    found: dict[str, Any] = next(w for w in f["weeks"] if w["week"] == label)
    return found


def test_weeks_count_inflow_outflow_and_the_open_stock_carried_over(
    year: Year,
) -> None:
    f = year.figures()
    weeks = f["weeks"]
    assert (weeks[0]["start"], weeks[0]["end"]) == ("2026-08-01", "2026-08-02")
    assert (weeks[-1]["start"], weeks[-1]["end"]) == ("2027-07-26", "2027-07-31")
    # X0, of the year before, is open all along; A is registered on 17 August.
    assert week(f, "2026-W31")["open_at_end"] == 1
    assert week(f, "2026-W34") == {
        "week": "2026-W34",
        "start": "2026-08-17",
        "end": "2026-08-23",
        "registered": 1,
        "closed": 0,
        "withdrawn": 0,
        "ended_at_intake": 0,
        "open_at_end": 2,
    }
    assert week(f, "2026-W41")["ended_at_intake"] == 1  # D not admissible
    # A closed, G withdrawn: X0, B, C, E and F open (F referred the 26th).
    w43 = week(f, "2026-W43")
    assert (w43["closed"], w43["withdrawn"], w43["open_at_end"]) == (1, 1, 5)
    assert week(f, "2026-W44")["ended_at_intake"] == 1  # F referred
    # E reopened on 11 January: X0, B, C, E, H, I, J and K open.
    assert week(f, "2027-W02")["open_at_end"] == 8
    assert week(f, "2027-W03")["closed"] == 0
    assert week(f, "2027-W04")["closed"] == 1  # B, 25 January
    assert sum(w["registered"] or 0 for w in weeks) == 13
    # This week: the stock now (X0, C, H, I, J, K, L, M); later weeks unknown.
    assert week(f, "2027-W09")["open_at_end"] == 8
    assert week(f, "2027-W10")["registered"] is None
    assert week(f, "2027-W10")["open_at_end"] is None


def test_weeks_as_of_a_moment_know_nothing_later(year: Year) -> None:
    f = year.figures(as_of=MID_OCTOBER)

    # G registered on the 12th; D ended at its intake on the 5th; A is
    # closed on the 19th: X0, A, B, C, E, F and G open.
    assert week(f, "2026-W42")["registered"] == 1
    assert week(f, "2026-W42")["open_at_end"] == 7
    assert week(f, "2026-W43")["open_at_end"] is None
    assert sum(w["registered"] or 0 for w in f["weeks"]) == 7  # A to G


def test_weeks_by_region_count_only_that_region(year: Year) -> None:
    f = year.figures(region=UT)

    assert week(f, "2026-W31")["open_at_end"] == 0  # X1 closed in June
    assert week(f, "2026-W34")["open_at_end"] == 1  # A
    assert sum(w["registered"] or 0 for w in f["weeks"]) == 7  # A B F G I J M


def test_a_moment_is_settled_once_a_case_registered_well_after_it_is_in(
    year: Year,
) -> None:
    # (What lets the figures as of a past moment be kept: they cannot change.)
    year.runner.catch_up()
    view = DashboardView.of(year.runner.version)
    last = datetime(2027, 2, 15, 9, tzinfo=UTC)  # M, the last registration
    with year.read_db.reading() as tx:
        assert view.settled(tx, MID_OCTOBER)
        assert view.settled(tx, last - timedelta(minutes=6))
        assert not view.settled(tx, last - timedelta(minutes=4))
        assert not view.settled(tx, NOW)


def test_the_weeks_now_summed_from_the_week_counters_are_those_of_the_intervals(
    year: Year,
) -> None:
    for school_year in ("2025-2026", "2026-2027", "2027-2028"):
        for region in (None, UT, NH, GE):
            options: dict[str, Any] = {"school_year": school_year, "region": region}
            now = year.figures(**options)["weeks"]
            assert now == year.figures(as_of=NOW, **options)["weeks"]
    assert any(w["registered"] for w in year.figures()["weeks"])


def test_referrals_are_counted_by_their_destination(year: Year) -> None:
    # F was referred to the Geschillencommissie on 26 October.
    for f in (year.figures(), year.figures(as_of=NOW)):
        assert nonzero(f["referrals"]) == {"geschillencommissie": 1}
        assert set(f["referrals"]) == {
            "samenwerkingsverband",
            "geschillencommissie",
            "leerplicht",
            "other",
        }
        assert f["referrals_complete"] is True
    assert nonzero(year.figures(as_of=MID_OCTOBER)["referrals"]) == {}
    assert nonzero(year.figures(region=NH)["referrals"]) == {}


def test_a_version_built_before_the_destinations_says_so_until_rebuilt(
    own_year: Year, service: CaseService
) -> None:
    own_year.runner.catch_up()
    view = DashboardView.of(own_year.runner.version)
    with own_year.read_db.transaction() as tx:
        tx.execute("ALTER TABLE {t} DROP COLUMN referred_to", t=view.cases)
        tx.execute("DROP TABLE {t}", t=view.counter_rules)

    again = ProjectionRunner(service, own_year.read_db, DashboardProjection)

    assert again.version == own_year.runner.version
    partial = own_year.figures()
    assert partial["referrals_complete"] is False
    assert nonzero(partial["referrals"]) == {}
    assert partial["intake_outcomes"]["referred"] == 1
    rebuild(service, own_year.read_db, DashboardProjection, compare=False)
    own_year.runner = ProjectionRunner(service, own_year.read_db, DashboardProjection)
    rebuilt = own_year.figures()
    assert rebuilt["referrals_complete"] is True
    assert nonzero(rebuilt["referrals"]) == {"geschillencommissie": 1}
