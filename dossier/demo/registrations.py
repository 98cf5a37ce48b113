"""Registrations: one maker for every generator of made-up cases (the demo's
and the bulk loader's), and the demo's draws of realistic ones.

The maker holds what any registration follows from: the region, municipality
and samenwerkingsverband from the pupil's postcode and sector, the service from
the category. Each generator draws the rest in its own order, so that a seed
keeps giving the data it gave.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta

from domain.regions import postcode_areas, region_of_code, suggest
from domain.registration import Pupil, Registration, Requester, School
from domain.values import Category, Channel, Region, RequesterRole, Sector, Service
from dossier.demo.tables import (
    ACCOUNTS,
    ADULT_NAMES,
    AGES,
    CATEGORIES,
    CHANNELS,
    CHILD_NAMES,
    CLUSTERS,
    EMAIL_DOMAINS,
    LAST_NAMES,
    POPULATION,
    REQUESTERS,
    SCHOOL_KINDS,
    SCHOOL_NAMES,
    SECTORS,
    pick,
)


def service_for(category: Category) -> Service:
    """Onderwijszorgarrangementen go to the onderwijszorgconsulenten."""
    return (
        Service.ONDERWIJSZORGCONSULENT
        if category == Category.ONDERWIJSZORGARRANGEMENT
        else Service.ONDERWIJSCONSULENT
    )


def make_registration(
    *,
    sector: Sector,
    category: Category,
    pc4: str,
    pupil_name: str,
    birth_date: date,
    channel: Channel,
    requester: Requester,
    school: School,
    at_home_since: date | None,
    receives_education: bool,
    account: str,
    school_decision_on: date | None = None,
) -> Registration:
    """A registration with consent, placed by the pupil's postcode and sector."""
    area = suggest(pc4, sector)
    assert area is not None
    assert area.region is not None
    return Registration(
        channel=channel,
        requester=requester,
        consent_given=True,
        pupil=Pupil(
            name=pupil_name,
            birth_date=birth_date,
            municipality=area.municipality,
            pc4=pc4,
        ),
        school=school,
        sector=sector,
        # mbo has no samenwerkingsverband of its own (domain.md).
        samenwerkingsverband=(
            None if sector == Sector.MBO else area.samenwerkingsverband
        ),
        region=area.region,
        category=category,
        service=service_for(category),
        at_home_since=at_home_since,
        receives_education=receives_education,
        account=account,
        school_decision_on=school_decision_on,
    )


class DemoRegistrations:
    """Draws the demo's people and registrations, spread as the bureau's are."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        by_region: dict[Region, list[str]] = {r: [] for r in Region}
        for area in postcode_areas().values():
            # Areas without a code (the Europoort port area) have no pupils.
            if area.po_swv and area.vo_swv:
                by_region[region_of_code(area.po_swv)].append(area.pc4)
        self.pc4_by_region = by_region

    def person(self, names: Sequence[str], last: str | None = None) -> str:
        return f"{self.rng.choice(names)} {last or self.rng.choice(LAST_NAMES)}"

    def registration(self, today: date) -> Registration:
        rng = self.rng
        sector = pick(rng, SECTORS)
        category = pick(rng, CATEGORIES)
        region = pick(rng, POPULATION)
        pc4 = rng.choice(self.pc4_by_region[region])
        low, high = AGES[sector]
        age = rng.randint(low, high)
        birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
        family = rng.choice(LAST_NAMES)
        pupil_name = self.person(CHILD_NAMES, family)
        return make_registration(
            sector=sector,
            category=category,
            pc4=pc4,
            pupil_name=pupil_name,
            birth_date=birth,
            channel=pick(rng, CHANNELS),
            requester=self.requester(family, age),
            school=self.school(sector),
            at_home_since=self.at_home_since(category, today),
            receives_education=not (
                category == Category.THUISZITTER and rng.random() < 0.55
            ),
            account=rng.choice(ACCOUNTS[category]),
            school_decision_on=self.school_decision(category, today),
        )

    def requester(self, family: str, pupil_age: int) -> Requester:
        rng = self.rng
        role = pick(rng, REQUESTERS)
        if role == RequesterRole.PUPIL and pupil_age < 16:
            role = RequesterRole.PARENT  # a young child does not register itself
        if role == RequesterRole.PUPIL:
            name = self.person(CHILD_NAMES, family)
        elif role in (RequesterRole.PARENT, RequesterRole.GUARDIAN):
            name = self.person(ADULT_NAMES, family if rng.random() < 0.7 else None)
        else:
            name = self.person(ADULT_NAMES)
        handle = "".join(c for c in name.lower() if c.isalpha() or c == " ")
        email = (
            f"{handle.replace(' ', '.')}@{rng.choice(EMAIL_DOMAINS)}"
            if rng.random() < 0.8
            else None
        )
        phone = f"06-00{rng.randint(0, 999_999):06d}" if rng.random() < 0.7 else None
        return Requester(role=role, name=name, email=email, phone=phone)

    def school(self, sector: Sector) -> School:
        rng = self.rng
        kind = rng.choice(SCHOOL_KINDS[sector])
        base = rng.choice(SCHOOL_NAMES)
        name = f"{base} {kind}" if kind in ("College", "Lyceum") else f"{kind} {base}"
        brin = None
        if rng.random() < 0.85:
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXZ") for _ in range(2))
            brin = f"{rng.randint(0, 99):02d}{letters}"
        cluster = pick(rng, CLUSTERS) if sector in (Sector.SO, Sector.VSO) else None
        return School(name=name, brin=brin, cluster=cluster)

    def at_home_since(self, category: Category, today: date) -> date | None:
        rng = self.rng
        if category == Category.THUISZITTER:
            # At home for more than 4 weeks: most for one or two months, some
            # for half a year or more.
            low, high = rng.choices(((29, 60), (61, 180), (181, 365)), (6, 3, 1))[0]
            days = rng.randint(low, high)
        elif category == Category.SCHORSING and rng.random() < 0.4:
            days = rng.randint(1, 14)
        elif category == Category.VERWIJDERING and rng.random() < 0.3:
            days = rng.randint(7, 90)
        else:
            return None
        return today - timedelta(days=days)

    def school_decision(self, category: Category, today: date) -> date | None:
        chance = {
            Category.TOELATING: 0.5,
            Category.VERWIJDERING: 0.6,
            Category.SCHORSING: 0.3,
        }.get(category, 0.0)
        if self.rng.random() >= chance:
            return None
        return today - timedelta(days=self.rng.randint(3, 40))

    # a case's life
