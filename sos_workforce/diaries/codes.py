"""Time-diary activity codes as data (``surveys/diary_codes.yaml``).

Each activity code says whether it is direct work with a child or family (``direct``) and
whether a direct-work entry may record the Signs of Safety tool used (``allows_tool``).
``group`` rolls codes up for reporting (e.g. the four statutory meeting codes); ``admin``
marks the codes reported as recording and administration. The tools are the ones the
tool-confidence survey asks about, so the two name the same things.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sos_workforce.core.config import get_settings
from sos_workforce.surveys import DIARY_CODES_PREFIX, Code, parse_yaml_model

DIARY_CODES_FILE = f"{DIARY_CODES_PREFIX}.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActivityCode(_Strict):
    code: Code = Field(max_length=40)
    label: str = Field(min_length=1, max_length=80)
    group: str = Field(min_length=1, max_length=80)
    help: str | None = Field(default=None, max_length=300)
    direct: bool = False
    allows_tool: bool = False
    admin: bool = False

    @model_validator(mode="after")
    def _tool_only_for_direct_work(self) -> ActivityCode:
        if self.allows_tool and not self.direct:
            raise ValueError("allows_tool is only for direct-work codes")
        if self.admin and self.direct:
            raise ValueError("a code cannot be both direct work and administration")
        return self


class SosTool(_Strict):
    code: Code = Field(max_length=40)
    label: str = Field(min_length=1, max_length=80)


class DiaryCodes(_Strict):
    """The whole codes file."""

    code: Code
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=200)
    codes: list[ActivityCode] = Field(min_length=2)
    tools: list[SosTool] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DiaryCodes:
        for kind, codes in (("activity", [c.code for c in self.codes]), ("tool", self.tool_codes)):
            repeated = sorted({c for c in codes if codes.count(c) > 1})
            if repeated:
                raise ValueError(f"{kind} code(s) used twice: {', '.join(repeated)}")
        labels = [c.label.casefold() for c in self.codes] + [t.label.casefold() for t in self.tools]
        if len(set(labels)) != len(labels):
            raise ValueError("two codes or tools share a label")
        if not any(c.direct for c in self.codes) or all(c.direct for c in self.codes):
            raise ValueError("there must be both direct and indirect codes")
        return self

    @property
    def tool_codes(self) -> list[str]:
        return [tool.code for tool in self.tools]

    def activity(self, code: str) -> ActivityCode | None:
        return next((c for c in self.codes if c.code == code), None)

    def label_of(self, code: str) -> str:
        """The label of an activity code (the code itself if it is no longer listed)."""
        found = self.activity(code)
        return found.label if found else code

    def tool_label(self, code: str) -> str:
        return next((t.label for t in self.tools if t.code == code), code)

    @property
    def direct_codes(self) -> list[str]:
        return [c.code for c in self.codes if c.direct]

    @property
    def admin_codes(self) -> list[str]:
        return [c.code for c in self.codes if c.admin]

    @property
    def groups(self) -> list[str]:
        """Reporting groups in file order."""
        return list(dict.fromkeys(c.group for c in self.codes))

    def activity_lookup(self) -> dict[str, str]:
        """Normalised code or label → code (for imports and the entry grid)."""
        lookup: dict[str, str] = {}
        for c in self.codes:
            lookup[c.code.casefold()] = c.code
            lookup[" ".join(c.label.split()).casefold()] = c.code
        return lookup

    def tool_lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for t in self.tools:
            lookup[t.code.casefold()] = t.code
            lookup[" ".join(t.label.split()).casefold()] = t.code
        return lookup


def parse_diary_codes(text: str, source: str = "<upload>") -> DiaryCodes:
    return parse_yaml_model(text, source, DiaryCodes)


@lru_cache(maxsize=8)
def _load(path: Path) -> DiaryCodes:
    return parse_diary_codes(path.read_text(encoding="utf-8"), str(path))


def diary_codes(directory: Path | None = None) -> DiaryCodes:
    """The activity codes in ``directory`` (default: the configured surveys folder),
    parsed once per process."""
    folder = directory if directory is not None else get_settings().surveys_dir
    return _load(Path(folder).resolve() / DIARY_CODES_FILE)
