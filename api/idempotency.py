"""Idempotency-Key over HTTP: give a command once per key, answer a repeat as the first.

The key is recorded by the event recorder in the command's own transaction
(storage/idempotency.py), so a retry can never record twice; a recorded key
raises the domain's ``DuplicateRequest``. Here is only the HTTP side: the
request's fingerprint, the replayed answer, and the 422 for a key reused with
another request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import Header, Request, Response
from pydantic import BaseModel

from api.container import Container
from api.presenters import case_public
from api.problems import Problem
from api.reads import log_change
from api.schemas import CasePublic
from domain.errors import DossierError
from domain.permissions import Command
from domain.service import Result
from storage.idempotency import IdempotencyRecord, find, fingerprint
from storage.users import User

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same key again to get the first answer back, "
        "with nothing recorded twice.",
    ),
]


def respond(response: Response, container: Container, result: Result) -> CasePublic:
    """A command's answer: the case as recorded, its ETag and log position."""
    case = result.case
    response.headers["ETag"] = f'"{case.version}"'
    response.headers["X-Log-Position"] = str(result.log_position)
    return case_public(case, container.service.deadlines(case), result.log_position)


def run_command(
    request: Request,
    response: Response,
    container: Container,
    user: User,
    body: BaseModel | None,
    key: str | None,
    command: Callable[[], Result],
    *,
    resource_id: UUID,
    logged_as: Command,
    status_code: int = 200,
) -> CasePublic:
    """Give a command once per Idempotency-Key: a repeat gets the first answer back.
    The answer (which shows the case) is logged as the command's change."""
    answer = _run_once(
        request, response, container, user, body, key, command, resource_id, status_code
    )
    log_change(
        container, user.actor(request.state.request_id), request, answer.id, logged_as
    )
    return answer


def _run_once(
    request: Request,
    response: Response,
    container: Container,
    user: User,
    body: BaseModel | None,
    key: str | None,
    command: Callable[[], Result],
    resource_id: UUID,
    status_code: int,
) -> CasePublic:
    if key is not None and not key.strip():
        raise Problem(
            422,
            "invalid-request",
            "Invalid request",
            "Idempotency-Key must not be empty",
            errors=[{"field": "Idempotency-Key", "message": "empty"}],
        )
    if key is None:
        result = command()
    else:
        payload = body.model_dump(mode="json") if body is not None else None
        print_ = fingerprint(request.method, request.url.path, payload)
        replay = replayed(response, container, user, key, print_)
        if replay is not None:
            return replay
        record = IdempotencyRecord(
            user_id=user.id,
            key=key,
            fingerprint=print_,
            resource_id=resource_id,
            status_code=status_code,
        )
        try:
            with container.service.recording(idempotency=record):
                result = command()
        except DossierError:
            # A twin request with the same key may have been recorded meanwhile
            # (this one then conflicts, or finds the change already made):
            # answer as the twin did.
            replay = replayed(response, container, user, key, print_)
            if replay is None:
                raise
            return replay
    response.status_code = status_code
    return respond(response, container, result)


def replayed(
    response: Response,
    container: Container,
    user: User,
    key: str,
    print_: str,
) -> CasePublic | None:
    """The first answer to this key, or None if the key was never recorded."""
    found = find(container.db, user.id, key)
    if found is None:
        return None
    if found.fingerprint != print_:
        raise Problem(
            422,
            "idempotency-key-reused",
            "Idempotency-Key reused",
            "this Idempotency-Key was used for another request",
            errors=[
                {"field": "Idempotency-Key", "message": "reused with another body"}
            ],
        )
    case = container.service.get_case(found.resource_id, version=found.version)
    position = container.service.log_position_of(case.id, case.version)
    response.status_code = found.status_code
    response.headers["Idempotent-Replayed"] = "true"
    if found.status_code == 201:
        response.headers["Location"] = f"/api/v1/cases/{case.id}"
    return respond(response, container, Result(case, position))
