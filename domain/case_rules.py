"""The rules a case checks before each command: who may give it, and in which state.

A mixin of the Case aggregate (domain/case.py), which keeps the state these read;
the tables they apply are in domain/permissions.py.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.errors import DossierError, IllegalTransition, InvalidCaseData, NotPermitted
from domain.permissions import (
    ACTIONS,
    CASE_COMMANDS,
    OWN_CASE_ONLY,
    WHEN,
    Command,
    check_permitted,
)
from domain.values import ENDED_STATUSES, OPEN_STATUSES, Actor, Role, Status
from domain.zone import local_date


class CaseRules:
    """Whether an actor may give a command on the case now, and why not."""

    # The aggregate's state that the rules read (set as its events apply).
    status: Status
    erased: bool
    consultant_id: UUID | None
    legal_hold: dict[str, Any] | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def has_ended(self) -> bool:
        return self.status in ENDED_STATUSES

    def check_may(self, by: Actor, command: Command) -> None:
        """Whether ``by`` may give ``command`` on this case now: the role
        (``ALLOWED``, which the service checks before it loads the case) and
        the lifecycle's rules. The API's and the pages' answer to "what may
        this user do now"."""
        check_permitted(by, command)
        self.check_lifecycle(by, command)

    def check_lifecycle(self, by: Actor, command: Command) -> None:
        """The case's own rules for a command: whose case it is
        (``OWN_CASE_ONLY``), then the status (``WHEN``). Every command method
        starts here."""
        if command in OWN_CASE_ONLY:
            # Whose case it is comes first: a stranger learns nothing of its state.
            self.check_assigned_consultant_or_coordinator(by, ACTIONS[command])
        if command == Command.ERASE_PERSONAL_DATA:
            self.check_erasable()
        else:
            self.check_status(command)
        if command == Command.PLACE_LEGAL_HOLD and self.legal_hold is not None:
            raise IllegalTransition(
                "the case is under legal hold already", rule="legal-hold-in-force"
            )
        if command == Command.LIFT_LEGAL_HOLD and self.legal_hold is None:
            raise IllegalTransition(
                "the case is not under legal hold", rule="no-legal-hold"
            )

    def may(self, by: Actor, command: Command) -> bool:
        try:
            self.check_may(by, command)
        except DossierError:
            return False
        return True

    def commands_for(self, by: Actor) -> tuple[Command, ...]:
        """The commands ``by`` may give on this case now, in the order of a life."""
        return tuple(c for c in CASE_COMMANDS if self.may(by, c))

    def check_status(self, command: Command) -> None:
        action = ACTIONS[command]
        if self.erased:
            raise IllegalTransition(
                f"cannot {action}: the case's personal data has been erased",
                rule="personal-data-erased",
            )
        if self.status not in WHEN[command]:
            allowed = ", ".join(sorted(WHEN[command]))
            raise IllegalTransition(
                f"cannot {action}: the case is {self.status} (allowed when {allowed})"
            )

    def check_erasable(self) -> None:
        if self.erased:
            raise IllegalTransition(
                "the case's personal data is already erased", rule="already-erased"
            )
        if not self.has_ended:
            raise IllegalTransition(
                f"cannot erase the personal data of a case that is {self.status}: "
                "close or withdraw it first",
                rule="case-still-open",
            )
        if self.legal_hold is not None:
            hold = self.legal_hold
            raise IllegalTransition(
                "cannot erase the personal data: the case is under legal hold "
                f"({hold['reason']}) since {hold['placed_on']}; lift it first",
                rule="legal-hold",
            )

    def check_assigned_consultant_or_coordinator(self, by: Actor, action: str) -> None:
        if by.role == Role.CONSULTANT and by.user_id != str(self.consultant_id):
            raise NotPermitted(
                f"only the assigned consultant may {action} on this case",
                rule="not-assigned-consultant",
            )

    @staticmethod
    def may_read_any(by: Actor) -> bool:
        """Whether ``by`` may read every case (``check_may_read`` need not see
        it): all but consultants."""
        return by.role != Role.CONSULTANT

    def check_may_read(self, by: Actor) -> None:
        """A consultant sees only the cases assigned to them."""
        if not self.may_read_any(by) and by.user_id != str(self.consultant_id):
            raise NotPermitted(
                "a consultant sees only the cases assigned to them",
                rule="not-assigned-consultant",
            )

    def check_date_not_in_future(self, field: str, day: date, now: datetime) -> None:
        if day > local_date(now):
            raise InvalidCaseData(field, "lies in the future")
