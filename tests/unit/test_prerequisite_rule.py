"""The versioned prerequisite rule (domain.md, "A case's life", step 2)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.prerequisites import (
    RULE_VERSION,
    PrerequisiteDecision,
    PrerequisiteInputs,
    decide,
    required_steps,
)
from domain.values import Sector, Step

SCHOOL = Step.SCHOOL_CONVERSATION
SWV = Step.SAMENWERKINGSVERBAND_CONTACT
BOTH = frozenset({SCHOOL, SWV})
NONE: frozenset[Step] = frozenset()


def inputs(
    *,
    sector: Sector = Sector.PO,
    school_cluster: int | None = None,
    receives_education: bool = True,
    recorded: frozenset[Step] = NONE,
    waived: frozenset[Step] = NONE,
) -> PrerequisiteInputs:
    return PrerequisiteInputs(
        sector=sector,
        school_cluster=school_cluster,
        receives_education=receives_education,
        recorded=recorded,
        waived=waived,
    )


# --- required_steps ----------------------------------------------------------------


def test_rule_version_is_2015_1() -> None:
    assert RULE_VERSION == "2015.1"


@pytest.mark.parametrize(
    "sector", [Sector.PO, Sector.SBO, Sector.SO, Sector.VO, Sector.VSO]
)
@pytest.mark.parametrize("cluster", [None, 3, 4])
def test_both_steps_are_required_for_a_pupil_in_education_outside_mbo_and_cluster_1_2(
    sector: Sector, cluster: int | None
) -> None:
    assert required_steps(sector, cluster, True) == BOTH


@pytest.mark.parametrize("cluster", [None, 1, 2, 3, 4])
@pytest.mark.parametrize("receives_education", [True, False])
def test_samenwerkingsverband_contact_is_not_required_in_mbo(
    cluster: int | None, receives_education: bool
) -> None:
    assert required_steps(Sector.MBO, cluster, receives_education) == {SCHOOL}


@pytest.mark.parametrize("sector", list(Sector))
@pytest.mark.parametrize("cluster", [1, 2])
def test_samenwerkingsverband_contact_is_not_required_for_cluster_1_and_2_schools(
    sector: Sector, cluster: int
) -> None:
    assert required_steps(sector, cluster, True) == {SCHOOL}


@pytest.mark.parametrize("sector", list(Sector))
@pytest.mark.parametrize("cluster", [None, 1, 2, 3, 4])
def test_samenwerkingsverband_contact_is_not_required_without_any_education(
    sector: Sector, cluster: int | None
) -> None:
    assert required_steps(sector, cluster, False) == {SCHOOL}


@given(
    sector=st.sampled_from(Sector),
    cluster=st.sampled_from([None, 1, 2, 3, 4]),
    receives_education=st.booleans(),
)
def test_the_school_conversation_is_always_required(
    sector: Sector, cluster: int | None, receives_education: bool
) -> None:
    required = required_steps(sector, cluster, receives_education)

    assert SCHOOL in required
    assert required <= BOTH
    assert (SWV in required) == (
        sector != Sector.MBO and cluster not in (1, 2) and receives_education
    )


# --- decide ------------------------------------------------------------------------


def test_nothing_recorded_leaves_every_required_step_outstanding() -> None:
    decision = decide(inputs())

    assert decision.rule_version == RULE_VERSION
    assert decision.required == BOTH
    assert decision.outstanding == BOTH
    assert not decision.met


def test_one_of_two_required_steps_recorded_is_not_met() -> None:
    decision = decide(inputs(recorded=frozenset({SCHOOL})))

    assert decision.outstanding == {SWV}
    assert not decision.met


def test_all_required_steps_recorded_is_met() -> None:
    decision = decide(inputs(recorded=BOTH))

    assert decision.outstanding == NONE
    assert decision.met


def test_a_waived_step_counts_as_done() -> None:
    decision = decide(inputs(recorded=frozenset({SCHOOL}), waived=frozenset({SWV})))

    assert decision.met


def test_every_step_waived_is_met() -> None:
    assert decide(inputs(waived=BOTH)).met


def test_school_conversation_alone_is_met_where_only_it_is_required() -> None:
    decision = decide(inputs(sector=Sector.MBO, recorded=frozenset({SCHOOL})))

    assert decision.required == {SCHOOL}
    assert decision.met


def test_a_step_that_is_not_required_does_not_make_up_for_a_missing_one() -> None:
    decision = decide(inputs(sector=Sector.MBO, recorded=frozenset({SWV})))

    assert decision.outstanding == {SCHOOL}
    assert not decision.met


def test_decision_records_the_inputs_it_decided_on() -> None:
    given_inputs = inputs(
        sector=Sector.SO, school_cluster=3, recorded=frozenset({SCHOOL})
    )

    assert decide(given_inputs).inputs == given_inputs


def test_decision_as_dict_records_rule_version_requirement_and_inputs() -> None:
    decision = decide(
        inputs(
            sector=Sector.VSO,
            school_cluster=4,
            receives_education=True,
            recorded=frozenset({SCHOOL}),
            waived=frozenset({SWV}),
        )
    )

    assert decision.as_dict() == {
        "rule_version": "2015.1",
        "required": ["samenwerkingsverband_contact", "school_conversation"],
        "outstanding": [],
        "inputs": {
            "sector": "vso",
            "school_cluster": 4,
            "receives_education": True,
            "recorded": ["school_conversation"],
            "waived": ["samenwerkingsverband_contact"],
        },
    }


def test_decision_as_dict_lists_what_is_still_outstanding() -> None:
    decision = decide(inputs(receives_education=False))

    assert decision.as_dict() == {
        "rule_version": "2015.1",
        "required": ["school_conversation"],
        "outstanding": ["school_conversation"],
        "inputs": {
            "sector": "po",
            "school_cluster": None,
            "receives_education": False,
            "recorded": [],
            "waived": [],
        },
    }


steps = st.frozensets(st.sampled_from(Step))
any_inputs = st.builds(
    PrerequisiteInputs,
    sector=st.sampled_from(Sector),
    school_cluster=st.sampled_from([None, 1, 2, 3, 4]),
    receives_education=st.booleans(),
    recorded=steps,
    waived=steps,
)


@given(any_inputs)
def test_outstanding_is_required_minus_recorded_and_waived(
    given_inputs: PrerequisiteInputs,
) -> None:
    decision = decide(given_inputs)

    assert decision.required == required_steps(
        given_inputs.sector,
        given_inputs.school_cluster,
        given_inputs.receives_education,
    )
    assert decision.outstanding == (
        decision.required - given_inputs.recorded - given_inputs.waived
    )
    assert decision.met == (not decision.outstanding)
    assert decision.rule_version == RULE_VERSION


@given(any_inputs)
def test_decide_is_pure_and_its_record_is_plain_json(
    given_inputs: PrerequisiteInputs,
) -> None:
    first = decide(given_inputs)
    second = decide(given_inputs)

    assert first == second
    record = first.as_dict()
    assert record == second.as_dict()
    assert record["inputs"] == given_inputs.as_dict()
    assert record["rule_version"] == RULE_VERSION
    # Lists are sorted so that the stored record does not depend on set order.
    for key in ("required", "outstanding"):
        assert record[key] == sorted(record[key])
    for key in ("recorded", "waived"):
        assert record["inputs"][key] == sorted(record["inputs"][key])
    assert all(isinstance(s, str) for s in record["required"])


@given(any_inputs)
def test_recording_more_steps_never_unmeets_the_prerequisites(
    given_inputs: PrerequisiteInputs,
) -> None:
    if not decide(given_inputs).met:
        return
    for extra in Step:
        more = PrerequisiteInputs(
            sector=given_inputs.sector,
            school_cluster=given_inputs.school_cluster,
            receives_education=given_inputs.receives_education,
            recorded=given_inputs.recorded | {extra},
            waived=given_inputs.waived,
        )
        assert decide(more).met


def test_decision_is_a_frozen_value() -> None:
    decision = decide(inputs())

    assert isinstance(decision, PrerequisiteDecision)
    with pytest.raises(AttributeError):
        decision.rule_version = "2099.1"  # type: ignore[misc]
