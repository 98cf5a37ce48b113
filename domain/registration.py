"""What an aanmelding (registration) holds, and the rules its content must meet."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from domain import regions
from domain.errors import InvalidCaseData
from domain.values import Category, Channel, Region, RequesterRole, Sector, Service

BRIN = re.compile(r"^[0-9]{2}[A-Z]{2}([0-9]{2})?$")
PC4 = re.compile(r"^[1-9][0-9]{3}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,20}$")
OLDEST_PUPIL_AGE = 30  # mbo students up to their late twenties; beyond that, a typo
OLDEST_DECISION_DAYS = 731  # two years


@dataclass(frozen=True)
class Requester:
    role: RequesterRole
    name: str
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Pupil:
    name: str
    birth_date: date
    municipality: str | None = None
    pc4: str | None = None


@dataclass(frozen=True)
class School:
    name: str | None = None
    brin: str | None = None
    cluster: int | None = None


@dataclass(frozen=True)
class Registration:
    """Everything a case is registered with (api.md, "Register")."""

    channel: Channel
    requester: Requester
    consent_given: bool
    pupil: Pupil
    school: School
    sector: Sector
    samenwerkingsverband: str | None
    region: Region
    category: Category
    service: Service
    at_home_since: date | None
    receives_education: bool
    account: str
    school_decision_on: date | None = None

    def check(self, today: date) -> None:
        """Raise InvalidCaseData for the first rule this registration breaks."""
        check_consent(self.consent_given)
        check_text("requester.name", self.requester.name, 200)
        if self.requester.email is not None and not EMAIL.match(self.requester.email):
            raise InvalidCaseData("requester.email", "is not an e-mail address")
        if self.requester.phone is not None and not PHONE.match(self.requester.phone):
            raise InvalidCaseData("requester.phone", "is not a telephone number")
        check_text("pupil.name", self.pupil.name, 200)
        check_birth_date(self.pupil.birth_date, today)
        if self.pupil.pc4 is not None and (
            not PC4.match(self.pupil.pc4)
            or self.pupil.pc4 not in regions.postcode_areas()
        ):
            raise InvalidCaseData("pupil.pc4", "is not a Dutch 4-digit postcode area")
        if self.school.brin is not None and not BRIN.match(self.school.brin):
            raise InvalidCaseData(
                "school.brin", "is not a BRIN code (two digits, two capitals)"
            )
        if self.school.cluster is not None and self.school.cluster not in (1, 2, 3, 4):
            raise InvalidCaseData("school.cluster", "must be 1, 2, 3 or 4")
        check_samenwerkingsverband(self.samenwerkingsverband, self.sector)
        check_at_home(self.category, self.at_home_since, self.pupil.birth_date, today)
        check_school_decision(self.school_decision_on, self.pupil.birth_date, today)
        check_text("account", self.account, 10_000)


def check_consent(consent_given: bool) -> None:
    if consent_given is not True:
        raise InvalidCaseData(
            "consent_given",
            "a case may only be registered with the consent of the parents "
            "(or of the pupil when of age)",
        )


def check_text(field: str, value: str, max_length: int) -> None:
    if not value or not value.strip():
        raise InvalidCaseData(field, "must not be empty")
    if "\x00" in value:
        raise InvalidCaseData(field, "must not contain a NUL character")
    if len(value) > max_length:
        raise InvalidCaseData(field, f"is longer than {max_length} characters")


def check_school_decision(
    decided_on: date | None, birth_date: date, today: date
) -> None:
    """A school's decision on admission: not in the future, not before the
    pupil was born, and recent enough to matter here (the Geschillencommissie's
    window is 6 weeks; a decision older than two years is a typing error)."""
    if decided_on is None:
        return
    if decided_on > today:
        raise InvalidCaseData("school_decision_on", "lies in the future")
    if decided_on < birth_date:
        raise InvalidCaseData("school_decision_on", "lies before the pupil's birth")
    if decided_on < today - timedelta(days=OLDEST_DECISION_DAYS):
        raise InvalidCaseData(
            "school_decision_on",
            "lies more than two years back",
        )


def check_birth_date(birth_date: date, today: date) -> None:
    if birth_date >= today:
        raise InvalidCaseData("pupil.birth_date", "must lie in the past")
    if today.year - birth_date.year > OLDEST_PUPIL_AGE:
        raise InvalidCaseData(
            "pupil.birth_date", f"gives a pupil older than {OLDEST_PUPIL_AGE}"
        )


def check_samenwerkingsverband(code: str | None, sector: Sector) -> None:
    if code is None:
        return
    if not regions.is_known_code(code):
        raise InvalidCaseData(
            "samenwerkingsverband",
            f"{code!r} is not an official samenwerkingsverband code",
        )
    if not regions.code_fits_sector(code, sector):
        raise InvalidCaseData(
            "samenwerkingsverband", f"{code} does not serve sector {sector}"
        )


def check_at_home(
    category: Category, at_home_since: date | None, birth_date: date, today: date
) -> None:
    if category == Category.THUISZITTER and at_home_since is None:
        raise InvalidCaseData(
            "at_home_since", "is required for a thuiszitter (pupil at home)"
        )
    if at_home_since is not None:
        if at_home_since > today:
            raise InvalidCaseData("at_home_since", "lies in the future")
        if at_home_since < birth_date:
            raise InvalidCaseData("at_home_since", "lies before the birth date")
