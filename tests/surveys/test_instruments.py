import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sos_workforce.core.errors import InvalidInput
from sos_workforce.surveys.instruments import (
    REMOTE_CONTENT,
    ScaleItem,
    dump_instrument,
    instrument_files,
    load_instrument_file,
    parse_instrument,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIDENCE = ROOT / "surveys" / "sos_confidence.yaml"


def test_every_shipped_instrument_loads_and_round_trips() -> None:
    files = instrument_files(ROOT / "surveys")
    assert CONFIDENCE in files
    for path in files:
        definition = load_instrument_file(path)
        assert parse_instrument(dump_instrument(definition)) == definition


def test_confidence_instrument_has_the_four_brent_statements() -> None:
    definition = load_instrument_file(CONFIDENCE)
    items = definition.items
    assert [item.code for item in items] == [
        "understanding",
        "integration",
        "advise_colleagues",
        "train_colleagues",
    ]
    assert items[0].text.startswith("I have a good understanding of the theoretical principles")
    for item in items:
        assert isinstance(item, ScaleItem)
        assert (item.min, item.max) == (1, 10)
        assert [(b.min, b.max) for b in item.bands] == [(1, 3), (4, 6), (7, 10)]
        assert not item.required  # each may be skipped


def _confidence_data() -> dict[str, Any]:
    data = yaml.safe_load(CONFIDENCE.read_text())
    assert isinstance(data, dict)
    return data


def _error_for(data: dict[str, Any]) -> str:
    with pytest.raises(InvalidInput) as caught:
        parse_instrument(yaml.safe_dump(data, sort_keys=False), source="surveys/bad.yaml")
    return str(caught.value)


def test_error_names_file_line_field_and_reason() -> None:
    text = CONFIDENCE.read_text().replace("        max: 10\n", "        max: eleven\n", 1)
    with pytest.raises(InvalidInput) as caught:
        parse_instrument(text, source="surveys/sos_confidence.yaml")
    message = str(caught.value)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "max: eleven" in row)
    assert message.startswith(f"surveys/sos_confidence.yaml line {line}: ")
    assert "sections[0].items[0].max" in message
    assert "valid integer" in message


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (
            lambda d: d["sections"][0]["items"][0].update(
                bands=[{"label": "low", "min": 1, "max": 3}, {"label": "high", "min": 5, "max": 10}]
            ),
            "without gaps",
        ),
        (lambda d: d["sections"][0]["items"][1].update(code="understanding"), "used twice"),
        (lambda d: d["sections"][0]["items"][0].update(min=10, max=1), "greater than min"),
        (lambda d: d["sections"][0]["items"][0].update(kind="slider"), "kind"),
        (lambda d: d["sections"][0]["items"][0].update(colour="red"), "Extra inputs"),
        (lambda d: d.update(version=0), "version"),
        (lambda d: d["sections"][0].update(items=[]), "items"),
        (lambda d: d["sections"][0]["items"][0].update(code="Bad Code"), "code"),
        (
            lambda d: d["sections"][0]["items"][1].update(show_if={"item": "later", "values": [1]}),
            "not an earlier item",
        ),
    ],
)
def test_malformed_instruments_are_rejected_precisely(
    mutate: Callable[[dict[str, Any]], object], fragment: str
) -> None:
    data = _confidence_data()
    mutate(data)
    message = _error_for(data)
    assert message.startswith("surveys/bad.yaml")
    assert fragment in message


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "code: [unclosed\n", "\x00"])
def test_non_instrument_text_is_rejected(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_instrument(text, source="upload.yaml")
    assert str(caught.value).startswith("upload.yaml")


def test_fingerprint_changes_with_wording_but_not_with_labels_or_bands() -> None:
    base = load_instrument_file(CONFIDENCE).items[0]
    assert isinstance(base, ScaleItem)
    reworded = base.model_copy(update={"text": base.text + " and practice"})
    relabelled = base.model_copy(update={"short_label": "Principles", "help": "Say more"})
    assert reworded.fingerprint() != base.fingerprint()
    assert relabelled.fingerprint() == base.fingerprint()
    rescaled = base.model_copy(update={"max": 7})
    assert rescaled.fingerprint() != base.fingerprint()


# --- every shipped instrument, and property tests over generated instrument files ---------

SHIPPED = {
    "sos_confidence",
    "sos_tool_confidence",
    "staff_wellbeing",
    "three_columns",
    "conference_feedback_family",
    "conference_feedback_professional",
}


def test_the_shipped_instruments_cover_every_survey_the_issue_names() -> None:
    definitions = [load_instrument_file(p) for p in instrument_files(ROOT / "surveys")]
    assert {d.code for d in definitions} == SHIPPED
    by_code = {d.code: d for d in definitions}
    tools = {item.code for item in by_code["sos_tool_confidence"].items}
    assert {
        "tool_mapping",
        "tool_scaling",
        "tool_danger_statements",
        "tool_safety_goals",
        "tool_safety_networks",
        "tool_safety_plans",
        "tool_three_houses",
        "tool_fairy_wizard",
        "tool_words_pictures",
    } <= tools
    assert by_code["staff_wellbeing"].item("intention_to_stay").kind == "scale"
    assert {i.kind for i in by_code["three_columns"].items} == {"text", "scaling"}
    assert by_code["conference_feedback_family"].audience == "family"
    assert by_code["conference_feedback_professional"].audience == "professional"
    groupings = {getattr(item, "grouping", None) for d in definitions for item in d.items} - {None}
    assert groupings == {"staff_role", "employment_type", "tenure_band"}
    # Version 2 of the confidence survey only adds grouping questions: its four statements
    # keep their fingerprints, so trends join the two versions.
    versions = sorted(
        (d for d in definitions if d.code == "sos_confidence"), key=lambda d: d.version
    )
    assert [d.version for d in versions] == [1, 2]
    for item in versions[0].items:
        assert versions[1].item(item.code).fingerprint() == item.fingerprint()


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=40,
).filter(lambda t: t.strip() == t and t != "" and not REMOTE_CONTENT.search(t))  # issue 18.7


