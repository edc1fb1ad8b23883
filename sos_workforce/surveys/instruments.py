"""Instrument definitions as data: the schema, the loader and the versioned registry.

An instrument file (YAML) is validated by the pydantic models below. Errors name the
file, the field path, the line and why. Each item gets a *fingerprint* of what its answers
mean (kind, wording, scale, options): answers are compared across waves only when item
code and fingerprint are both equal, so a changed wording never silently joins a trend.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from sos_workforce.core.errors import InvalidInput, PermissionDenied
from sos_workforce.core.models import Instrument, InstrumentItem, InstrumentVersion

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,79}$"
Code = Annotated[str, Field(pattern=CODE_PATTERN)]
GroupingField = Literal["staff_role", "employment_type", "tenure_band"]
ModelT = TypeVar("ModelT", bound="BaseModel")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    label: str = Field(min_length=1, max_length=40)
    min: int
    max: int


class ShowIf(_Strict):
    """Show an item only when an earlier single-choice or scale item has one of ``values``."""

    item: Code
    values: list[int] = Field(min_length=1)


class Option(_Strict):
    value: int
    label: str = Field(min_length=1, max_length=200)


class _ItemBase(_Strict):
    code: Code
    text: str = Field(min_length=1, max_length=1000)
    short_label: str | None = Field(default=None, max_length=80)
    help: str | None = Field(default=None, max_length=1000)
    required: bool = False
    show_if: ShowIf | None = None

    @property
    def label(self) -> str:
        return self.short_label or self.text

    def meaning(self) -> dict[str, Any]:
        """What an answer to this item means; changes here make answers incomparable."""
        return self.model_dump(exclude={"short_label", "help", "required", "show_if", "bands"})

    def fingerprint(self) -> str:
        canonical = json.dumps(self.meaning(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


class ScaleItem(_ItemBase):
    """A numeric rating (e.g. 1–10) reported in bands; ``scaling`` is the SoS 0–10 question."""

    kind: Literal["scale", "scaling"]
    min: int = Field(ge=0, le=100)
    max: int = Field(ge=1, le=100)
    anchors: dict[int, str] = Field(default_factory=dict)
    bands: list[Band] = Field(min_length=1, max_length=7)

    @model_validator(mode="after")
    def _check_scale(self) -> ScaleItem:
        if self.max <= self.min:
            raise ValueError(f"max ({self.max}) must be greater than min ({self.min})")
        if self.kind == "scaling" and (self.min, self.max) != (0, 10):
            raise ValueError("a scaling question runs from 0 to 10")
        for point in self.anchors:
            if not self.min <= point <= self.max:
                raise ValueError(f"anchor {point} is outside the scale {self.min}–{self.max}")
        expected = self.min
        for band in self.bands:
            if band.min != expected or band.max < band.min:
                raise ValueError(
                    f"bands must cover {self.min}–{self.max} in order without gaps; "
                    f"band '{band.label}' starts at {band.min}, expected {expected}"
                )
            expected = band.max + 1
        if expected != self.max + 1:
            raise ValueError(f"bands end at {expected - 1}, the scale ends at {self.max}")
        return self

    def band_of(self, value: int) -> int:
        for index, band in enumerate(self.bands):
            if band.min <= value <= band.max:
                return index
        raise ValueError(f"{value} is outside the scale {self.min}–{self.max}")


class ChoiceItem(_ItemBase):
    kind: Literal["single_choice", "multiple_choice"]
    options: list[Option] = Field(min_length=2, max_length=50)
    grouping: GroupingField | None = None

    @model_validator(mode="after")
    def _check_options(self) -> ChoiceItem:
        values = [option.value for option in self.options]
        if len(set(values)) != len(values):
            raise ValueError("option values must be unique")
        if self.grouping and self.kind != "single_choice":
            raise ValueError("a grouping question must be single choice")
        return self

    def option_label(self, value: int) -> str:
        for option in self.options:
            if option.value == value:
                return option.label
        raise ValueError(f"{value} is not an option")


class TextItem(_ItemBase):
    kind: Literal["text"]
    max_length: int = Field(default=2000, ge=1, le=20_000)


Item = Annotated[ScaleItem | ChoiceItem | TextItem, Field(discriminator="kind")]


Audience = Literal["staff", "professional", "family", "rater"]

# What each audience is called wherever its answers are reported ("216 professionals",
# "163 parents and carers"): the plural for a count, and who "answered".
AUDIENCE_WORDS: dict[str, str] = {
    "staff": "members of staff",
    "professional": "professionals",
    "family": "parents and carers",
    "rater": "raters",
}


class Reporting(_Strict):
    """How an instrument's answers are reported.

    ``bands``: each scale item as the share of answers in its bands (the cut points are the
    items' ``bands``), as Brent's staff confidence table. ``mean``: the mean of each scale
    item with its distribution over the whole scale, as Brent's conference feedback ("216
    professionals, average score 8.8/10"); ``headline`` names the required scale item whose
    mean is the headline, ``breakdown`` a single-choice item to report by (the
    professional's agency) and ``conference_type`` the single-choice item that records the
    kind of conference.
    """

    summary: Literal["bands", "mean"] = "bands"
    headline: Code | None = None
    breakdown: Code | None = None
    conference_type: Code | None = None


class Section(_Strict):
    code: Code
    title: str = Field(min_length=1, max_length=200)
    intro: str | None = Field(default=None, max_length=2000)
    items: list[Item] = Field(min_length=1)


class InstrumentDefinition(_Strict):
    """A whole instrument file. See ``surveys/README.md`` for the documented format."""

    code: Code
    version: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=300)
    intro: str | None = Field(default=None, max_length=4000)
    audience: Audience = "staff"
    # ``wave``: launched to staff teams for a fixed time. ``continuous``: a standing link
    # and paper forms, reported by period (conference feedback, ``sos_workforce.feedback``).
    collection: Literal["wave", "continuous"] = "wave"
    reporting: Reporting = Reporting()
    sections: list[Section] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_items(self) -> InstrumentDefinition:
        seen: dict[str, _ItemBase] = {}
        for section in self.sections:
            for item in section.items:
                if item.code in seen:
                    raise ValueError(f"item code '{item.code}' is used twice")
                if item.show_if is not None:
                    source = seen.get(item.show_if.item)
                    if source is None:
                        raise ValueError(
                            f"item '{item.code}' depends on '{item.show_if.item}', "
                            "which is not an earlier item"
                        )
                    if not isinstance(source, ScaleItem | ChoiceItem):
                        raise ValueError(f"item '{item.code}' cannot depend on a text item")
                seen[item.code] = item
        self._check_reporting(seen)
        return self

    def _check_reporting(self, items: dict[str, _ItemBase]) -> None:
        reporting = self.reporting
        if reporting.summary == "mean" and reporting.headline is None:
            raise ValueError("reporting by mean needs a headline: the scale item it reports")
        if reporting.headline is not None:
            headline = items.get(reporting.headline)
            if not isinstance(headline, ScaleItem):
                raise ValueError(
                    f"reporting.headline '{reporting.headline}' is not a scale item of this "
                    "instrument"
                )
            if self.collection == "continuous" and not headline.required:
                raise ValueError(
                    f"the headline item '{reporting.headline}' must be required: every form "
                    "counted has its score"
                )
        for role in ("breakdown", "conference_type"):
            code = getattr(reporting, role)
            if code is not None:
                item = items.get(code)
                if not isinstance(item, ChoiceItem) or item.kind != "single_choice":
                    raise ValueError(
                        f"reporting.{role} '{code}' is not a single-choice item of this instrument"
                    )
        if self.collection == "continuous":
            if reporting.summary != "mean":
                raise ValueError("a continuous collection is reported by mean (reporting.summary)")
            if any(
                isinstance(item, ChoiceItem) and item.kind == "multiple_choice"
                for item in items.values()
            ):
                raise ValueError("a continuous collection has no multiple-choice items")

    @property
    def audience_words(self) -> str:
        """Who answered, as reports say it: "professionals", "parents and carers"."""
        return AUDIENCE_WORDS[self.audience]

    def scale_range(self) -> tuple[int, int] | None:
        """The (min, max) all scale items share, or None when they differ (or there are
        none): reports say "rated from 0 to 10" only when it is true of every item."""
        ranges = {(item.min, item.max) for item in self.items if isinstance(item, ScaleItem)}
        return next(iter(ranges)) if len(ranges) == 1 else None

    def range_words(self) -> str:
        """ "rated from 0 to 10", or the ranges per item when they differ."""
        shared = self.scale_range()
        if shared is not None:
            return f"rated from {shared[0]} to {shared[1]}"
        return "rated on the scale given beside each statement"

    @property
    def items(self) -> list[ScaleItem | ChoiceItem | TextItem]:
        return [item for section in self.sections for item in section.items]

    def item(self, code: str) -> ScaleItem | ChoiceItem | TextItem:
        for candidate in self.items:
            if candidate.code == code:
                return candidate
        raise KeyError(code)

    def checksum(self) -> str:
        data = self.model_dump(mode="json")
        # Fields added to the schema later are left out while they hold their defaults, so
        # every version registered before them keeps its checksum (versions are immutable).
        for name, default in _ADDED_LATER.items():
            if data.get(name) == default:
                data.pop(name)
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


_ADDED_LATER: dict[str, object] = {
    "collection": "wave",
    "reporting": Reporting().model_dump(mode="json"),
}


# --- loading -------------------------------------------------------------------------

_ITEM_KINDS = frozenset({"scale", "scaling", "single_choice", "multiple_choice", "text"})


def _file_path(location: Sequence[int | str]) -> list[int | str]:
    """A pydantic error location without the discriminator tag pydantic inserts after an
    item's index (``items, 0, "scale", "max"``): that tag is not a key of the file. Only
    that position is dropped, since "text" is both a kind and a field name."""
    path: list[int | str] = []
    for index, key in enumerate(location):
        is_tag = (
            key in _ITEM_KINDS
            and index >= 2
            and isinstance(location[index - 1], int)
            and location[index - 2] == "items"
        )
        if not is_tag:
            path.append(key)
    return path


def _node_line(
    root: yaml.Node | None, location: Sequence[int | str], *, tagged: bool = True
) -> int | None:
    """1-based line of the YAML node at a pydantic error location (``tagged``: with its
    discriminator tags) or a path in the file, as near as it exists."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in _file_path(location) if tagged else location:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            node = node.value[key] if 0 <= key < len(node.value) else None
        else:
            node = None
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _format_location(location: Sequence[int | str], *, tagged: bool = True) -> str:
    parts: list[str] = []
    for key in _file_path(location) if tagged else location:
        if isinstance(key, int):
            parts.append(f"[{key}]")
        else:
            parts.append(("." if parts else "") + str(key))
    return "".join(parts) or "(top level)"


def parse_instrument(text: str, source: str = "<upload>") -> InstrumentDefinition:
    """Parse and validate instrument YAML. Raises ``InvalidInput`` with one line per problem,
    each naming the source, the line, the field and why. Text that would load something
    from elsewhere on the anonymous staff page (an image, HTML) is refused."""
    definition = parse_yaml_model(text, source, InstrumentDefinition)
    root: yaml.Node | None = None
    problems = []
    for location, value in _texts(definition.model_dump(mode="json"), []):
        if REMOTE_CONTENT.search(value):
            root = root or yaml.compose(text, Loader=_YAML_LOADER)
            line = _node_line(root, location, tagged=False)
            where = f" line {line}" if line is not None else ""
            problems.append(
                f"{source}{where}: {_format_location(location, tagged=False)}: images and "
                "HTML are not "
                "allowed (the staff page never loads anything from elsewhere)"
            )
    if problems:
        raise InvalidInput("\n".join(problems), problems=problems)
    return definition


# Markdown images (inline, reference or shortcut) and HTML tags: what a browser would fetch
# or run when the text is shown.
REMOTE_CONTENT = re.compile(r"!\[|<\s*[A-Za-z!/?]")
_IMAGE = re.compile(r"!\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])?")


def _texts(node: object, location: list[int | str]) -> Iterator[tuple[list[int | str], str]]:
    if isinstance(node, str):
        yield location, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(value, [*location, key])
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, [*location, index])


def without_remote_content(text: str) -> str:
    """``text`` with its Markdown images reduced to their alt text and every ``<`` written
    as an entity, so nothing is fetched when it is shown (for instruments stored before
    ``parse_instrument`` refused them)."""
    return _IMAGE.sub(r"\1", text).replace("<", "&lt;")


def offline_definition(definition: InstrumentDefinition) -> InstrumentDefinition:
    """``definition`` with ``without_remote_content`` applied to every text, for showing
    to staff. Codes, numbers and structure are unchanged; an instrument without images or
    HTML comes back equal."""

    def clean(node: object) -> object:
        if isinstance(node, str):
            return without_remote_content(node) if REMOTE_CONTENT.search(node) else node
        if isinstance(node, dict):
            return {key: clean(value) for key, value in node.items()}
        if isinstance(node, list):
            return [clean(value) for value in node]
        return node

    data = definition.model_dump(mode="json")
    cleaned = clean(data)
    return definition if cleaned == data else InstrumentDefinition.model_validate(cleaned)


# libyaml's loader where PyYAML was built with it (its wheels are): about ten times faster
# than the pure-Python one, with the same safe constructors and line marks.
_YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml_model(text: str, source: str, model: type[ModelT]) -> ModelT:
    """Parse YAML into ``model``; ``InvalidInput`` lists each problem with its line."""
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{source}{where}: not valid YAML ({exc})") from exc
    if not isinstance(data, dict):
        raise InvalidInput(f"{source}: an instrument file must be a mapping of fields")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Composed again only to name lines: most files are valid and never need it.
        root = yaml.compose(text, Loader=_YAML_LOADER)
        problems = []
        for error in exc.errors():
            location = [part for part in error["loc"] if isinstance(part, int | str)]
            line = _node_line(root, location)
            where = f" line {line}" if line is not None else ""
            problems.append(f"{source}{where}: {_format_location(location)}: {error['msg']}")
        raise InvalidInput("\n".join(problems), problems=problems) from exc


def load_instrument_file(path: Path) -> InstrumentDefinition:
    return parse_instrument(path.read_text(encoding="utf-8"), source=str(path))


def dump_instrument(definition: InstrumentDefinition) -> str:
    """YAML text of a definition; ``parse_instrument`` of it gives the same definition."""
    data = definition.model_dump(mode="json", exclude_none=True, exclude_defaults=False)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


# Self-profile instruments and the time-diary activity codes live beside the surveys but
# have their own schemas (``profile_instrument.py``, ``diary_codes.py``); they are not surveys.
SELF_PROFILE_PREFIX = "self_profile"
DIARY_CODES_PREFIX = "diary_codes"


def instrument_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.glob("*.y*ml")
        if p.suffix in {".yaml", ".yml"}
        and not p.name.startswith((SELF_PROFILE_PREFIX, DIARY_CODES_PREFIX))
    )


