"""Sealed drafts: only the holder of the link's token can read them."""

from __future__ import annotations

import pytest

from sos_workforce.core.sealing import UnreadableDraft, seal, unseal
from sos_workforce.core.security import hash_token, new_token

ANSWERS = {"understanding": 6, "worries": "My manager never listens"}


def test_a_sealed_draft_opens_with_its_token_and_purpose() -> None:
    token = new_token()
    sealed = seal(token, "survey draft", ANSWERS)
    assert unseal(token, "survey draft", sealed) == ANSWERS
    assert b"manager" not in sealed and b"understanding" not in sealed
    assert seal(token, "survey draft", ANSWERS) != sealed  # a fresh nonce every time


@pytest.mark.parametrize(
    "opener",
    [
        lambda token: (new_token(), "survey draft"),  # someone else's link
        lambda token: (hash_token(token), "survey draft"),  # the hash the database holds
        lambda token: (token, "rater draft"),  # the same token for another use
    ],
)
def test_nobody_else_opens_it(opener) -> None:  # type: ignore[no-untyped-def]
    token = new_token()
    sealed = seal(token, "survey draft", ANSWERS)
    other_token, purpose = opener(token)
    with pytest.raises(UnreadableDraft):
        unseal(other_token, purpose, sealed)


def test_a_changed_draft_is_refused_not_shown() -> None:
    token = new_token()
    sealed = bytearray(seal(token, "survey draft", ANSWERS))
    sealed[-1] ^= 1
    with pytest.raises(UnreadableDraft):
        unseal(token, "survey draft", bytes(sealed))
    with pytest.raises(UnreadableDraft):
        unseal(token, "survey draft", b"{}")


def test_padding_seals_small_and_large_payloads_at_one_length() -> None:
    token = new_token()
    small = seal(token, "rater draft", {"scores": {}, "section": 0}, pad_to=2048)
    large = seal(
        token, "rater draft", {"scores": {f"item_{n}": 10 for n in range(24)}}, pad_to=2048
    )
    unpadded = seal(token, "rater draft", {"scores": {}, "section": 0})
    assert len(small) == len(large) > len(unpadded)
    assert unseal(token, "rater draft", small) == {"scores": {}, "section": 0}
    assert unseal(token, "rater draft", large)["scores"]["item_23"] == 10
