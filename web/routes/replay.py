"""Terugkijken: the auditor's replay of a case, one version at a time: the case as
it was then (its personal data, the read logged, or that it is erased), what
that event changed (old and new values, from the audit trail), who did it,
when and from which request; a slider, previous and next, and a moment to jump
to the version then in force. Works without JavaScript; htmx swaps the panel."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.presenters import case_facts
from api.problems import Problem
from api.reads import CaseAt, case_at, change_at, serves
from domain.errors import CaseNotFound, NotPermitted
from domain.permissions import Read
from domain.sealing import KeyScope
from domain.zone import AMSTERDAM, local_date
from web.guards import require
from web.labels import KINDS, N_
from web.site import PageError, SignedInDep, Site, SiteDep, Visitor, page
from web.trail_fields import field_name, value_kind
from web.wording import CLOCK_STATES, CLOCKS, ENDED_WITHOUT_CONTACT, EVENTS

router = APIRouter(include_in_schema=False)

PURPOSE = "case_replay"
NONE = "\u2013"  # an en dash: no value
VERSION = re.compile(r"[0-9]{1,9}")
# What a datetime-local field sends: 2026-12-07T14:05 (seconds optional).
MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?")
MESSAGES = {
    "version": N_("Vul een versienummer in (een heel getal)"),
    "no-version": N_("Deze zaak heeft geen versie %(version)s; u ziet de laatste"),
    "moment": N_("Vul een datum en tijd in"),
    "before": N_("De zaak was toen nog niet aangemeld; u ziet de eerste versie"),
}


def path_of(case_id: UUID) -> str:
    return f"/controle/zaken/{case_id}"


def _moment(text: str) -> datetime | None:
    """A datetime-local value as a moment in Dutch time (None: not one): the end
    of the minute or second it names, so that what was recorded within it counts
    (the field shows a version's time to the second and must lead back to it)."""
    found = MOMENT.fullmatch(text)
    if not found:
        return None
    try:
        start = datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)
    except ValueError:
        return None
    span = timedelta(seconds=1 if found.group(1) else 60)
    return start + span - timedelta(microseconds=1)


def _read(
    request: Request,
    here: Site,
    person: Visitor,
    case_id: UUID,
    version_text: str,
    moment_text: str,
) -> tuple[CaseAt, dict[str, str]]:
    """The case at the version (or the moment) asked for, and what was wrong with
    the question (the field and its text)."""
    container, actor = here.container, person.actor

    def at(version: int | None, **kw: Any) -> CaseAt:
        return case_at(
            container,
            actor,
            request,
            case_id,
            purpose=PURPOSE,
            version=version,
            opened=False,
            **kw,
        )

    errors: dict[str, str] = {}
    try:
        if moment_text:
            when = _moment(moment_text)
            if when is None:
                errors["moment"] = person.t(MESSAGES["moment"])
            else:
                try:
                    return at(None, as_of=when, clocks_on=local_date(when)), errors
                except CaseNotFound:  # the case exists (else at(1) says so): later
                    errors["moment"] = person.t(MESSAGES["before"])
                    return at(1, clocks_when_recorded=True), errors
        version = 1
        if version_text:
            if VERSION.fullmatch(version_text) and int(version_text) >= 1:
                version = int(version_text)
            else:
                errors["versie"] = person.t(MESSAGES["version"])
        try:
            return at(version, clocks_when_recorded=True), errors
        except Problem as problem:
            if problem.status != 404:
                raise
            errors["versie"] = person.t(MESSAGES["no-version"], version=version)
            return at(None, clocks_when_recorded=True), errors
    except CaseNotFound:
        raise PageError(404) from None
    except NotPermitted:
        raise PageError(403) from None


@router.get("/controle/zaken/{case_id}", response_class=HTMLResponse)
@serves(PURPOSE)
def replay(
    case_id: UUID, request: Request, person: SignedInDep, here: SiteDep
) -> HTMLResponse:
    require(person, Read.READ_AUDIT)
    query = request.query_params
    version_text = query.get("versie", "").strip()[:20]
    moment_text = query.get("moment", "").strip()[:40]
    # The case is read with its personal values sealed, and the page opens the
    # few it shows, in one scope: the case's key read once, kept for no longer.
    with KeyScope():
        found, errors = _read(request, here, person, case_id, version_text, moment_text)
        shown = case_facts(found.case, found.deadlines)
    case = found.case
    entry = here.container.service.history_entry(case_id, case.version)
    change = change_at(here.container, case_id, case.version)
    everyone = here.consultants()
    consultant_name = next(
        (c["name"] for c in everyone if c["id"] == str(case.consultant_id)), None
    )
    return page(
        request,
        person,
        "replay.html",
        case=shown,
        latest=found.latest_version,
        entry=entry,
        change=change,
        changed=_changed(change, person),
        names=here.actor_names([entry], everyone),
        consultant_name=consultant_name,
        events=EVENTS,
        clocks=CLOCKS,
        clock_states=CLOCK_STATES,
        ended_without_contact=ENDED_WITHOUT_CONTACT,
        here_path=path_of(case_id),
        moment_value=moment_text
        if "moment" in errors
        else entry.recorded_at.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M:%S"),
        errors=errors,
    )


def _changed(
    change: dict[str, Any] | None, person: Visitor
) -> list[tuple[str, str, str, str, bool]]:
    """What the event changed, field by field: its Dutch name, its key in the
    trail, old, new, and whether the values were erased."""
    if change is None:
        return []
    yes_no = (person.t(N_("ja")), person.t(N_("nee")))
    changes = change.get("changes") or {}
    old, new = changes.get("old") or {}, changes.get("new") or {}
    erased = set(changes.get("erased_fields") or ())
    return [
        (
            field_name(key, person.t),
            key,
            _shown(old.get(key), yes_no, _named(key, old.get(key), person)),
            _shown(new.get(key), yes_no, _named(key, new.get(key), person)),
            key in erased,
        )
        for key in sorted(old.keys() | new.keys())
    ]


def _named(key: str, value: Any, person: Visitor) -> str | None:
    """A code's name in the visitor's language ("Afgesloten" for "closed")."""
    kind = value_kind(key)
    text = KINDS[kind].get(str(value)) if kind and isinstance(value, str) else None
    return person.t(text) if text else None


def _shown(value: Any, yes_no: tuple[str, str], name: str | None = None) -> str:
    """A value of the trail as text: a code by its ``name``, lists and records
    spelled out."""
    if value is None:
        return NONE
    if name is not None:
        return name
    if isinstance(value, bool):
        return yes_no[0] if value else yes_no[1]
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_shown(v, yes_no)}" for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ", ".join(_shown(v, yes_no) for v in value) or NONE
    return str(value)