# --- registry --------------------------------------------------------------------------


def refuse_changed_version(code: str, version: int, stored: str, offered: str) -> None:
    """Versions are immutable: the same code and version with other content is refused, so
    a changed wording or scale must be published as a new version (trends never silently
    join different wordings)."""
    if stored != offered:
        raise InvalidInput(
            f"{code} version {version} already exists with different content; publish the "
            "change as a new version"
        )


def register(
    session: Session, definition: InstrumentDefinition, organisation_id: int | None = None
) -> InstrumentVersion:
    """Store a definition as an immutable version (idempotent for identical content) of
    an instrument of ``organisation_id`` (None: the shared library).

    Refuses a changed definition under an existing version number: a changed wording or
    scale must be published as a new version. Refuses a code that another owner's
    instrument uses (codes are unique across organisations and the library).
    """
    instrument = session.scalar(select(Instrument).where(Instrument.code == definition.code))
    if instrument is None:
        instrument = Instrument(
            code=definition.code, title=definition.title, organisation_id=organisation_id
        )
        session.add(instrument)
        session.flush()
    elif instrument.organisation_id != organisation_id:
        if instrument.organisation_id is None:
            raise InvalidInput(
                f"'{definition.code}' is an instrument of the shared library: only an "
                "administrator publishes its versions. Give your instrument another code."
            )
        raise InvalidInput(
            f"The code '{definition.code}' is already used by an organisation's own "
            "instrument. Give this instrument another code"
            + (
                ", or ask an administrator to publish that one to the shared library."
                if organisation_id is None
                else "."
            )
        )
    existing = session.scalar(
        select(InstrumentVersion).where(
            InstrumentVersion.instrument_id == instrument.id,
            InstrumentVersion.version == definition.version,
        )
    )
    checksum = definition.checksum()
    if existing is not None:
        refuse_changed_version(definition.code, definition.version, existing.checksum, checksum)
        return existing
    instrument.title = definition.title
    version = InstrumentVersion(
        instrument_id=instrument.id,
        version=definition.version,
        checksum=checksum,
        definition=definition.model_dump(mode="json"),
    )
    session.add(version)
    session.flush()
    session.add_all(
        InstrumentItem(
            instrument_version_id=version.id,
            code=item.code,
            kind=item.kind,
            fingerprint=item.fingerprint(),
            position=position,
        )
        for position, item in enumerate(definition.items)
    )
    session.flush()
    return version


def check_offered(version: InstrumentVersion, organisation_id: int) -> None:
    """Refuse a version that is not offered to ``organisation_id``: another organisation's
    own instrument (the shared library's are offered to every organisation)."""
    owner = version.instrument.organisation_id
    if owner is not None and owner != organisation_id:
        raise PermissionDenied(
            "That instrument belongs to another organisation and is not offered to this one."
        )


_definitions: dict[tuple[int, str], InstrumentDefinition] = {}


def definition_of(version: InstrumentVersion) -> InstrumentDefinition:
    """The parsed definition of a stored version. Versions are immutable, so each is parsed
    once per process (keyed by id and checksum) rather than on every submission."""
    key = (version.id, version.checksum)
    definition = _definitions.get(key)
    if definition is None:
        definition = _definitions[key] = InstrumentDefinition.model_validate(version.definition)
    return definition


def sync_directory(session: Session, directory: Path) -> list[InstrumentVersion]:
    """Register every instrument file in ``directory``; all or nothing (one transaction,
    owned by the caller). A bad file raises ``InvalidInput`` naming it."""
    return [register(session, load_instrument_file(path)) for path in instrument_files(directory)]
