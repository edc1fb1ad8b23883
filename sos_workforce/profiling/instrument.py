"""The organisational self-profile instrument as data (``surveys/self_profile*.yaml``).

Domains hold items scored 0–10 with anchor text at 0 and 10 and a note of the evidence
that supports a score. Versions are immutable, like survey instruments: a changed wording
must be published under a new version number, and rounds are compared only within one
version.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.core.models import ProfileInstrumentVersion
from sos_workforce.surveys import (
    SELF_PROFILE_PREFIX,
    Code,
    parse_yaml_model,
    refuse_changed_version,
)

SCORE_MIN = 0
SCORE_MAX = 10


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfileItem(_Strict):
    code: Code
    text: str = Field(min_length=1, max_length=1000)
    short_label: str = Field(min_length=1, max_length=80)
    low_anchor: str = Field(min_length=1, max_length=500, description="What 0 looks like")
    high_anchor: str = Field(min_length=1, max_length=500, description="What 10 looks like")
    evidence: str = Field(min_length=1, max_length=1000, description="Evidence to look at")


class ProfileDomain(_Strict):
    code: Code
    title: str = Field(min_length=1, max_length=200)
    items: list[ProfileItem] = Field(min_length=1)


class ProfileDefinition(_Strict):
    """A whole self-profile file."""

    code: Code
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=300)
    intro: str | None = Field(default=None, max_length=4000)
    domains: list[ProfileDomain] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> ProfileDefinition:
        domain_codes = [domain.code for domain in self.domains]
        if len(set(domain_codes)) != len(domain_codes):
            raise ValueError("a domain code is used twice")
        item_codes = [item.code for item in self.items]
        for code in item_codes:
            if item_codes.count(code) > 1:
                raise ValueError(f"item code '{code}' is used twice")
        return self

    @property
    def items(self) -> list[ProfileItem]:
        return [item for domain in self.domains for item in domain.items]

    def domain_of(self) -> dict[str, ProfileDomain]:
        """Item code → its domain."""
        return {item.code: domain for domain in self.domains for item in domain.items}

    def checksum(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def parse_profile(text: str, source: str = "<upload>") -> ProfileDefinition:
    return parse_yaml_model(text, source, ProfileDefinition)


def profile_files(directory: Path) -> list[Path]:
    return sorted(
        p for p in directory.glob(f"{SELF_PROFILE_PREFIX}*.y*ml") if p.suffix in {".yaml", ".yml"}
    )


def register_profile(session: Session, definition: ProfileDefinition) -> ProfileInstrumentVersion:
    """Store a definition as an immutable version (idempotent for identical content)."""
    existing = session.scalar(
        select(ProfileInstrumentVersion).where(
            ProfileInstrumentVersion.code == definition.code,
            ProfileInstrumentVersion.version == definition.version,
        )
    )
    checksum = definition.checksum()
    if existing is not None:
        refuse_changed_version(definition.code, definition.version, existing.checksum, checksum)
        return existing
    version = ProfileInstrumentVersion(
        code=definition.code,
        version=definition.version,
        title=definition.title,
        checksum=checksum,
        definition=definition.model_dump(mode="json"),
    )
    session.add(version)
    session.flush()
    return version


def profile_definition_of(version: ProfileInstrumentVersion) -> ProfileDefinition:
    return ProfileDefinition.model_validate(version.definition)


def sync_profiles(session: Session, directory: Path) -> list[ProfileInstrumentVersion]:
    """Register every self-profile file in ``directory`` (in the caller's transaction)."""
    return [
        register_profile(session, parse_profile(path.read_text(encoding="utf-8"), str(path)))
        for path in profile_files(directory)
    ]
