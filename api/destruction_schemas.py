"""The destruction lists' answers, as typed models for the OpenAPI document: a
list's certificate (verklaring van vernietiging) and the lists' summaries. They
hold case ids and references, codes, dates and user ids, never personal data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from projections.destruction_lists import ListRow


class Stamp(BaseModel):
    """Who did a step of the list, and when."""

    by: str
    at: datetime


class SelectionRule(BaseModel):
    """The rule the list's cases were selected by: retention after the case
    ended (``years``, ``ended_before``) or an erasure on request (``reason``)."""

    code: Literal["retention-after-end", "erasure-on-request"]
    years: int | None = None
    ended_before: date | None = None
    reason: str | None = None


class HeldCase(BaseModel):
    """A case the rule made due but that was not listed, and why."""

    case_id: str
    reference: str | None = None
    ended_on: date | None = None
    rule: str | None = None
    detail: str | None = None


class RemovedCase(BaseModel):
    """A case taken off the list in review, with the reason code."""

    case_id: str
    reference: str
    reason: str
    file_reference: str | None = None
    by: str
    on: date


class ListedCase(BaseModel):
    """A listed case and what the run did with it (``waiting`` before it)."""

    case_id: str
    reference: str
    ended_on: date | None = None
    outcome: Literal["waiting", "erased", "already_erased", "skipped"]
    rule: str | None = Field(default=None, description="why it was skipped")
    detail: str | None = None


class Certificate(BaseModel):
    """A destruction list; once completed, its certificate."""

    list_id: str
    kind: Literal["retention", "on_request"]
    state: Literal["proposed", "reviewed", "approved", "completed"]
    rule: SelectionRule
    proposed: Stamp | None
    reviewed: Stamp | None
    approved: Stamp | None
    completed: Stamp | None
    held: list[HeldCase]
    removed: list[RemovedCase]
    cases: list[ListedCase]


class ListSummaries(BaseModel):
    """The lists as the overview shows them: the read model's rows (times in
    epoch seconds)."""

    items: list[ListRow]
