"""The audit trail's field names in Dutch, as the replay page shows them."""

from __future__ import annotations

from typing import Any

import pytest

from web.trail_fields import field_name, value_kind


def t(text: str, **values: Any) -> str:
    return text % values if values else text


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("pupil", "Leerling"),
        ("activities.0.summary", "Activiteit 1: samenvatting"),
        ("activities.11.parties", "Activiteit 12: betrokkenen"),
        ("resumptions.1.reason", "Hervatting 2: reden"),
        (
            "prerequisites.school_conversation.date",
            "Voorwaarde gesprek met de school: datum",
        ),
        ("intake.referred_to", "Intake: verwezen naar"),
        ("outcome.education_status", "Afsluiting: onderwijssituatie"),
        ("legal_hold.lifted_reason", "Juridische blokkade: reden van opheffen"),
    ],
)
def test_a_trail_field_reads_as_its_dutch_name(key: str, name: str) -> None:
    assert field_name(key, t) == name


@pytest.mark.parametrize(
    "key", ["no_such_field", "activities.x.summary", "intake.nothing", "a.b.c.d"]
)
def test_a_field_the_names_do_not_know_reads_as_its_key(key: str) -> None:
    assert field_name(key, t) == key


def test_every_field_the_trail_records_has_a_dutch_name() -> None:
    """The whole names the audit trail's handlers write (dict keys in its
    source), each known here; the numbered and per-step ones are above."""
    import inspect
    import re

    import projections.audit_trail as trail

    source = inspect.getsource(trail)
    keys = set(re.findall(r'^\s+"([a-z_]+(?:\.[a-z_]+)*)":', source, re.MULTILINE))
    unknown = sorted(k for k in keys if field_name(k, t) == k)
    assert unknown == []


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("status", "status"),
        ("outcome.outcome", "outcome"),
        ("activities.3.kind", "activity"),
        ("legal_hold.reason", "hold_reason"),
        ("pupil", None),
        ("activities.3.summary", None),
    ],
)
def test_a_field_of_codes_names_the_kind_of_its_values(
    key: str, kind: str | None
) -> None:
    assert value_kind(key) == kind
