"""The prerequisite rule (aanmelden): which steps must precede a consultant, versioned.

A pure function of the case's facts. "Prerequisites met" records the rule's
version and the inputs it decided on, so an auditor can see why a case went on,
and a later rule change never rewrites why an earlier case went on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.values import Sector, Step

RULE_VERSION = "2015.1"


@dataclass(frozen=True)
class PrerequisiteInputs:
    """The facts the rule decides on."""

    sector: Sector
    school_cluster: int | None
    receives_education: bool
    recorded: frozenset[Step]
    waived: frozenset[Step]

    def as_dict(self) -> dict[str, Any]:
        return {
            "sector": str(self.sector),
            "school_cluster": self.school_cluster,
            "receives_education": self.receives_education,
            "recorded": sorted(str(s) for s in self.recorded),
            "waived": sorted(str(s) for s in self.waived),
        }


@dataclass(frozen=True)
class PrerequisiteDecision:
    rule_version: str
    required: frozenset[Step]
    outstanding: frozenset[Step]
    inputs: PrerequisiteInputs

    @property
    def met(self) -> bool:
        return not self.outstanding

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_version": self.rule_version,
            "required": sorted(str(s) for s in self.required),
            "outstanding": sorted(str(s) for s in self.outstanding),
            "inputs": self.inputs.as_dict(),
        }


def required_steps(
    sector: Sector, school_cluster: int | None, receives_education: bool
) -> frozenset[Step]:
    """Rule 2015.1: a school conversation always; contact with the
    samenwerkingsverband except in mbo, for cluster 1 and 2 schools (their
    support is organised nationally, not by a samenwerkingsverband), and for a
    pupil at home without any education."""
    steps = {Step.SCHOOL_CONVERSATION}
    swv_applies = (
        sector != Sector.MBO and school_cluster not in (1, 2) and receives_education
    )
    if swv_applies:
        steps.add(Step.SAMENWERKINGSVERBAND_CONTACT)
    return frozenset(steps)


def decide(inputs: PrerequisiteInputs) -> PrerequisiteDecision:
    required = required_steps(
        inputs.sector, inputs.school_cluster, inputs.receives_education
    )
    return PrerequisiteDecision(
        rule_version=RULE_VERSION,
        required=required,
        outstanding=required - inputs.recorded - inputs.waived,
        inputs=inputs,
    )
