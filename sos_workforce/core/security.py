"""Passwords (argon2id, strength judged by zxcvbn and a common-password list) and
survey-link tokens (128-bit, stored as SHA-256)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from sos_workforce.core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's score (0 too guessable … 4 very unguessable); 3 is "safely unguessable":
# about 10^8 guesses or more, against a slowed-down online attack or an argon2id hash.
MIN_PASSWORD_SCORE = 3
_ZXCVBN_LENGTH = 72  # zxcvbn refuses longer input; a longer password is at least as strong
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps the user inputs in a module-level dictionary
TOKEN_BYTES = 16  # 128 bits; token_urlsafe gives 22 characters, short enough to paste
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_hasher = PasswordHasher()  # argon2id with the library's recommended cost


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    text = resources.files("sos_workforce").joinpath("data/common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password_policy(password: str, *, email: str = "") -> None:
    """Raise ``InvalidInput`` unless the password is long enough, not a common one, not
    the email's name, and judged hard to guess by zxcvbn (which also knows the email's
    parts: "northbridge2026" is weak for someone at northbridge)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"Passwords can have at most {MAX_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        raise InvalidInput("That password is too common; choose another.")
    if email and lowered == email.lower().split("@")[0]:
        raise InvalidInput("The password must not be your email name.")
    user_inputs = [part for part in re.split(r"[@._+\-]+", email.lower()) if part]
    with _zxcvbn_lock:
        judged = zxcvbn(password[:_ZXCVBN_LENGTH], user_inputs=user_inputs)
    if judged["score"] < MIN_PASSWORD_SCORE:
        warning = judged["feedback"]["warning"]
        raise InvalidInput(
            "That password is too easy to guess"
            + (f" ({warning.rstrip('.').lower()})" if warning else "")
            + ". Try three or four unrelated words, or a longer password."
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def verify_nothing(password: str) -> None:
    """Spend the time ``verify_password`` would on a real account (argon2id at the
    current cost), for an email with no account, so a refusal takes as long either way."""
    cost = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    stored = _dummy_hashes.get(cost)
    if stored is None:
        stored = _dummy_hashes[cost] = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(stored, password)


def keyed_hash(secret: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under the deployment's secret, for something stored only to
    be matched again (an email typed at sign-in, a source address): without the secret,
    the stored value cannot be tested against guesses."""
    return hmac.new(secret.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    """A fresh random link token (128 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The stored form of a token. Tokens are random, so a fast hash is safe here."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def is_well_formed_token(token: str) -> bool:
    return bool(_TOKEN_SHAPE.fullmatch(token))
