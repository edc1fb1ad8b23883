from pathlib import Path

import pytest
import yaml

from sos_workforce.errors import InvalidInput
from sos_workforce.instruments import (
    ScaleItem,
    dump_instrument,
    instrument_files,
    load_instrument_file,
    parse_instrument,
)

ROOT = Path(__file__).resolve().parent.parent
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


def _confidence_data() -> dict:
    data = yaml.safe_load(CONFIDENCE.read_text())
    assert isinstance(data, dict)
    return data


def _error_for(data: dict) -> str:
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
def test_malformed_instruments_are_rejected_precisely(mutate, fragment: str) -> None:  # type: ignore[no-untyped-def]
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
