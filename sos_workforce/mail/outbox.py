"""The outbox: emails queued in the database in the caller's transaction, the addresses
kept for reminders, and what a lead may see of them (counts, and failures by address).

Every function works on one ``MailScope``: a survey wave, a diary period or a
self-profiling round. Only the domain that owns it calls these, inside its own authorised
unit of work; they take a ``Session`` and never an actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sos_workforce.core.enums import MailKind, MailStatus
from sos_workforce.core.models import (
    DiaryParticipant,
    Invitation,
    MailRecipient,
    OutboxMessage,
    RaterLink,
    utcnow,
)


@dataclass(frozen=True)
class MailScope:
    """Whose emails these are: exactly one survey wave, diary period or self-profiling
    round. Each personal link there belongs to an owner row (an invitation, a diary
    participant or a rater link) against which the address is kept."""

    wave_id: int | None = None
    period_id: int | None = None
    round_id: int | None = None

    def __post_init__(self) -> None:
        if sum(i is not None for i in (self.wave_id, self.period_id, self.round_id)) != 1:
            raise ValueError("give exactly one of wave_id, period_id and round_id")

    @property
    def columns(self) -> dict[str, int | None]:
        """The outbox columns naming the scope."""
        return {"wave_id": self.wave_id, "period_id": self.period_id, "round_id": self.round_id}

    def messages(self) -> ColumnElement[bool]:
        if self.wave_id is not None:
            return OutboxMessage.wave_id == self.wave_id
        if self.period_id is not None:
            return OutboxMessage.period_id == self.period_id
        return OutboxMessage.round_id == self.round_id

    @property
    def owner_column(self) -> str:
        """The ``mail_recipient`` column pointing at the link's owner row."""
        if self.wave_id is not None:
            return "invitation_id"
        return "participant_id" if self.period_id is not None else "rater_link_id"

    def owners(self) -> tuple[Any, Any]:
        """(the recipient's owner column, the ids of this scope's owners) for queries."""
        if self.wave_id is not None:
            ids = select(Invitation.id).where(Invitation.wave_id == self.wave_id)
            return MailRecipient.invitation_id, ids
        if self.period_id is not None:
            ids = select(DiaryParticipant.id).where(DiaryParticipant.period_id == self.period_id)
            return MailRecipient.participant_id, ids
        return MailRecipient.rater_link_id, select(RaterLink.id).where(
            RaterLink.round_id == self.round_id
        )


@dataclass(frozen=True)
class Outgoing:
    """One email to queue: the body holds a personal link."""

    address: str
    subject: str
    body: str
    recipient_id: int | None = None


@dataclass(frozen=True)
class StatusCounts:
    queued: int = 0  # waiting, including those being sent right now
    sent: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.queued + self.sent + self.failed


@dataclass(frozen=True)
class SendLog:
    """What a lead sees of a wave's or period's email: counts only."""

    invitations: StatusCounts
    reminders: StatusCounts

    @property
    def waiting(self) -> int:
        return self.invitations.queued + self.reminders.queued


@dataclass(frozen=True)
class FailedDelivery:
    message_id: int
    address: str
    error: str


def remember_recipients(
    session: Session, scope: MailScope, owners: Sequence[int], addresses: Sequence[str]
) -> list[int]:
    """Keep each address against its owner row (invitation, diary participant or rater
    link) for reminders and resends; returns the recipient ids in the same order."""
    if len(owners) != len(addresses):
        raise ValueError("one owner per address")
    if not addresses:
        return []
    column = scope.owner_column
    rows = [{column: owner, "address": a} for owner, a in zip(owners, addresses, strict=True)]
    return list(
        session.scalars(
            insert(MailRecipient).returning(MailRecipient.id, sort_by_parameter_order=True),
            rows,
        )
    )


# Messages of a draft wave wait here until it opens (``schedule``).
HELD = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


def enqueue(
    session: Session,
    scope: MailScope,
    messages: Sequence[Outgoing],
    *,
    organisation_id: int,
    kind: MailKind,
    not_before: dt.datetime | None = None,
) -> int:
    """Queue ``messages`` (in the caller's transaction: all or nothing with the links), to
    be sent from ``not_before`` (now if not given; ``HELD`` until ``schedule``)."""
    if not messages:
        return 0
    now = not_before or utcnow()
    session.execute(
        insert(OutboxMessage),
        [
            {
                "organisation_id": organisation_id,
                "kind": kind,
                **scope.columns,
                "recipient_id": message.recipient_id,
                "address": message.address,
                "subject": message.subject,
                "body": message.body,
                "status": MailStatus.QUEUED,
                "attempts": 0,
                "next_attempt_at": now,
            }
            for message in messages
        ],
    )
    return len(messages)


