"""Who may open a page: the domain's permissions (domain/permissions.py), the
same answer the API's route guards give, refused with the 403 page."""

from __future__ import annotations

from domain.permissions import ALLOWED, READERS, Command, Read
from web.site import PageError, Visitor


def require(person: Visitor, *needs: Command | Read) -> None:
    """PageError(403) unless the visitor's role may give or read all ``needs``."""
    for need in needs:
        roles = ALLOWED[need] if isinstance(need, Command) else READERS[need]
        if person.role not in roles:
            raise PageError(403)