@st.composite
def _instrument_data(draw: st.DrawFn) -> dict[str, Any]:
    counter = iter(range(1000))
    sections = []
    earlier_choices: list[tuple[str, list[int]]] = []
    for s_index in range(draw(st.integers(1, 3))):
        items = []
        for _ in range(draw(st.integers(1, 4))):
            code = f"q{next(counter)}"
            kind = draw(
                st.sampled_from(["scale", "scaling", "single_choice", "multiple_choice", "text"])
            )
            item: dict[str, Any] = {"code": code, "kind": kind, "text": draw(_TEXT)}
            if draw(st.booleans()):
                item["required"] = True
            if kind in {"scale", "scaling"}:
                low, high = (
                    (0, 10)
                    if kind == "scaling"
                    else sorted(
                        draw(st.lists(st.integers(0, 20), min_size=2, max_size=2, unique=True))
                    )
                )
                cut = draw(st.integers(low, high - 1))
                item |= {
                    "min": low,
                    "max": high,
                    "bands": [
                        {"label": "low", "min": low, "max": cut},
                        {"label": "high", "min": cut + 1, "max": high},
                    ],
                    "anchors": {low: draw(_TEXT)},
                }
            elif kind.endswith("choice"):
                values = draw(st.lists(st.integers(-5, 50), min_size=2, max_size=5, unique=True))
                item["options"] = [{"value": v, "label": draw(_TEXT)} for v in values]
                if kind == "single_choice":
                    earlier_choices.append((code, values))
            else:
                item["max_length"] = draw(st.integers(1, 5000))
            if earlier_choices and kind != "single_choice" and draw(st.booleans()):
                source, values = draw(st.sampled_from(earlier_choices))
                item["show_if"] = {"item": source, "values": values[:1]}
            items.append(item)
        sections.append({"code": f"s{s_index}", "title": draw(_TEXT), "items": items})
    return {
        "code": "generated",
        "version": draw(st.integers(1, 99)),
        "title": draw(_TEXT),
        "intro": draw(_TEXT),
        "sections": sections,
    }


@settings(max_examples=150, deadline=None)
@given(_instrument_data())
def test_generated_instruments_round_trip_through_their_files(data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    definition = parse_instrument(text, source="gen.yaml")
    again = parse_instrument(dump_instrument(definition), source="dumped.yaml")
    assert again == definition
    assert again.checksum() == definition.checksum()
    assert [i.fingerprint() for i in again.items] == [i.fingerprint() for i in definition.items]


_BREAKAGES = [
    ("min", "not a number", "min"),
    ("text", "", "text"),
    ("kind", "slider", "kind"),
    ("code", "Not A Code", "code"),
    ("surprise", 1, "surprise"),
]


@settings(max_examples=80, deadline=None)
@given(_instrument_data(), st.data())
def test_broken_generated_instruments_name_the_line_and_the_field(
    data: dict[str, Any], pick: st.DataObject
) -> None:
    sections = data["sections"]
    s_index = pick.draw(st.integers(0, len(sections) - 1))
    items = sections[s_index]["items"]
    i_index = pick.draw(st.integers(0, len(items) - 1))
    field, value, named = pick.draw(st.sampled_from(_BREAKAGES))
    items[i_index][field] = value
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    with pytest.raises(InvalidInput) as caught:
        parse_instrument(text, source="gen.yaml")
    problem = caught.value.problems[0]
    assert re.match(r"gen\.yaml line \d+: sections\[\d+\]\.items\[\d+\]", problem), problem
    assert any(named in p for p in caught.value.problems), caught.value.problems
    # The line named is inside the broken item's block of the file.
    line = int(problem.split(" line ", 1)[1].split(":", 1)[0])
    assert 1 <= line <= len(text.splitlines())
