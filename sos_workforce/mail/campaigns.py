"""What every domain that emails personal links does alike (survey waves, diary periods,
self-profiling rounds): queue the invitations with the addresses kept for reminders, show
the lead the send log and the failures, remind with new links, and resend a failed
invitation to a corrected address.

The domain decides who is due and mints the links (only it knows its owner rows and its
URL); these helpers do the rest inside the domain's own authorised unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sos_workforce.core.enums import MailKind
from sos_workforce.core.errors import NotFound
from sos_workforce.mail.addresses import normalise_address
from sos_workforce.mail.outbox import (
    FailedDelivery,
    MailScope,
    Outgoing,
    SendLog,
    enqueue,
    failed_deliveries,
    failed_message,
    recipients_of,
    remember_recipients,
    retire_failed,
    send_log,
)
from sos_workforce.mail.templates import MailTemplate, render
from sos_workforce.privacy import GroupCount, gated_counts


@dataclass(frozen=True)
class Letter:
    """What goes into each message of one wave, period or round."""

    template: MailTemplate
    title: str
    closes_on: dt.date

    def to(self, address: str, link: str, recipient_id: int) -> Outgoing:
        subject, body = render(self.template, link=link, title=self.title, closes_on=self.closes_on)
        return Outgoing(address, subject, body, recipient_id)


def queue_invitations(
    session: Session,
    scope: MailScope,
    letter: Letter,
    people: Sequence[tuple[int, str, str]],
    *,
    organisation_id: int,
    not_before: dt.datetime | None = None,
) -> int:
    """Keep each (owner id, link, address) and queue its invitation, in the caller's
    transaction (all or nothing with the links)."""
    recipient_ids = remember_recipients(
        session, scope, [owner for owner, _, _ in people], [address for _, _, address in people]
    )
    messages = [
        letter.to(address, link, recipient_id)
        for (_, link, address), recipient_id in zip(people, recipient_ids, strict=True)
    ]
    return enqueue(
        session,
        scope,
        messages,
        organisation_id=organisation_id,
        kind=MailKind.INVITATION,
        not_before=not_before,
    )


def queue_reminders(
    session: Session,
    scope: MailScope,
    letter: Letter,
    due: Sequence[int],
    relink: Callable[[int], str],
    *,
    organisation_id: int,
) -> list[int]:
    """Queue a reminder to each owner in ``due`` whose address is kept, with the new link
    ``relink(owner id)`` mints. Returns the owners reminded (the caller counts them by
    group, under the gate)."""
    kept = recipients_of(session, scope)
    reminded = [owner for owner in due if owner in kept]
    messages = [letter.to(kept[owner][1], relink(owner), kept[owner][0]) for owner in reminded]
    session.flush()
    enqueue(session, scope, messages, organisation_id=organisation_id, kind=MailKind.REMINDER)
    return reminded


def resend_failed(
    session: Session,
    scope: MailScope,
    letter: Letter,
    message_id: int,
    address: str,
    relink: Callable[[int], str],
    *,
    organisation_id: int,
    not_before: dt.datetime | None = None,
) -> None:
    """Send a failed invitation again to a corrected address with the new link
    ``relink(owner id)`` mints; the failure stays in the counts without its address."""
    address = normalise_address(address)
    try:
        message, recipient = failed_message(session, scope, message_id)
    except LookupError:
        raise NotFound("That failed delivery is not in this list.") from None
    owner = getattr(recipient, scope.owner_column)
    link = relink(owner)
    recipient.address = address
    retire_failed(session, message)
    session.flush()
    enqueue(
        session,
        scope,
        [letter.to(address, link, recipient.id)],
        organisation_id=organisation_id,
        kind=MailKind.INVITATION,
        not_before=not_before,
    )


# --- what the lead sees -------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderCounts:
    """Reminders waiting, sent and failed, under the disclosure gate (each is a count of
    people who had not answered): None where it is under k or would follow from the rest."""

    queued: int | None
    sent: int | None
    failed: int | None
    total: int | None


@dataclass(frozen=True)
class MailOverview:
    """A wave's, period's or round's email as its lead sees it."""

    emailed: bool  # the invitations were sent by email
    log: SendLog  # invitations by status (use ``reminders`` for reminders)
    reminders: ReminderCounts
    failures: list[FailedDelivery]
    links_file_enabled: bool


def mail_overview(
    session: Session,
    scope: MailScope,
    *,
    emailed: bool,
    links_file_enabled: bool,
    min_group_size: int,
) -> MailOverview:
    """The send log (invitations by status; reminders under the gate, since each is a count
    of people who had not answered) and the failed invitations by address."""
    log = send_log(session, scope)
    sent = log.reminders
    shown = gated_counts(
        {
            0: GroupCount(None, 0),
            1: GroupCount(0, sent.queued),
            2: GroupCount(0, sent.sent),
            3: GroupCount(0, sent.failed),
        },
        min_group_size,
    )
    return MailOverview(
        emailed=emailed,
        log=log,
        reminders=ReminderCounts(shown[1], shown[2], shown[3], shown[0]),
        failures=failed_deliveries(session, scope),
        links_file_enabled=links_file_enabled,
    )


@dataclass(frozen=True)
class GroupReminders:
    group: str  # a team, or a rater role
    queued: int | None  # None: fewer than the minimum group size (or derivable from others)


@dataclass(frozen=True)
class RemindersQueued:
    min_group_size: int
    groups: list[GroupReminders]
    total: int | None

    def label(self, count: int | None) -> str:
        return f"fewer than {self.min_group_size}" if count is None else str(count)


_TOTAL = -1


def reminders_by_group(
    per_group: Mapping[int, int],
    names: Mapping[int, str],
    parents: Mapping[int, int | None],
    *,
    min_group_size: int,
) -> RemindersQueued:
    """How many reminders went to each group, under the gate (complementary suppression
    over the groups' tree: ``parents`` maps each group to its parent, None for the top).
    Every group in ``names`` is listed, reminded or not."""
    groups = {_TOTAL: GroupCount(None, 0)}
    groups.update(
        {
            group: GroupCount(_TOTAL if parent is None else parent, per_group.get(group, 0))
            for group, parent in parents.items()
        }
    )
    shown = gated_counts(groups, min_group_size)
    return RemindersQueued(
        min_group_size,
        [GroupReminders(names[g], shown[g]) for g in sorted(names, key=names.__getitem__)],
        shown[_TOTAL],
    )
