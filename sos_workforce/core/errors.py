"""Errors the services raise. Pages show ``str(error)``, so every message is plain language."""

from __future__ import annotations


class SosError(Exception):
    """Base class for expected, user-facing failures."""


class InvalidInput(SosError):
    """Input was rejected; nothing was changed. ``problems`` lists each issue separately."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class NotFound(SosError):
    pass


class PermissionDenied(SosError):
    pass


class LinkRefused(SosError):
    """A survey link cannot be used (unknown, spent, closed, not yet open)."""


class SignInFailed(SosError):
    pass


class SsoSignInExpired(SignInFailed):
    """The identity provider's sign-in is too old; the user should sign in again."""


class SessionEnded(SosError):
    """A browser's session is unknown, ended or timed out: sign in again (the message
    says why, in plain words; ``reason`` is the stored end reason, if any)."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason
