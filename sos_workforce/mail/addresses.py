"""Email addresses from a roster: checked before anything is stored."""

from __future__ import annotations

import re

from sos_workforce.core.errors import InvalidInput

MAX_ADDRESS = 320
# A deliberately plain check (RFC 5321 sizes, one @, a dotted domain, no spaces or
# control characters): the SMTP server is the judge of whether a mailbox exists.
_ADDRESS = re.compile(
    r"[^@\s\x00-\x1f\x7f\"(),:;<>\[\\\]]{1,64}"  # the local part
    r"@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z]{2,63}"  # a dotted domain
)


def is_valid_address(address: str) -> bool:
    address = address.strip()
    return (
        len(address) <= MAX_ADDRESS
        and ".." not in address
        and _ADDRESS.fullmatch(address) is not None
    )


def normalise_address(address: str) -> str:
    """``address`` trimmed, or ``InvalidInput`` if it is not an email address."""
    cleaned = address.strip()
    if not is_valid_address(cleaned):
        raise InvalidInput(f"'{cleaned[:80]}' is not an email address.")
    return cleaned
