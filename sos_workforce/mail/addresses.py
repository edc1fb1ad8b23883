"""Email addresses from a roster: checked before anything is stored."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sos_workforce.core.errors import InvalidInput
from sos_workforce.mail.templates import MailTemplate, check_template

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


def check_emailed(
    staff_refs: Sequence[str], emails: Sequence[str | None], template: MailTemplate
) -> tuple[MailTemplate, list[str]]:
    """Before anything is stored: the tidied template and every person's address, or one
    ``InvalidInput`` listing each person without a usable address."""
    problems: list[str] = []
    try:
        template = check_template(template)
    except InvalidInput as error:
        problems.extend(error.problems)
    addresses: list[str] = []
    for index, (ref, email) in enumerate(zip(staff_refs, emails, strict=True), 1):
        who = f"Person {index} ({ref})" if ref else f"Person {index}"
        if not email or not email.strip():
            problems.append(f"{who} has no email address.")
            continue
        try:
            addresses.append(normalise_address(email))
        except InvalidInput as error:
            problems.append(f"{who}: {error}")
    if problems:
        raise InvalidInput(
            f"Nothing was launched: {len(problems)} problem(s) with the emails.\n"
            + "\n".join(problems[:50]),
            problems[:50],
        )
    return template, addresses
