"""Email templates: a subject and a plain-text body with placeholders, checked before a
launch and filled in once per person.

Placeholders are ``{link}`` (required: the person's own link), ``{title}`` (the wave or
diary period) and ``{closes_on}``. Filling in is a plain replacement, never ``str.format``,
so braces elsewhere in a lead's text are kept as written.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sos_workforce.core.dates import as_date
from sos_workforce.core.errors import InvalidInput

PLACEHOLDERS = ("{link}", "{title}", "{closes_on}")
MAX_SUBJECT = 200
MAX_BODY = 10_000
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@dataclass(frozen=True)
class MailTemplate:
    subject: str
    body: str


SURVEY_INVITATION = MailTemplate(
    subject="{title}: your invitation to the staff survey",
    body=(
        "Hello,\n\n"
        "You are invited to take part in our staff survey, {title}. It asks how Signs of "
        "Safety is working for you and takes about 15 minutes.\n\n"
        "Your answers are anonymous. Nobody, including your manager and the people running "
        "the survey, can see what you answered. Results are only shown for groups of "
        "several people.\n\n"
        "This is your own link. It works once, so please do not forward it:\n\n"
        "{link}\n\n"
        "You can save your answers and come back to them with the same link. The survey "
        "closes on {closes_on}.\n\n"
        "Thank you.\n"
    ),
)

DIARY_INVITATION = MailTemplate(
    subject="{title}: your time diary link",
    body=(
        "Hello,\n\n"
        "You are taking part in a time diary, {title}. Each working day, please record how "
        "you spent your time. It takes a few minutes a day.\n\n"
        "This is your own link for the whole period. Please do not forward it:\n\n"
        "{link}\n\n"
        "The diary period ends on {closes_on}.\n\n"
        "Thank you.\n"
    ),
)

# A reminder carries a new link: the plain token of the first one is never stored, so it
# cannot be sent again. The text says so, and that saved answers do not carry over.
SURVEY_REMINDER = MailTemplate(
    subject="Reminder: {title}",
    body=(
        "Hello,\n\n"
        "This is a reminder about our staff survey, {title}. If you have already answered, "
        "thank you, and please ignore this message.\n\n"
        "Here is a new link for you. It replaces the link in your first invitation, which "
        "no longer works, and answers saved with the old link are not carried over:\n\n"
        "{link}\n\n"
        "The link works once; please do not forward it. The survey closes on {closes_on}.\n\n"
        "Thank you.\n"
    ),
)


# A diary reminder carries a new link for the same reason. Unlike a survey's draft, what
# was recorded with the old link is kept: entries belong to the person, not to the link.
DIARY_REMINDER = MailTemplate(
    subject="Reminder: {title}",
    body=(
        "Hello,\n\n"
        "This is a reminder about the time diary, {title}. We have no days recorded from "
        "you yet. If you have just started, thank you, and please ignore this message.\n\n"
        "Here is a new link for you. It replaces the link in your first invitation, which "
        "no longer works. Anything you recorded with the old link is kept:\n\n"
        "{link}\n\n"
        "Please use it each working day and do not forward it. The diary period ends on "
        "{closes_on}.\n\n"
        "Thank you.\n"
    ),
)


# Raters of a self-profiling round: {closes_on} is the round's meeting date.
RATER_INVITATION = MailTemplate(
    subject="{title}: your link to score the self-profile",
    body=(
        "Hello,\n\n"
        "You are one of the raters in our Signs of Safety self-profile, {title}. Please "
        "score each statement from 0 to 10 on your own, before the meeting on {closes_on}. "
        "It takes about 20 minutes.\n\n"
        "Your scores are anonymous: they are shown only by role (for example, all team "
        "managers together) and only for groups of several raters.\n\n"
        "This is your own link. It works once, so please do not forward it:\n\n"
        "{link}\n\n"
        "Thank you.\n"
    ),
)

RATER_REMINDER = MailTemplate(
    subject="Reminder: {title}",
    body=(
        "Hello,\n\n"
        "This is a reminder about the self-profile, {title}. If you have already sent your "
        "scores, thank you, and please ignore this message.\n\n"
        "Here is a new link for you. It replaces the link in your first invitation, which "
        "no longer works:\n\n"
        "{link}\n\n"
        "The link works once; please do not forward it. The meeting is on {closes_on}.\n\n"
        "Thank you.\n"
    ),
)


def check_template(template: MailTemplate) -> MailTemplate:
    """The template tidied (subject on one line), or ``InvalidInput`` saying what is wrong."""
    subject = " ".join(template.subject.split())
    body = template.body.replace("\r\n", "\n").strip() + "\n"
    problems = []
    if not subject:
        problems.append("Give the email a subject.")
    if len(subject) > MAX_SUBJECT:
        problems.append(f"The subject is longer than {MAX_SUBJECT} characters.")
    if len(body) > MAX_BODY:
        problems.append(f"The message is longer than {MAX_BODY} characters.")
    if "{link}" not in body:
        problems.append("The message must contain {link}, where each person's own link goes.")
    if "{link}" in subject:
        problems.append("Put {link} in the message, not the subject.")
    unknown = sorted({p for p in _PLACEHOLDER.findall(subject + body) if p not in PLACEHOLDERS})
    if unknown:
        problems.append(
            f"Unknown placeholder(s) {', '.join(unknown)}; use {', '.join(PLACEHOLDERS)}."
        )
    if problems:
        raise InvalidInput(" ".join(problems), problems)
    return MailTemplate(subject, body)


def render(template: MailTemplate, *, link: str, title: str, closes_on: dt.date) -> tuple[str, str]:
    """The subject and body for one person."""

    def fill(text: str) -> str:
        return (
            text.replace("{title}", title)
            .replace("{closes_on}", f"{closes_on:%A} {as_date(closes_on, long=True)}")
            .replace("{link}", link)
        )

    subject = " ".join(fill(template.subject).split())[:MAX_SUBJECT]
    return subject, fill(template.body)
