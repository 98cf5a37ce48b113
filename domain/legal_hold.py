"""What a legal hold and a destruction list's removal may say beside their reason
code: a file number (dossiernummer of the complaint or procedure), never a name.

Free text could hold personal data, and a hold outlives the case's key (it
stays in the case's history and in the destruction certificate); so the
reason is a code (``HoldReason``, ``LiftReason``) and the reference must look
like a file number: capitals, digits and ``./-``, with at least one digit.
"""

from __future__ import annotations

import re

from domain.errors import InvalidCaseData

FILE_REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9./-]{0,39}")


def check_file_reference(
    reference: str | None, field: str = "file_reference"
) -> str | None:
    """The reference as stored (trimmed, upper case), or None when empty."""
    if reference is None or not reference.strip():
        return None
    value = reference.strip().upper()
    if not FILE_REFERENCE.fullmatch(value) or not any(c.isdigit() for c in value):
        raise InvalidCaseData(
            field,
            "must be a file number (letters, digits and . / -, at least one "
            "digit, at most 40 characters), such as KL-2026-014",
        )
    return value