def schedule(session: Session, scope: MailScope, at: dt.datetime) -> None:
    """Send the scope's queued messages from ``at`` (e.g. when a draft wave opens)."""
    session.execute(
        update(OutboxMessage)
        .where(scope.messages(), OutboxMessage.status == MailStatus.QUEUED)
        .values(next_attempt_at=at),
        execution_options={"synchronize_session": False},
    )


def recipients_of(session: Session, scope: MailScope) -> dict[int, tuple[int, str]]:
    """Addresses still kept, by owner id (invitation, participant or rater link):
    (recipient id, address)."""
    column, owners = scope.owners()
    rows = session.execute(
        select(column, MailRecipient.id, MailRecipient.address).where(column.in_(owners))
    ).all()
    return {int(owner or 0): (int(rid), str(address)) for owner, rid, address in rows}


def forget_recipients(session: Session, scope: MailScope) -> None:
    """When a wave, period or round closes: its kept addresses go, unsent messages are
    dropped (the links no longer work) and failures keep only their count."""
    column, owners = scope.owners()
    session.execute(
        delete(MailRecipient).where(column.in_(owners)),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        delete(OutboxMessage).where(
            scope.messages(), OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(OutboxMessage)
        .where(scope.messages(), OutboxMessage.status == MailStatus.FAILED)
        .values(address="", body=None, recipient_id=None),
        execution_options={"synchronize_session": False},
    )


def send_log(session: Session, scope: MailScope) -> SendLog:
    counts = session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(scope.messages())
        .group_by(OutboxMessage.kind, OutboxMessage.status)
    ).all()
    by_kind: dict[MailKind, dict[MailStatus, int]] = {kind: {} for kind in MailKind}
    for kind, status, n in counts:
        by_kind[MailKind(kind)][MailStatus(status)] = int(n)

    def of(kind: MailKind) -> StatusCounts:
        got = by_kind[kind]
        return StatusCounts(
            queued=got.get(MailStatus.QUEUED, 0) + got.get(MailStatus.SENDING, 0),
            sent=got.get(MailStatus.SENT, 0),
            failed=got.get(MailStatus.FAILED, 0),
        )

    return SendLog(of(MailKind.INVITATION), of(MailKind.REMINDER))


def failed_deliveries(session: Session, scope: MailScope) -> list[FailedDelivery]:
    """Invitations that could not be delivered, by address, for the lead to correct.

    Only invitations: a failed reminder would say that its recipient had not answered.
    A failed invitation says nothing about answering (its link never arrived)."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.address, OutboxMessage.last_error)
        .where(
            scope.messages(),
            OutboxMessage.kind == MailKind.INVITATION,
            OutboxMessage.status == MailStatus.FAILED,
            OutboxMessage.recipient_id.is_not(None),
        )
        .order_by(OutboxMessage.address, OutboxMessage.id)
    ).all()
    return [FailedDelivery(int(i), str(a), str(e or "")) for i, a, e in rows]


def failed_message(
    session: Session, scope: MailScope, message_id: int
) -> tuple[OutboxMessage, MailRecipient]:
    """A failed invitation of this scope with its kept recipient, for a resend."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if (
        message is None
        or message.status is not MailStatus.FAILED
        or message.kind is not MailKind.INVITATION
        or message.recipient_id is None
        or any(getattr(message, name) != value for name, value in scope.columns.items())
    ):
        raise LookupError("no such failed delivery")
    recipient = session.get(MailRecipient, message.recipient_id)
    if recipient is None:  # pragma: no cover - the foreign key sets recipient_id to NULL
        raise LookupError("no such failed delivery")
    return message, recipient


def retire_failed(session: Session, message: OutboxMessage) -> None:
    """A failure that has been dealt with (resent to a corrected address): it stays a
    failure in the counts, without its address."""
    message.address = ""
    message.body = None
    message.recipient_id = None
