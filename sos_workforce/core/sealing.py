"""Drafts only the respondent can read: unfinished answers sealed with a key derived from
the link's token.

The token itself is never stored (only its SHA-256, to find the link). The sealing key is
derived from the token with HKDF under its own label, so it cannot be computed from the
stored hash: someone holding the database alone can see that a draft exists, never what it
says. AES-256-GCM authenticates the sealed bytes, so a changed or swapped draft is refused
rather than shown. Tokens are 128-bit random values, so a fast KDF is enough.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12
_LABEL = b"sos-workforce draft sealing v1"


class UnreadableDraft(Exception):
    """The sealed bytes do not open with this token (changed, swapped or not this link's)."""


def _key(token: str, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_LABEL, info=purpose.encode()).derive(
        token.encode()
    )


def seal(
    token: str, purpose: str, payload: Mapping[str, Any], *, pad_to: int | None = None
) -> bytes:
    """``payload`` (JSON-serialisable) sealed for whoever holds ``token``. ``purpose``
    separates uses (a survey draft, a rater draft) so one sealed value cannot stand in for
    another's. With ``pad_to`` the plain text is padded with spaces (which JSON ignores) to
    a multiple of that many bytes, so the sealed length does not tell how much it holds."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    if pad_to:
        plain += b" " * (-len(plain) % pad_to)
    return _VERSION + nonce + AESGCM(_key(token, purpose)).encrypt(nonce, plain, _VERSION)


def unseal(token: str, purpose: str, sealed: bytes) -> dict[str, Any]:
    """The payload sealed by ``seal`` with the same token and purpose."""
    if not sealed.startswith(_VERSION) or len(sealed) < 1 + _NONCE_BYTES + 16:
        raise UnreadableDraft("not a sealed draft")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        plain = AESGCM(_key(token, purpose)).decrypt(nonce, body, _VERSION)
    except InvalidTag as error:
        raise UnreadableDraft("the draft does not open with this link") from error
    value = json.loads(plain)
    if not isinstance(value, dict):
        raise UnreadableDraft("not a sealed draft")
    return value
