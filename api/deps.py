"""Dependencies every router shares, as Annotated aliases (one place)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from api.container import Container
from api.problems import Problem
from domain.service import CaseService
from domain.values import Actor, Role
from storage.users import User


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def get_cases(container: ContainerDep) -> CaseService:
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


def request_id(request: Request) -> str:
    rid: str = request.state.request_id
    return rid


RequestId = Annotated[str, Depends(request_id)]


def current_actor(user: CurrentUser, rid: RequestId) -> Actor:
    return user.actor(rid)


ActorDep = Annotated[Actor, Depends(current_actor)]


def roles(*allowed: Role) -> Callable[[User], User]:
    """A dependency that lets only these roles through (403 for others)."""

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise Problem(
                403,
                "not-permitted",
                "Not permitted",
                f"the {user.role} role may not do this",
            )
        return user

    return check


ALL_ROLES = (Role.INTAKE, Role.COORDINATOR, Role.CONSULTANT, Role.AUDITOR, Role.ADMIN)
