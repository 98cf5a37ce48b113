"""The domain's own errors: every refusal names the rule it enforces."""

from __future__ import annotations


class DossierError(Exception):
    """Base of every error the domain raises on purpose."""

    rule: str = "dossier-error"

    def __init__(self, detail: str, *, rule: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if rule is not None:
            self.rule = rule


class CaseError(DossierError):
    """A command on a case was refused."""

    rule = "case-error"


class IllegalTransition(CaseError):
    """The command is not allowed in the case's current state."""

    rule = "illegal-transition"


class InvalidCaseData(CaseError):
    """A value given to a command breaks a rule about its content."""

    rule = "invalid-data"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.reason = detail


class NotPermitted(DossierError):
    """The actor's role may not do this, or the case is not theirs."""

    rule = "not-permitted"


class CaseNotFound(DossierError):
    rule = "case-not-found"


class ConsultantNotFound(DossierError):
    rule = "consultant-not-found"


class ConsultantError(DossierError):
    """A command on a consultant was refused."""

    rule = "consultant-error"


class ConcurrentUpdate(DossierError):
    """Someone else changed the same case first; reload and try again."""

    rule = "concurrent-update"


class DuplicateRequest(ConcurrentUpdate):
    """The same request (by its idempotency key) was recorded already."""

    rule = "duplicate-request"


class VersionMismatch(DossierError):
    """The caller expected another version of the case or consultant (If-Match)."""

    rule = "version-mismatch"


class DestructionError(DossierError):
    """A step of a destruction list was refused (its state, or who gives it)."""

    rule = "destruction-error"


class DestructionListNotFound(DossierError):
    rule = "destruction-list-not-found"
