"""Tests for a case's deadline clocks as computed from its Timeline."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from domain.calendar import WorkingDayCalendar
from domain.deadlines import (
    ClockState,
    Deadline,
    add_months,
    compute_deadlines,
    days_at_home,
)
from domain.timeline import Timeline

CALENDAR = WorkingDayCalendar()

# Registered Tuesday 1 Sep 2026: the six-week intake norm is due Tuesday 13 Oct.
REGISTERED = date(2026, 9, 1)
INTAKE_DUE = date(2026, 10, 13)
# Assigned Monday 2 Nov 2026: first contact is due five working days later.
ASSIGNED = date(2026, 11, 2)
FIRST_CONTACT_DUE = date(2026, 11, 9)


def clock(t: Timeline, today: date, name: str, **kwargs: int) -> Deadline:
    found = [
        d for d in compute_deadlines(t, CALENDAR, today, **kwargs) if d.name == name
    ]
    assert len(found) == 1
    return found[0]


def assigned(**changes: Any) -> Timeline:
    """A case past intake and assigned on ``ASSIGNED``, with ``changes`` applied."""
    base = Timeline(
        registered_on=REGISTERED,
        intake_decided_on=date(2026, 9, 20),
        assigned_on=ASSIGNED,
    )
    return replace(base, **changes)


# -- which clocks apply ------------------------------------------------------------


def test_a_new_case_has_only_the_intake_clock() -> None:
    t = Timeline(registered_on=REGISTERED)
    names = [d.name for d in compute_deadlines(t, CALENDAR, date(2026, 9, 2))]
    assert names == ["intake"]


def test_all_clocks_appear_in_a_fixed_order_when_they_apply() -> None:
    t = Timeline(
        registered_on=REGISTERED,
        at_home_since=date(2026, 8, 20),
        school_decision_on=date(2026, 8, 28),
        assigned_on=ASSIGNED,
    )
    names = [d.name for d in compute_deadlines(t, CALENDAR, date(2026, 11, 3))]
    assert names == ["intake", "first_contact", "thuiszitter_3_months", "gpo_window"]


# -- intake ----------------------------------------------------------------------


def test_intake_is_due_six_weeks_after_registration() -> None:
    d = clock(Timeline(registered_on=REGISTERED), date(2026, 9, 10), "intake")
    assert (d.started_on, d.due, d.state, d.met_on) == (
        REGISTERED,
        INTAKE_DUE,
        ClockState.RUNNING,
        None,
    )


def test_intake_norm_weeks_can_be_changed() -> None:
    t = Timeline(registered_on=REGISTERED)
    d = clock(t, date(2026, 9, 2), "intake", intake_norm_weeks=4)
    assert d.due == date(2026, 9, 29)


def test_intake_is_at_risk_within_seven_days_of_the_due_date() -> None:
    t = Timeline(registered_on=REGISTERED)
    assert clock(t, date(2026, 10, 5), "intake").state is ClockState.RUNNING
    assert clock(t, date(2026, 10, 6), "intake").state is ClockState.AT_RISK
    assert clock(t, INTAKE_DUE, "intake").state is ClockState.AT_RISK


def test_intake_is_missed_the_day_after_the_due_date() -> None:
    t = Timeline(registered_on=REGISTERED)
    assert clock(t, date(2026, 10, 14), "intake").state is ClockState.MISSED


def test_intake_decided_on_time_is_met_on_the_decision_day() -> None:
    t = Timeline(registered_on=REGISTERED, intake_decided_on=INTAKE_DUE)
    d = clock(t, date(2026, 12, 1), "intake")
    assert (d.state, d.met_on) == (ClockState.MET, INTAKE_DUE)


def test_intake_decided_late_is_missed_with_the_decision_day() -> None:
    t = Timeline(registered_on=REGISTERED, intake_decided_on=date(2026, 10, 14))
    d = clock(t, date(2026, 12, 1), "intake")
    assert (d.state, d.met_on) == (ClockState.MISSED, date(2026, 10, 14))


def test_a_case_ended_before_intake_in_time_reads_ended_not_met() -> None:
    t = Timeline(registered_on=REGISTERED, ended_on=date(2026, 10, 1))
    d = clock(t, date(2026, 12, 1), "intake")
    assert (d.state, d.met_on) == (ClockState.ENDED, None)


def test_a_case_ended_before_intake_too_late_is_missed() -> None:
    t = Timeline(registered_on=REGISTERED, ended_on=date(2026, 10, 20))
    d = clock(t, date(2026, 12, 1), "intake")
    assert (d.state, d.met_on) == (ClockState.MISSED, None)


def test_an_open_suspension_pauses_the_intake_clock() -> None:
    t = Timeline(registered_on=REGISTERED).suspended(date(2026, 9, 15))
    d = clock(t, date(2026, 12, 1), "intake")
    assert (d.due, d.state) == (None, ClockState.PAUSED)


def test_resuming_pushes_the_intake_due_date_by_the_pause_length() -> None:
    t = (
        Timeline(registered_on=REGISTERED)
        .suspended(date(2026, 9, 15))
        .resumed(date(2026, 9, 25))
    )
    d = clock(t, date(2026, 10, 14), "intake")
    assert (d.due, d.state) == (date(2026, 10, 23), ClockState.RUNNING)


def test_a_suspension_after_the_intake_decision_does_not_move_its_due_date() -> None:
    t = (
        Timeline(registered_on=REGISTERED, intake_decided_on=date(2026, 9, 10))
        .suspended(date(2026, 9, 15))
        .resumed(date(2026, 9, 25))
    )
    d = clock(t, date(2026, 12, 1), "intake")
    assert (d.due, d.state) == (INTAKE_DUE, ClockState.MET)


def test_a_case_ended_while_suspended_stops_the_intake_clock_as_ended() -> None:
    # Suspended with 28 days to go and closed long after: the clock never ran out.
    t = Timeline(registered_on=REGISTERED, ended_on=date(2026, 12, 1)).suspended(
        date(2026, 9, 15)
    )
    d = clock(t, date(2026, 12, 2), "intake")
    assert (d.due, d.state) == (date(2026, 12, 29), ClockState.ENDED)


# -- first contact -----------------------------------------------------------------


def test_first_contact_does_not_apply_before_assignment() -> None:
    t = Timeline(registered_on=REGISTERED, intake_decided_on=date(2026, 9, 20))
    names = [d.name for d in compute_deadlines(t, CALENDAR, date(2026, 11, 3))]
    assert "first_contact" not in names


def test_first_contact_is_due_five_working_days_after_assignment() -> None:
    d = clock(assigned(), date(2026, 11, 3), "first_contact")
    assert (d.started_on, d.due, d.state) == (
        ASSIGNED,
        FIRST_CONTACT_DUE,
        ClockState.RUNNING,
    )


def test_first_contact_due_skips_kings_day_and_the_weekend() -> None:
    t = assigned(assigned_on=date(2026, 4, 22))
    assert clock(t, date(2026, 4, 23), "first_contact").due == date(2026, 4, 30)


def test_first_contact_is_at_risk_with_two_working_days_left() -> None:
    t = assigned()
    assert clock(t, date(2026, 11, 4), "first_contact").state is ClockState.RUNNING
    assert clock(t, date(2026, 11, 5), "first_contact").state is ClockState.AT_RISK
    # Friday: only Monday, the due day, is left; the weekend does not count.
    assert clock(t, date(2026, 11, 6), "first_contact").state is ClockState.AT_RISK
    assert clock(t, FIRST_CONTACT_DUE, "first_contact").state is ClockState.AT_RISK


def test_first_contact_at_risk_threshold_can_be_changed() -> None:
    d = clock(assigned(), date(2026, 11, 4), "first_contact", at_risk_working_days=3)
    assert d.state is ClockState.AT_RISK


def test_first_contact_is_missed_the_day_after_the_due_date() -> None:
    d = clock(assigned(), date(2026, 11, 10), "first_contact")
    assert d.state is ClockState.MISSED


def test_first_contact_made_in_time_is_met() -> None:
    t = assigned(first_activity_on=FIRST_CONTACT_DUE)
    d = clock(t, date(2026, 12, 1), "first_contact")
    assert (d.state, d.met_on) == (ClockState.MET, FIRST_CONTACT_DUE)


def test_first_contact_made_late_is_missed() -> None:
    t = assigned(first_activity_on=date(2026, 11, 10))
    d = clock(t, date(2026, 12, 1), "first_contact")
    assert (d.state, d.met_on) == (ClockState.MISSED, date(2026, 11, 10))


def test_a_case_ended_before_first_contact_in_time_reads_ended_without_contact() -> (
    None
):
    d = clock(assigned(ended_on=date(2026, 11, 5)), date(2026, 12, 1), "first_contact")
    assert (d.state, d.met_on) == (ClockState.ENDED, None)


def test_a_case_ended_before_first_contact_is_missed_if_too_late() -> None:
    d = clock(assigned(ended_on=date(2026, 11, 12)), date(2026, 12, 1), "first_contact")
    assert (d.state, d.met_on) == (ClockState.MISSED, None)


def test_a_suspension_pauses_the_first_contact_clock() -> None:
    t = assigned().suspended(date(2026, 11, 4))
    d = clock(t, date(2026, 11, 20), "first_contact")
    assert (d.due, d.state) == (None, ClockState.PAUSED)


def test_resuming_restarts_the_first_contact_clock_where_it_stopped() -> None:
    # Suspended Wed-Fri: three working days did not count.
    t = assigned().suspended(date(2026, 11, 4)).resumed(date(2026, 11, 9))
    d = clock(t, date(2026, 11, 9), "first_contact")
    assert (d.due, d.state) == (date(2026, 11, 12), ClockState.RUNNING)


def test_a_suspension_after_first_contact_was_missed_leaves_it_missed() -> None:
    t = assigned().suspended(date(2026, 11, 11))
    d = clock(t, date(2026, 11, 20), "first_contact")
    assert (d.due, d.state) == (FIRST_CONTACT_DUE, ClockState.MISSED)


def test_a_reassignment_restarts_first_contact_from_the_later_assignment() -> None:
    # The first consultant's clock (due 9 Nov) would be missed by now.
    t = assigned(assigned_on=date(2026, 11, 16))
    d = clock(t, date(2026, 11, 17), "first_contact")
    assert (d.started_on, d.due, d.state) == (
        date(2026, 11, 16),
        date(2026, 11, 23),
        ClockState.RUNNING,
    )


# -- thuiszitter -------------------------------------------------------------------


def test_the_thuiszitter_clock_does_not_apply_when_the_pupil_is_not_at_home() -> None:
    names = [d.name for d in compute_deadlines(assigned(), CALENDAR, date(2026, 11, 3))]
    assert "thuiszitter_3_months" not in names


def test_the_thuiszitter_clock_runs_three_months_from_being_at_home() -> None:
    t = Timeline(registered_on=REGISTERED, at_home_since=date(2026, 8, 15))
    d = clock(t, date(2026, 9, 2), "thuiszitter_3_months")
    assert (d.started_on, d.due, d.state) == (
        date(2026, 8, 15),
        date(2026, 11, 15),
        ClockState.RUNNING,
    )


def test_the_thuiszitter_clock_clamps_to_the_end_of_a_shorter_month() -> None:
    for since, due in [
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),  # a leap year
        (date(2026, 8, 31), date(2026, 11, 30)),
    ]:
        t = Timeline(registered_on=since, at_home_since=since)
        assert clock(t, since, "thuiszitter_3_months").due == due


def test_a_resumed_suspension_pushes_the_thuiszitter_clock() -> None:
    t = (
        Timeline(registered_on=date(2026, 12, 1), at_home_since=date(2026, 11, 30))
        .suspended(date(2027, 1, 10))
        .resumed(date(2027, 1, 20))
    )
    d = clock(t, date(2027, 2, 1), "thuiszitter_3_months")
    assert d.due == date(2027, 3, 10)


def test_the_thuiszitter_clock_is_at_risk_within_fourteen_days() -> None:
    t = Timeline(registered_on=REGISTERED, at_home_since=date(2026, 8, 15))
    name = "thuiszitter_3_months"
    assert clock(t, date(2026, 10, 31), name).state is ClockState.RUNNING
    assert clock(t, date(2026, 11, 1), name).state is ClockState.AT_RISK
    assert clock(t, date(2026, 11, 16), name).state is ClockState.MISSED


def test_an_open_suspension_pauses_the_thuiszitter_clock() -> None:
    t = Timeline(registered_on=REGISTERED, at_home_since=date(2026, 8, 15)).suspended(
        date(2026, 10, 1)
    )
    d = clock(t, date(2026, 12, 1), "thuiszitter_3_months")
    assert (d.due, d.state) == (None, ClockState.PAUSED)


def test_a_case_ended_within_three_months_ends_the_thuiszitter_clock() -> None:
    t = Timeline(
        registered_on=REGISTERED,
        at_home_since=date(2026, 8, 15),
        ended_on=date(2026, 11, 15),
    )
    d = clock(t, date(2026, 12, 1), "thuiszitter_3_months")
    assert (d.state, d.met_on) == (ClockState.ENDED, None)


def test_a_case_ended_after_three_months_misses_the_thuiszitter_clock() -> None:
    t = Timeline(
        registered_on=REGISTERED,
        at_home_since=date(2026, 8, 15),
        ended_on=date(2026, 11, 16),
    )
    d = clock(t, date(2026, 12, 1), "thuiszitter_3_months")
    assert (d.state, d.met_on) == (ClockState.MISSED, None)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_three_months_later_is_the_same_day_clamped_to_the_month_end(
    since: date,
) -> None:
    later = add_months(since, 3)
    assert (later.year * 12 + later.month) - (since.year * 12 + since.month) == 3
    month_length = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(since.day, month_length)


# -- GPO window ----------------------------------------------------------------------


def test_the_gpo_window_does_not_apply_without_a_school_decision() -> None:
    names = [d.name for d in compute_deadlines(assigned(), CALENDAR, date(2026, 11, 3))]
    assert "gpo_window" not in names


def test_the_gpo_window_closes_six_weeks_after_the_school_decision() -> None:
    t = Timeline(registered_on=REGISTERED, school_decision_on=date(2026, 9, 1))
    d = clock(t, date(2026, 9, 2), "gpo_window")
    assert (d.started_on, d.due, d.state) == (
        date(2026, 9, 1),
        date(2026, 10, 13),
        ClockState.RUNNING,
    )


def test_the_gpo_window_is_at_risk_in_its_last_week_and_then_missed() -> None:
    t = Timeline(registered_on=REGISTERED, school_decision_on=date(2026, 9, 1))
    assert clock(t, date(2026, 10, 5), "gpo_window").state is ClockState.RUNNING
    assert clock(t, date(2026, 10, 6), "gpo_window").state is ClockState.AT_RISK
    assert clock(t, date(2026, 10, 14), "gpo_window").state is ClockState.MISSED


def test_an_open_suspension_pauses_the_gpo_window() -> None:
    t = Timeline(
        registered_on=REGISTERED, school_decision_on=date(2026, 9, 1)
    ).suspended(date(2026, 9, 10))
    d = clock(t, date(2026, 11, 1), "gpo_window")
    assert (d.due, d.state) == (None, ClockState.PAUSED)


def test_a_case_ended_within_the_gpo_window_ends_it() -> None:
    t = Timeline(
        registered_on=REGISTERED,
        school_decision_on=date(2026, 9, 1),
        ended_on=date(2026, 10, 13),
    )
    d = clock(t, date(2026, 11, 1), "gpo_window")
    assert (d.state, d.met_on) == (ClockState.ENDED, None)


def test_a_case_ended_after_the_gpo_window_misses_it() -> None:
    t = Timeline(
        registered_on=REGISTERED,
        school_decision_on=date(2026, 9, 1),
        ended_on=date(2026, 10, 14),
    )
    assert clock(t, date(2026, 11, 1), "gpo_window").state is ClockState.MISSED


# -- days at home and serialisation -------------------------------------------------


def test_days_at_home_is_none_when_the_pupil_is_not_at_home() -> None:
    assert days_at_home(Timeline(registered_on=REGISTERED), date(2026, 9, 2)) is None


def test_days_at_home_counts_to_today_and_is_not_paused_by_a_suspension() -> None:
    t = Timeline(registered_on=REGISTERED, at_home_since=date(2026, 8, 15)).suspended(
        date(2026, 9, 10)
    )
    assert days_at_home(t, date(2026, 9, 15)) == 31


def test_days_at_home_stops_counting_when_the_case_ends() -> None:
    t = Timeline(
        registered_on=REGISTERED,
        at_home_since=date(2026, 8, 15),
        ended_on=date(2026, 9, 1),
    )
    assert days_at_home(t, date(2026, 12, 1)) == 17


def test_a_deadline_as_dict_gives_iso_dates_and_the_state_name() -> None:
    d = Deadline(
        "first_contact",
        ASSIGNED,
        FIRST_CONTACT_DUE,
        ClockState.MET,
        date(2026, 11, 5),
    )
    assert d.as_dict() == {
        "name": "first_contact",
        "started_on": "2026-11-02",
        "due": "2026-11-09",
        "state": "met",
        "met_on": "2026-11-05",
    }
    paused = Deadline("intake", REGISTERED, None, ClockState.PAUSED, None)
    assert paused.as_dict()["due"] is None
    assert paused.as_dict()["met_on"] is None


def test_the_case_list_s_next_due_date_counts_with_the_intake_norm_setting() -> None:
    from projections.case_list import CaseListProjection, next_due
    from projections.registry import all_projections

    t = Timeline(registered_on=REGISTERED)

    assert next_due(t) == INTAKE_DUE.isoformat()
    assert next_due(t, 8) == (REGISTERED + timedelta(weeks=8)).isoformat()
    configured = all_projections(intake_norm_weeks=8)["case_list"]
    assert issubclass(configured, CaseListProjection)
    assert configured.intake_norm_weeks == 8
