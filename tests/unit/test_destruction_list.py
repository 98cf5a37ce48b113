"""The destruction list's rules (domain/destruction.py) and the file number a
hold or a removal may carry (domain/legal_hold.py), without a store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.destruction import (
    DestructionList,
    ListKind,
    ListState,
    Outcome,
    retention_rule,
)
from domain.errors import DestructionError, InvalidCaseData, NotPermitted
from domain.legal_hold import check_file_reference
from domain.values import SYSTEM_ACTOR, Actor, HoldReason, Role
from tests.support.samples import COORDINATOR

RECORDS = Actor("records-1", Role.RECORD_MANAGER)
PRIVACY = Actor("privacy-1", Role.PRIVACY_OFFICER)
NOW = datetime(2026, 11, 2, 9, tzinfo=UTC)
CASES = [uuid4() for _ in range(3)]


def proposed() -> DestructionList:
    return DestructionList.propose(
        list_id=uuid4(),
        kind=ListKind.RETENTION,
        rule=retention_rule(2, NOW.date()),
        cases=[
            {
                "case_id": str(c),
                "reference": f"OC-2023-0000{i}",
                "ended_on": "2023-03-01",
            }
            for i, c in enumerate(CASES, 1)
        ],
        by=SYSTEM_ACTOR,
        now=NOW,
    )


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_the_rule_is_the_day_the_retention_period_ago_even_from_29_february() -> None:
    assert retention_rule(2, date(2026, 11, 2))["ended_before"] == "2024-11-02"
    assert retention_rule(1, date(2028, 2, 29))["ended_before"] == "2027-02-28"


def test_nothing_due_makes_no_list() -> None:
    with pytest.raises(DestructionError) as refused:
        DestructionList.propose(
            list_id=uuid4(),
            kind=ListKind.RETENTION,
            rule=retention_rule(2, NOW.date()),
            cases=[],
            by=SYSTEM_ACTOR,
            now=NOW,
        )
    assert refused.value.rule == "nothing-due"


def test_a_list_runs_only_after_review_and_approval_by_someone_else() -> None:
    lst = proposed()
    with pytest.raises(DestructionError):
        lst.approve(by=PRIVACY, now=later(1))
    with pytest.raises(DestructionError):
        lst.record_done(CASES[0], Outcome.ERASED, by=SYSTEM_ACTOR, now=later(1))
    with pytest.raises(NotPermitted):
        lst.finish_review(by=COORDINATOR, now=later(1))
    lst.remove_case(CASES[0], HoldReason.COMPLAINT, "kl-1", by=RECORDS, now=later(2))
    lst.finish_review(by=RECORDS, now=later(3))
    with pytest.raises(DestructionError) as late:
        lst.remove_case(CASES[1], HoldReason.COMPLAINT, None, by=RECORDS, now=later(4))
    assert late.value.rule == "list-state"
    with pytest.raises(DestructionError) as same:
        lst.approve(by=Actor("records-1", Role.PRIVACY_OFFICER), now=later(4))
    assert same.value.rule == "four-eyes"
    lst.approve(by=PRIVACY, now=later(5))
    assert lst.to_run == [str(CASES[1]), str(CASES[2])]

    lst.record_done(CASES[1], Outcome.ERASED, by=SYSTEM_ACTOR, now=later(6))
    assert lst.state == ListState.APPROVED
    with pytest.raises(DestructionError) as twice:
        lst.record_done(CASES[1], Outcome.ERASED, by=SYSTEM_ACTOR, now=later(6))
    assert twice.value.rule == "not-waiting"
    lst.record_done(
        CASES[2], Outcome.SKIPPED, by=SYSTEM_ACTOR, now=later(7), rule="legal-hold"
    )
    assert lst.state == ListState.COMPLETED

    certificate = lst.certificate()
    assert [c["outcome"] for c in certificate["cases"]] == ["erased", "skipped"]
    assert certificate["removed"][0]["file_reference"] == "KL-1"
    assert certificate["approved"]["by"] == "privacy-1"


@pytest.mark.parametrize("given", ["KL-2026-014", " rb-2026/123 ", "2026.7"])
def test_a_file_number_is_kept_in_capitals(given: str) -> None:
    assert check_file_reference(given) == given.strip().upper()


@pytest.mark.parametrize("given", ["mevrouw Jansen", "Jansen", "KL_1", "A" * 41 + "1"])
def test_a_file_number_that_could_be_a_name_is_refused(given: str) -> None:
    with pytest.raises(InvalidCaseData) as refused:
        check_file_reference(given)
    assert refused.value.field == "file_reference"


def test_no_file_number_is_none() -> None:
    assert check_file_reference("  ") is None
    assert check_file_reference(None) is None
