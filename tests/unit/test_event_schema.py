"""Stored events keep loading as the event classes evolve (class_version, upcasters)."""

from __future__ import annotations

import json
from uuid import uuid4

from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import get_topic

from domain.case import Case
from domain.sealing import KeyRing, SealedPersonal
from domain.sealing_mapper import SealingMapper
from domain.transcodings import register_domain_transcodings


class NoKeys(KeyRing):
    """Only for events whose personal values are empty: no key is ever read."""

    def key_for(self, case_id: object) -> bytes | None:
        raise AssertionError("no key needed")

    def destroy(self, case_id: object) -> None:
        raise AssertionError("not used")


def mapper() -> SealingMapper:
    transcoder = JSONTranscoder()
    register_domain_transcodings(transcoder)
    personal = SealedPersonal(NoKeys)
    transcoder.register(personal)
    return SealingMapper(transcoder, personal)


def test_a_version_1_registration_loads_with_the_field_version_2_added() -> None:
    none = {"_type_": "personal", "_data_": {"none": True}}
    v1_state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2024-03-01T09:00:00+00:00"},
        "originator_topic": get_topic(Case),
        "by": {"_type_": "actor", "_data_": {"user_id": "u", "role": "intake"}},
        "reference": "OC-2024-00001",
        "channel": "phone",
        "requester_role": "parent",
        "requester": none,
        "consent_given": True,
        "pupil": none,
        "municipality": None,
        "pc4": None,
        "school_name": None,
        "brin": None,
        "cluster": None,
        "sector": "vo",
        "samenwerkingsverband": None,
        "region": "utrecht",
        "category": "schorsing",
        "service": "onderwijsconsulent",
        "at_home_since": None,
        "receives_education": True,
        "account": none,
    }
    stored = StoredEvent(
        originator_id=uuid4(),
        originator_version=1,
        topic=get_topic(Case.Registered),
        state=json.dumps(v1_state).encode(),
    )

    event = mapper().to_domain_event(stored)
    case = event.mutate(None)  # type: ignore[attr-defined]

    assert isinstance(case, Case)
    assert case.school_decision_on is None
    assert case.region == "utrecht"
    assert case.timeline.registered_on.isoformat() == "2024-03-01"


def test_new_registrations_are_stored_as_version_2() -> None:
    assert Case.Registered.class_version == 2
