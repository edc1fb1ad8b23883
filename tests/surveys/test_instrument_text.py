"""Instrument text never loads anything from elsewhere on the anonymous staff page (issue
18, point 7): a tracking pixel in a question would log staff addresses and times. An upload
with an image or HTML is refused, naming the line; an instrument stored before that rule is
shown with its images reduced to their alt text."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sos_workforce.core.errors import InvalidInput
from sos_workforce.surveys import offline_definition
from sos_workforce.surveys.instruments import InstrumentDefinition, parse_instrument

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "surveys" / "conference_feedback_family.yaml").read_text()
PIXEL = "![](https://tracker.example/p.gif?who=staff)"


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        (
            "text: I understood what the professionals are worried about",
            f"text: I understood what the professionals are worried about {PIXEL}",
            "line 18: sections[0].items[0].text",
        ),
        (
            "intro: Answer from 0 to 10, where",
            'intro: <img src="https://tracker.example/p.gif"> Answer from 0 to 10, where',
            "line 13: sections[0].intro",
        ),
        (
            "anchors: {0: Not at all, 10: Completely}",
            'anchors: {0: "Not at all ![x][pixel]", 10: Completely}',
            "line 21: sections[0].items[0].anchors.0",
        ),
    ],
)
def test_an_upload_with_an_image_or_html_is_refused_naming_the_line(
    old: str, new: str, where: str
) -> None:
    assert old in SOURCE
    with pytest.raises(InvalidInput) as caught:
        parse_instrument(SOURCE.replace(old, new, 1), source="upload.yaml")
    assert caught.value.problems == [
        f"upload.yaml {where}: images and HTML are not allowed (the staff page never loads "
        "anything from elsewhere)"
    ]


def test_plain_text_with_a_less_than_sign_or_a_link_is_accepted() -> None:
    parse_instrument(
        SOURCE.replace(
            "text: I understood what the professionals are worried about",
            "text: 'I understood the worries (< 5 minutes; see [our guide](https://x.example))'",
        ),
        source="upload.yaml",
    )


def _stored_with_pixels() -> InstrumentDefinition:
    """An instrument as stored before uploads were checked (validated, not parsed)."""
    data = parse_instrument(SOURCE).model_dump(mode="json")
    data["intro"] = f"Welcome {PIXEL}"
    item = data["sections"][0]["items"][0]
    item["text"] = f"I understood ![the worries](https://tracker.example/a.png) {PIXEL}"
    item["help"] = '<img src="https://tracker.example/h.gif">'
    return InstrumentDefinition.model_validate(data)


def test_a_stored_instrument_is_shown_without_its_images() -> None:
    stored = _stored_with_pixels()
    shown = offline_definition(stored)
    item = shown.sections[0].items[0]
    assert item.text == "I understood the worries "
    assert item.help == '&lt;img src="https://tracker.example/h.gif">'
    assert shown.intro == "Welcome "
    assert [i.code for i in shown.items] == [i.code for i in stored.items]
    clean = parse_instrument(SOURCE)
    assert offline_definition(clean) is clean


def _render_stored_survey() -> None:
    import streamlit as st

    from survey_form import FormActions, render_survey
    from tests.surveys.test_instrument_text import _stored_with_pixels

    definition = _stored_with_pixels()
    st.session_state.setdefault("rendered", True)
    render_survey(definition, {}, FormActions(lambda *_: None, lambda *_: None), scope="x")


def test_the_staff_form_shows_no_image_from_a_stored_instrument() -> None:
    at = AppTest.from_function(_render_stored_survey, default_timeout=30).run()
    assert not at.exception, at.exception
    widgets = [*at.radio, *at.button_group]
    shown = [r.label for r in widgets] + [r.help or "" for r in widgets]
    shown += [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert any("I understood the worries" in text for text in shown)
    assert not [text for text in shown if "tracker.example" in text and "&lt;" not in text]
