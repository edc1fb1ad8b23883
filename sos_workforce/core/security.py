"""Passwords (argon2id) and survey-link tokens (128-bit, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sos_workforce.core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
TOKEN_BYTES = 16  # 128 bits; token_urlsafe gives 22 characters, short enough to paste
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_hasher = PasswordHasher()  # argon2id with the library's recommended cost


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("sos_workforce").joinpath("data/common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password_policy(password: str, *, email: str = "") -> None:
    """Raise ``InvalidInput`` unless the password is long enough and not a common one."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise InvalidInput("That password is too common; choose another.")
    if email and lowered == email.lower().split("@")[0]:
        raise InvalidInput("The password must not be your email name.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh random link token (128 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token. Tokens are random, so a fast hash is safe here."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed_token(token: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(token))
