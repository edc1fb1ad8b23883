"""The staff survey form: one section per page, progress, save and resume, review, send.

UI code (imports streamlit). Used by ``pages/survey.py`` for real responses and by
``pages/instruments.py`` to preview an instrument exactly as staff will see it; the two
differ only in what ``save`` and ``send`` do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from sos_workforce.surveys import (
    AnswerValue,
    ChoiceItem,
    Identity,
    InstrumentDefinition,
    OptIn,
    ScaleItem,
    Section,
    TextItem,
    offline_definition,
    visible_items,
)

Answers = dict[str, AnswerValue]
Item = ScaleItem | ChoiceItem | TextItem


@dataclass(frozen=True)
class FormActions:
    """What the form does with answers: keep a draft, and send the response."""

    save: Callable[[Answers], None]
    send: Callable[[Answers, Identity | None], None]
    allow_identified: bool = False
    # A wave that lets people ask for support or to become an in-house trainer: sends the
    # answers with the request (kept apart from them); ``optin_readers`` says who sees it.
    send_optin: Callable[[Answers, OptIn], None] | None = None
    optin_readers: str = ""


STATE_KEY = "survey_form"


@dataclass
class _FormState:
    scope: str
    answers: Answers
    step: int = 0


def _is_answered(value: AnswerValue) -> bool:
    return value is not None and value != "" and value != []


def _visible_sections(
    definition: InstrumentDefinition, answers: Answers
) -> list[tuple[Section, list[Item]]]:
    shown = {item.code for item in visible_items(definition, answers)}
    sections = []
    for section in definition.sections:
        items = [item for item in section.items if item.code in shown]
        if items:
            sections.append((section, items))
    return sections


def _label(item: Item) -> str:
    return item.text + (" *(required)*" if item.required else " *(optional)*")


def answer_widget(item: Item, previous: AnswerValue, key_prefix: str = "q_") -> AnswerValue:
    """The input for one item, labelled with its text (required or optional), keyed
    ``<key_prefix><item code>``; also used by the conference feedback pages."""
    key = f"{key_prefix}{item.code}"
    if isinstance(item, ScaleItem):
        options = list(range(item.min, item.max + 1))
        index = (
            options.index(previous) if isinstance(previous, int) and previous in options else None
        )
        value: AnswerValue = st.radio(
            _label(item), options, index=index, horizontal=True, key=key, help=item.help
        )
        if item.anchors:
            st.caption(" · ".join(f"{p} = {text}" for p, text in sorted(item.anchors.items())))
        return value
    if isinstance(item, ChoiceItem):
        labels = {option.value: option.label for option in item.options}
        if item.kind == "multiple_choice":
            default = [v for v in previous if v in labels] if isinstance(previous, list) else []
            return list(
                st.multiselect(
                    _label(item),
                    list(labels),
                    default=default,
                    format_func=labels.__getitem__,
                    key=key,
                    help=item.help,
                    placeholder="Choose any that apply",
                )
            )
        values = list(labels)
        index = values.index(previous) if isinstance(previous, int) and previous in values else None
        return st.radio(
            _label(item),
            values,
            index=index,
            format_func=labels.__getitem__,
            key=key,
            help=item.help,
        )
    return st.text_area(
        _label(item),
        value=previous if isinstance(previous, str) else "",
        max_chars=item.max_length,
        key=key,
        help=item.help,
    )


def _display(item: Item, value: AnswerValue) -> str:
    if not _is_answered(value):
        return "(skipped)"
    if isinstance(item, ChoiceItem):
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(item.option_label(int(v)) for v in chosen if isinstance(v, int))
    return str(value)


def render_survey(
    definition: InstrumentDefinition, draft: Answers, actions: FormActions, scope: str
) -> None:
    """Draw the current step of the survey. ``scope`` (e.g. the link) starts a fresh form
    when it changes, so one browser never carries answers from one response to another.
    Images and HTML in the instrument's text are never shown (nothing is fetched from
    elsewhere on the staff page)."""
    definition = offline_definition(definition)
    state = st.session_state.get(STATE_KEY)
    if not isinstance(state, _FormState) or state.scope != scope:
        forget()
        state = st.session_state[STATE_KEY] = _FormState(scope, dict(draft))
        if draft:
            st.info("Welcome back. Your saved answers are filled in; carry on where you left off.")
    answers = state.answers
    sections = _visible_sections(definition, answers)
    review_step = len(sections)
    step = min(state.step, review_step)

    st.progress(
        step / review_step if review_step else 1.0,
        text=(
            f"Section {step + 1} of {review_step}: {sections[step][0].title}"
            if step < review_step
            else "Check your answers"
        ),
    )

    def go(to: int) -> None:
        state.step = to

    if step < review_step:
        section, _ = sections[step]
        st.subheader(section.title)
        if section.intro:
            st.write(section.intro)
        # Items are re-evaluated as answers change, so a show-if question appears at once.
        for item in section.items:
            if item not in visible_items(definition, answers):
                answers.pop(item.code, None)
                continue
            answers[item.code] = answer_widget(item, answers.get(item.code))
        back, save, forward = st.columns(3)
        if step > 0 and back.button("Back", key="survey_back", icon=":material/arrow_back:"):
            actions.save(answers)
            go(step - 1)
            st.rerun()
        if save.button("Save and finish later", key="survey_save", icon=":material/save:"):
            actions.save(answers)
            st.success(
                "Saved. You can close this page and open the same link later to carry on; "
                "your link still works until you send your answers."
            )
        if forward.button("Continue", type="primary", key="survey_next"):
            missing = [
                item.text
                for item in visible_items(definition, answers)
                if item.required
                and item in section.items
                and not _is_answered(answers.get(item.code))
            ]
            if missing:
                st.error("Please answer: " + "; ".join(missing))
            else:
                actions.save(answers)
                go(step + 1)
                st.rerun()
        return

    st.subheader("Check your answers")
    st.write("Nothing has been sent yet. Change anything you like, then send your answers.")
    for index, (section, items) in enumerate(sections):
        with st.container(border=True):
            heading, change = st.columns([4, 1])
            heading.markdown(f"**{section.title}**")
            if change.button("Change", key=f"survey_change_{index}"):
                go(index)
                st.rerun()
            for item in items:
                # st.text never interprets markup: answers are shown exactly as typed.
                st.caption(item.label)
                st.text(_display(item, answers.get(item.code)))
    identity = None
    if actions.allow_identified:
        st.markdown(
            "**Optional: add your name.** Only if you would like to be contacted, for "
            "example to be offered support or to become an in-house trainer."
        )
        name = st.text_input("Your name (leave blank to stay anonymous)", key="identity_name")
        email = st.text_input("Your work email (optional)", key="identity_email")
        if name.strip():
            identity = Identity(name=name, email=email or None)
    opt_in = _opt_in(definition, answers, actions) if actions.send_optin else None
    back, send = st.columns(2)
    if back.button("Back", key="survey_back_review", icon=":material/arrow_back:"):
        go(review_step - 1)
        st.rerun()
    if send.button("Send my answers", type="primary", key="survey_send"):
        given = {code: value for code, value in answers.items() if _is_answered(value)}
        if opt_in is not None and actions.send_optin is not None:
            actions.send_optin(given, opt_in)
        else:
            actions.send(given, identity)


def _opt_in(
    definition: InstrumentDefinition, answers: Answers, actions: FormActions
) -> OptIn | None:
    """The optional request for support or to train others, with plain consent words."""
    with st.container(border=True):
        st.markdown("**Optional: ask for support, or offer to train others**")
        support = st.checkbox("I would like more support", key="optin_support")
        trainer = st.checkbox("I would like to become an in-house trainer", key="optin_trainer")
        if not (support or trainer):
            st.caption(
                "If you tick neither box, nobody learns who you are: your answers stay anonymous."
            )
            return None
        st.info(
            f"**Who will see your name:** {actions.optin_readers}, and no one else. They "
            "will see your name and work email as your invitation was sent to you, what "
            "you asked for, and only the answers you choose below (none unless you choose "
            "them). Your request is kept apart from your survey answers, which stay "
            "anonymous: nothing links the two."
        )
        shareable = [
            item
            for item in definition.items
            if item.code in answers and _is_answered(answers.get(item.code))
        ]
        labels = {
            item.code: f"{item.label}: {_display(item, answers.get(item.code))}"
            for item in shareable
        }
        share = st.multiselect(
            "Answers to share with your name (optional)",
            list(labels),
            format_func=labels.__getitem__,
            key="optin_share",
            placeholder="Share none of my answers",
        )
    return OptIn(support=support, trainer=trainer, share=tuple(share))


def forget() -> None:
    """Drop a survey's answers and widget state from the session."""
    for key in [k for k in st.session_state if str(k).startswith(("q_", STATE_KEY, "optin_"))]:
        del st.session_state[key]
