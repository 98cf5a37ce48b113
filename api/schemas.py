"""The HTTP contract's bodies (api.md): <Noun>Create in, <Noun>Public out."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from domain.registration import Pupil, Registration, Requester, School
from domain.values import (
    ActivityKind,
    Category,
    Channel,
    EducationStatus,
    ErasureReason,
    HoldReason,
    IntakeDecision,
    LiftReason,
    Outcome,
    ReferredTo,
    Region,
    RequesterRole,
    Sector,
    Service,
    Step,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
]
Reason = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)
]


class Body(BaseModel):
    """Unknown fields are refused, so a typo never silently drops data; no text
    may hold a NUL character (no store keeps one)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if _holds_nul(data):
            raise ValueError("text must not contain a NUL character")
        return data


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


# --- input ------------------------------------------------------------------------


class RequesterIn(Body):
    role: RequesterRole
    name: ShortText
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)


class PupilIn(Body):
    name: ShortText
    birth_date: date
    municipality: str | None = Field(default=None, max_length=100)
    pc4: str | None = Field(default=None, pattern=r"^[0-9]{4}$")


class SchoolIn(Body):
    name: str | None = Field(default=None, max_length=200)
    brin: str | None = Field(default=None, max_length=6)
    cluster: int | None = Field(default=None, ge=1, le=4)


class CaseCreate(Body):
    channel: Channel
    requester: RequesterIn
    consent_given: StrictBool
    pupil: PupilIn
    school: SchoolIn
    sector: Sector
    samenwerkingsverband: str | None = Field(default=None, max_length=6)
    region: Region
    category: Category
    service: Service
    at_home_since: date | None = None
    receives_education: StrictBool = True
    school_decision_on: date | None = None
    account: LongText

    def registration(self) -> Registration:
        """The domain's registration (aanmelding) this body asks for."""
        return Registration(
            channel=self.channel,
            requester=Requester(
                self.requester.role,
                self.requester.name,
                self.requester.email,
                self.requester.phone,
            ),
            consent_given=self.consent_given,
            pupil=Pupil(
                self.pupil.name,
                self.pupil.birth_date,
                self.pupil.municipality,
                self.pupil.pc4,
            ),
            school=School(self.school.name, self.school.brin, self.school.cluster),
            sector=self.sector,
            samenwerkingsverband=self.samenwerkingsverband,
            region=self.region,
            category=self.category,
            service=self.service,
            at_home_since=self.at_home_since,
            receives_education=self.receives_education,
            account=self.account,
            school_decision_on=self.school_decision_on,
        )


class PrerequisiteCreate(Body):
    step: Step
    date: date
    note: Reason | None = None


class WaiverCreate(Body):
    step: Step
    reason: Reason


class IntakeCreate(Body):
    decision: IntakeDecision
    reason: Reason | None = None
    referred_to: ReferredTo | None = None


class AssignmentCreate(Body):
    consultant_id: UUID


class ActivityCreate(Body):
    kind: ActivityKind
    date: date
    summary: LongText
    parties: list[ShortText] = Field(default_factory=list, max_length=20)


class SuspensionCreate(Body):
    reason: Reason


class ResumptionCreate(Body):
    reason: Reason | None = None


class ClosureCreate(Body):
    outcome: Outcome
    education_status: EducationStatus
    summary: LongText


class ReasonCreate(Body):
    reason: Reason


class ErasureCreate(Body):
    reason: ErasureReason


class LegalHoldCreate(Body):
    """A reason code and, if any, the file number of the complaint or procedure
    (no names: the hold outlives the case's personal data)."""

    reason: HoldReason
    file_reference: str | None = Field(default=None, max_length=40)


class LegalHoldLift(Body):
    reason: LiftReason
    file_reference: str | None = Field(default=None, max_length=40)


class DestructionRemoval(Body):
    """Take a case off a proposed destruction list, with a reason code."""

    case_id: UUID
    reason: HoldReason
    file_reference: str | None = Field(default=None, max_length=40)


class ConsultantCreate(Body):
    name: ShortText
    region: Region
    kind: Service
    capacity: int = Field(ge=0, le=200)


class ConsultantUpdate(Body):
    name: ShortText | None = None
    region: Region | None = None
    capacity: int | None = Field(default=None, ge=0, le=200)
    active: StrictBool | None = None


# --- output -----------------------------------------------------------------------


class DeadlinePublic(BaseModel):
    name: str
    started_on: date
    due: date | None
    state: str
    met_on: date | None


class CasePublic(BaseModel):
    """A case as it is (or was); personal fields read null with erased true."""

    id: UUID
    reference: str
    status: str
    version: int
    registered_at: datetime
    erased: bool
    # A legal hold in force: its reason code, file number and since when.
    legal_hold: dict[str, Any] | None = None
    channel: str
    requester: dict[str, Any]
    consent_given: bool
    pupil: dict[str, Any]
    school: dict[str, Any]
    sector: str
    samenwerkingsverband: str | None
    region: str
    category: str
    service: str
    at_home_since: date | None
    receives_education: bool
    school_decision_on: date | None
    account: str | None
    prerequisites: list[dict[str, Any]]
    prerequisites_decision: dict[str, Any] | None
    intake: dict[str, Any] | None
    consultant_id: UUID | None
    assignments: list[dict[str, Any]]
    activities: list[dict[str, Any]]
    suspended: bool
    suspension_reason: str | None
    outcome: dict[str, Any] | None
    withdrawal_reason: str | None
    reopenings: list[dict[str, Any]]
    deadlines: list[DeadlinePublic]
    log_position: int | None = None


class CaseSummaryPublic(BaseModel):
    """A row of the case list (read model)."""

    id: UUID
    reference: str
    status: str
    region: str
    category: str
    sector: str
    service: str
    requester_role: str
    consultant_id: UUID | None
    registered_at: datetime
    pupil_name: str | None
    erased: bool
    at_home_since: date | None
    next_due: date | None
    version: int


class CasePagePublic(BaseModel):
    items: list[CaseSummaryPublic]
    next_cursor: str | None


class HistoryEntryPublic(BaseModel):
    version: int
    type: str
    recorded_at: datetime
    actor: dict[str, Any] | None
    data: dict[str, Any]


class ConsultantPublic(BaseModel):
    id: UUID
    name: str
    region: str
    kind: str
    capacity: int
    active: bool
    version: int | None
    open_cases: int | None = None
    utilisation: float | None = None


class FeedEventPublic(BaseModel):
    position: int
    case_id: UUID | None
    aggregate_id: UUID
    aggregate_version: int
    type: str
    recorded_at: datetime
    actor: dict[str, Any] | None
    data: dict[str, Any]


class FeedPublic(BaseModel):
    items: list[FeedEventPublic]
    next_after: int | None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None
