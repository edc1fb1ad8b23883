"""The staff survey form: one section per page, progress, save and resume, review, send.

UI code (imports streamlit). Used by ``pages/survey.py`` for real responses and by
``pages/instruments.py`` to preview an instrument exactly as staff will see it; the two
differ only in what ``save`` and ``send`` do. The pieces every answer form shares (a scale
that fits one row on a phone and can be cleared, moving focus to a new section's heading)
are here too, for the rater form and the conference feedback forms.
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
from ui import run_page_script

Answers = dict[str, AnswerValue]
Item = ScaleItem | ChoiceItem | TextItem


@dataclass(frozen=True)
class FormActions:
    """What the form does with answers: keep a draft (with the index of the section to
    resume at), and send the response."""

    save: Callable[[Answers, int], None]
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
    # Plain words, no Markdown: a scale or choice group reads its label out as given (its
    # aria-label), so "*(optional)*" would be read with its asterisks.
    return item.text + (" (required)" if item.required else " (optional)")


# Scale options share one row at any width from 320 px (11 targets of at least 26 x 32 px
# at 390 px, WCAG 2.5.8 asks for 24 x 24): Streamlit's segmented control gives each option
# a 46 px minimum and wraps the rest onto a second row. Only scales use segmented controls.
_FORM_STYLES = """<style>
[data-testid="stButtonGroup"] [role="radiogroup"]:has(> button[data-variant="segmented_control"]) {
  flex-wrap: nowrap; max-width: 40rem;
}
[data-testid="stButtonGroup"] button[data-variant="segmented_control"] {
  min-width: 1.5rem; min-height: 2rem; flex: 1 1 0; padding-left: 0; padding-right: 0;
}
</style>"""


def form_styles() -> None:
    """Keep every scale of the page on one row (call once per run, before the form)."""
    st.html(_FORM_STYLES)


CLEAR_HINT = "Select a chosen answer again to clear it."


def scale_widget(
    label: str, options: list[int], previous: object, key: str, help: str | None = None
) -> int | None:
    """A scale whose options sit on one row and whose answer can be cleared (selecting the
    chosen option again clears it): a skipped question stays skipped."""
    default = previous if isinstance(previous, int) and previous in options else None
    value = st.segmented_control(
        label, options, default=default, key=key, help=help, width="stretch"
    )
    return value if isinstance(value, int) else None


FOCUS_KEY = "form_focus_pending"


def request_focus() -> None:
    """After the next run draws a new section, move focus to its heading (``focus_heading``)."""
    st.session_state[FOCUS_KEY] = st.session_state.get(FOCUS_KEY, 0) + 1


def focus_heading(anchor: str, title: str) -> None:
    """If a step changed (``request_focus``), move keyboard and screen-reader focus to the
    heading with id ``anchor`` once it shows ``title`` (made focusable by script only,
    tabindex -1), as GOV.UK forms do; otherwise focus stays where the person is (answering
    must not move it). Call it last on the page: an element that comes and goes must not
    move the others while a run redraws them.

    Streamlit has no focus API, so a tiny script does it (``assets/scripts/focus_heading.js``
    through ``ui.run_page_script``; the anchor and title travel as data attributes). The
    heading is reused between sections, so the script waits until it shows the new title,
    and for two seconds puts focus back if redrawing drops it to the page's body; then it
    stops (after 1.5 s it focuses the heading even if the title never matched)."""
    pending = st.session_state.pop(FOCUS_KEY, 0)
    if not pending:
        return
    run_page_script("focus_heading", anchor=anchor, title=" ".join(title.split()), request=pending)


def answer_widget(item: Item, previous: AnswerValue, key_prefix: str = "q_") -> AnswerValue:
    """The input for one item, labelled with its text (required or optional), keyed
    ``<key_prefix><item code>``; also used by the conference feedback pages. A scale or a
    single choice can be cleared once picked (select the chosen option again)."""
    key = f"{key_prefix}{item.code}"
    if isinstance(item, ScaleItem):
        value: AnswerValue = scale_widget(
            _label(item), list(range(item.min, item.max + 1)), previous, key, item.help
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
        chosen = st.pills(
            _label(item),
            values,
            default=previous if isinstance(previous, int) and previous in values else None,
            format_func=labels.__getitem__,
            key=key,
            help=item.help,
        )
        return chosen if isinstance(chosen, int) else None
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


SECTION_ANCHOR = "form-section"


def render_survey(
    definition: InstrumentDefinition,
    draft: Answers,
    actions: FormActions,
    scope: str,
    draft_section: int = 0,
) -> None:
    """Draw the current step of the survey. ``scope`` (e.g. the link) starts a fresh form
    when it changes, so one browser never carries answers from one response to another; a
    saved draft resumes at ``draft_section``, where the person stopped. Images and HTML in
    the instrument's text are never shown (nothing is fetched from elsewhere on the staff
    page)."""
    definition = offline_definition(definition)
    form_styles()
    state = st.session_state.get(STATE_KEY)
    if not isinstance(state, _FormState) or state.scope != scope:
        forget()
        state = st.session_state[STATE_KEY] = _FormState(
            scope, dict(draft), max(draft_section, 0) if draft or draft_section else 0
        )
        if draft or draft_section:
            st.info("Welcome back. Your saved answers are filled in; carry on where you left off.")
            if state.step:
                request_focus()
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
        request_focus()

    if step < review_step:
        section, _ = sections[step]
        st.subheader(section.title, anchor=SECTION_ANCHOR)
        if section.intro:
            st.write(section.intro)
        st.caption(CLEAR_HINT)
        # Items are re-evaluated as answers change, so a show-if question appears at once.
        for item in section.items:
            if item not in visible_items(definition, answers):
                answers.pop(item.code, None)
                continue
            answers[item.code] = answer_widget(item, answers.get(item.code))
        back, save, forward = st.columns(3)
        if step > 0 and back.button("Back", key="survey_back", icon=":material/arrow_back:"):
            actions.save(answers, step - 1)
            go(step - 1)
            st.rerun()
        if save.button("Save and finish later", key="survey_save", icon=":material/save:"):
            actions.save(answers, step)
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
                actions.save(answers, step + 1)
                go(step + 1)
                st.rerun()
        focus_heading(SECTION_ANCHOR, section.title)  # last: nothing after it moves
        return

    st.subheader("Check your answers", anchor=SECTION_ANCHOR)
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
    focus_heading(SECTION_ANCHOR, "Check your answers")


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
    prefixes = ("q_", STATE_KEY, "optin_", FOCUS_KEY)
    for key in [k for k in st.session_state if str(k).startswith(prefixes)]:
        del st.session_state[key]
