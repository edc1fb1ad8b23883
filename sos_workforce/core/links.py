"""Every link a person opens without an account: minting its token and building its URL.

The URL paths here are the ones ``app.py`` registers for the link pages, so a link and the
page that opens it cannot drift apart. Tokens are 128-bit random values; only their SHA-256
is stored (``security.hash_token``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from sos_workforce.core.security import hash_token, new_token


class LinkPage(StrEnum):
    """The URL path of each page opened from a link."""

    SURVEY = "survey"  # personal survey link (?t=) and the organisation's open link (?o=)
    DIARY = "diary"  # a worker's time-diary link (?d=)
    RATING = "rate-profile"  # a self-profile rater's link (?t=)
    FEEDBACK = "feedback"  # a feedback form's standing link (?f=), on a poster's QR code


def _link(base_url: str, page: LinkPage, parameter: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/{page.value}?{parameter}={token}"


def survey_url(base_url: str, token: str) -> str:
    return _link(base_url, LinkPage.SURVEY, "t", token)


def open_link_url(base_url: str, token: str) -> str:
    return _link(base_url, LinkPage.SURVEY, "o", token)


def diary_url(base_url: str, token: str) -> str:
    return _link(base_url, LinkPage.DIARY, "d", token)


def rating_url(base_url: str, token: str) -> str:
    return _link(base_url, LinkPage.RATING, "t", token)


def feedback_url(base_url: str, token: str) -> str:
    return _link(base_url, LinkPage.FEEDBACK, "f", token)


def mint_token() -> str:
    """A new link token (the caller stores only its hash)."""
    return new_token()


class Relinker:
    """Gives rows of one link table (invitations, diary participants, rater links) a new
    token on a reminder or a corrected address: ``relinker(row id)`` stores the new hash
    and returns the new link's URL. The old link stops working; ``replaced`` keeps the
    hashes it replaced and ``forget(row id)`` is called for each row (drafts sealed with
    the old token can never be opened again)."""

    def __init__(
        self,
        session: Session,
        model: type[Any],
        url: Callable[[str, str], str],
        base_url: str,
        *,
        forget: Callable[[int], None] | None = None,
    ) -> None:
        self._session = session
        self._model = model
        self._url = url
        self._base_url = base_url
        self._forget = forget
        self.replaced: list[str] = []

    def __call__(self, row_id: int) -> str:
        row = self._session.get_one(self._model, row_id)
        token = mint_token()
        self.replaced.append(row.token_hash)
        row.token_hash = hash_token(token)
        if self._forget is not None:
            self._forget(row_id)
        return self._url(self._base_url, token)
