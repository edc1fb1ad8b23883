"""The outbox: emails queued in the database in the caller's transaction, the addresses
kept for reminders, and what a lead may see of them (counts, and failures by address).

Only the domain that owns a wave or diary period calls these, inside its own authorised
unit of work; they take a ``Session`` and never an actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from sos_workforce.core.enums import MailKind, MailStatus
from sos_workforce.core.models import (
    DiaryParticipant,
    Invitation,
    MailRecipient,
    OutboxMessage,
    utcnow,
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


def _source(wave_id: int | None, period_id: int | None) -> ColumnElement[bool]:
    if (wave_id is None) == (period_id is None):
        raise ValueError("give exactly one of wave_id and period_id")
    if wave_id is not None:
        return OutboxMessage.wave_id == wave_id
    return OutboxMessage.period_id == period_id


def remember_recipients(
    session: Session,
    addresses: Sequence[str],
    *,
    invitation_ids: Sequence[int] | None = None,
    participant_ids: Sequence[int] | None = None,
) -> list[int]:
    """Keep each address against its invitation (or diary participant) for reminders and
    resends; returns the recipient ids in the same order."""
    owners = invitation_ids if invitation_ids is not None else participant_ids
    if owners is None or len(owners) != len(addresses):
        raise ValueError("one invitation or participant per address")
    if not addresses:
        return []
    column = "invitation_id" if invitation_ids is not None else "participant_id"
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
    messages: Sequence[Outgoing],
    *,
    organisation_id: int,
    kind: MailKind,
    wave_id: int | None = None,
    period_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> int:
    """Queue ``messages`` (in the caller's transaction: all or nothing with the links), to
    be sent from ``not_before`` (now if not given; ``HELD`` until ``schedule``)."""
    _source(wave_id, period_id)
    if not messages:
        return 0
    now = not_before or utcnow()
    session.execute(
        insert(OutboxMessage),
        [
            {
                "organisation_id": organisation_id,
                "kind": kind,
                "wave_id": wave_id,
                "period_id": period_id,
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


def schedule(
    session: Session,
    at: dt.datetime,
    *,
    wave_id: int | None = None,
    period_id: int | None = None,
) -> None:
    """Send the queued messages of a wave or period from ``at`` (e.g. when a draft opens)."""
    session.execute(
        update(OutboxMessage)
        .where(_source(wave_id, period_id), OutboxMessage.status == MailStatus.QUEUED)
        .values(next_attempt_at=at),
        execution_options={"synchronize_session": False},
    )


def recipients_of(
    session: Session, *, wave_id: int | None = None, period_id: int | None = None
) -> dict[int, tuple[int, str]]:
    """Addresses still kept, by invitation (or participant) id: (recipient id, address)."""
    if wave_id is not None:
        rows = session.execute(
            select(MailRecipient.invitation_id, MailRecipient.id, MailRecipient.address)
            .join(Invitation, Invitation.id == MailRecipient.invitation_id)
            .where(Invitation.wave_id == wave_id)
        ).all()
    else:
        rows = session.execute(
            select(MailRecipient.participant_id, MailRecipient.id, MailRecipient.address)
            .join(DiaryParticipant, DiaryParticipant.id == MailRecipient.participant_id)
            .where(DiaryParticipant.period_id == period_id)
        ).all()
    return {int(owner or 0): (int(rid), str(address)) for owner, rid, address in rows}


def forget_recipients(
    session: Session, *, wave_id: int | None = None, period_id: int | None = None
) -> None:
    """When a wave or period closes: its kept addresses go, unsent messages are dropped (the
    links no longer work) and failures keep only their count."""
    where = _source(wave_id, period_id)
    if wave_id is not None:
        owners = select(Invitation.id).where(Invitation.wave_id == wave_id)
        session.execute(
            delete(MailRecipient).where(MailRecipient.invitation_id.in_(owners)),
            execution_options={"synchronize_session": False},
        )
    else:
        owners = select(DiaryParticipant.id).where(DiaryParticipant.period_id == period_id)
        session.execute(
            delete(MailRecipient).where(MailRecipient.participant_id.in_(owners)),
            execution_options={"synchronize_session": False},
        )
    session.execute(
        delete(OutboxMessage).where(
            where, OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
        ),
        execution_options={"synchronize_session": False},
    )
    session.execute(
        update(OutboxMessage)
        .where(where, OutboxMessage.status == MailStatus.FAILED)
        .values(address="", body=None, recipient_id=None),
        execution_options={"synchronize_session": False},
    )


def send_log(
    session: Session, *, wave_id: int | None = None, period_id: int | None = None
) -> SendLog:
    counts = session.execute(
        select(OutboxMessage.kind, OutboxMessage.status, func.count())
        .where(_source(wave_id, period_id))
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


def failed_deliveries(
    session: Session, *, wave_id: int | None = None, period_id: int | None = None
) -> list[FailedDelivery]:
    """Invitations that could not be delivered, by address, for the lead to correct.

    Only invitations: a failed reminder would say that its recipient had not answered.
    A failed invitation says nothing about answering (its link never arrived)."""
    rows = session.execute(
        select(OutboxMessage.id, OutboxMessage.address, OutboxMessage.last_error)
        .where(
            _source(wave_id, period_id),
            OutboxMessage.kind == MailKind.INVITATION,
            OutboxMessage.status == MailStatus.FAILED,
            OutboxMessage.recipient_id.is_not(None),
        )
        .order_by(OutboxMessage.address, OutboxMessage.id)
    ).all()
    return [FailedDelivery(int(i), str(a), str(e or "")) for i, a, e in rows]


def failed_message(
    session: Session, message_id: int, *, wave_id: int | None = None, period_id: int | None = None
) -> tuple[OutboxMessage, MailRecipient]:
    """A failed invitation of this wave or period with its kept recipient, for a resend."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if (
        message is None
        or message.status is not MailStatus.FAILED
        or message.kind is not MailKind.INVITATION
        or message.recipient_id is None
        or (wave_id is not None and message.wave_id != wave_id)
        or (period_id is not None and message.period_id != period_id)
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
