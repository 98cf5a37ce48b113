"""Dependencies every router shares, as Annotated aliases (one place).

Those that never block are ``async def``: FastAPI runs a plain ``def``
dependency in its thread pool, one hand-off per dependency per request, and
under load those hand-offs cost the server more CPU than the endpoint itself.
Only what reads the store (``current_user``) runs in a thread.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated

from fastapi import Depends, Header, Request

from api.container import Container
from api.problems import Problem
from domain.permissions import ALLOWED, READERS, Command, Read
from domain.service import CaseService
from domain.values import Actor, Role
from storage.users import User


async def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


async def get_cases(container: ContainerDep) -> CaseService:
    return container.service


CasesDep = Annotated[CaseService, Depends(get_cases)]


def current_user(
    request: Request,
    container: ContainerDep,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> User:
    """The user behind the bearer token; 401 when there is none or it is unknown."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "send Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = container.users.authenticate(token.strip())
    if user is None:
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "the token is unknown or revoked",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(current_user)]


async def request_id(request: Request) -> str:
    rid: str = request.state.request_id
    return rid


RequestId = Annotated[str, Depends(request_id)]


async def current_actor(user: CurrentUser, rid: RequestId) -> Actor:
    return user.actor(rid)


ActorDep = Annotated[Actor, Depends(current_actor)]


def _refuse(role: Role) -> Problem:
    return Problem(
        403, "not-permitted", "Not permitted", f"the {role} role may not do this"
    )


def permitted(command: Command) -> Callable[[User], Coroutine[None, None, User]]:
    """A route guard for a command: the roles of ``domain.permissions.ALLOWED``
    (403 for others); the case's own rules are the domain's, on the command."""

    async def check(user: CurrentUser) -> User:
        if user.role not in ALLOWED[command]:
            raise _refuse(user.role)
        return user

    return check


def may_query(query: Read) -> Callable[[User], Coroutine[None, None, User]]:
    """A route guard for a read: the roles of ``domain.permissions.READERS``."""

    async def check(user: CurrentUser) -> User:
        if user.role not in READERS[query]:
            raise _refuse(user.role)
        return user

    return check
