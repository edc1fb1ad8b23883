"""Every link a person opens without an account: minting its token and building its URL.

The URL paths here are the ones ``app.py`` registers for the link pages, so a link and the
page that opens it cannot drift apart. Tokens are 128-bit random values; only their SHA-256
is stored (``security.hash_token``).
"""

from __future__ import annotations

from enum import StrEnum

from sos_workforce.core.security import new_token


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
