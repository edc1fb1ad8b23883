"""Sending the outbox: claim due messages, send them over SMTP, record each outcome.

Safe with several app processes and command-line senders at once. A claim is one short
write transaction that marks the chosen rows ``sending``: on PostgreSQL the rows are
chosen with ``SELECT … FOR UPDATE SKIP LOCKED``, so two senders never take the same row;
on SQLite every write transaction is ``BEGIN IMMEDIATE`` (``core.db``), so claims are
serialised. Messages are sent outside any transaction, and each outcome is recorded in its
own short transaction, fenced by the attempt number of the claim. A row left ``sending``
by a sender that died is claimed again after ``STALE_AFTER``.

Sent: the body (with its link) and the address are blanked. Refused for good (a 5xx reply
to RCPT TO): failed at once. Anything else (a 4xx reply, a dropped connection, a refused
login): tried again after a growing delay, and failed after ``SOS_MAIL_MAX_ATTEMPTS``.
The rate is kept across processes: a claim takes no more than ``SOS_MAIL_RATE_PER_MINUTE``
less the messages claimed in the last minute, and one sender spaces its messages evenly.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from sqlalchemy import and_, func, or_, select, update

from sos_workforce.access import Actor, require
from sos_workforce.core.config import Settings
from sos_workforce.core.db import Database
from sos_workforce.core.enums import MailStatus, Role
from sos_workforce.core.errors import InvalidInput
from sos_workforce.core.models import OutboxMessage, utcnow
from sos_workforce.mail.outbox import HELD

STALE_AFTER = dt.timedelta(minutes=10)
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
MAX_ERROR = 500


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed

    def __add__(self, other: SendReport) -> SendReport:
        return SendReport(
            self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed
        )


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempt: int
    address: str
    subject: str
    body: str


@dataclass(frozen=True)
class _Outcome:
    error: str | None = None  # None: sent
    permanent: bool = False


class MailNotConfigured(InvalidInput):
    pass


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or utcnow()


def retry_delay(attempt: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after attempt 1, 2, 3, 4 …, at most an hour."""
    delay: dt.timedelta = FIRST_RETRY * (2 ** min(max(attempt - 1, 0), 10))
    return min(delay, LONGEST_RETRY)


def _claim(
    db: Database,
    settings: Settings,
    limit: int,
    now: dt.datetime,
    organisation_id: int | None,
) -> list[_Claimed]:
    due = or_(
        and_(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now),
        and_(
            OutboxMessage.status == MailStatus.SENDING,
            OutboxMessage.claimed_at < now - STALE_AFTER,
        ),
    )
    with db.write() as session:
        recent = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.claimed_at > now - dt.timedelta(minutes=1))
        )
        budget = min(limit, settings.mail_rate_per_minute - int(recent or 0))
        if budget <= 0:
            return []
        query = select(OutboxMessage).where(due)
        if organisation_id is not None:
            query = query.where(OutboxMessage.organisation_id == organisation_id)
        rows = session.scalars(
            query.order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(budget)
            .with_for_update(skip_locked=True)
        ).all()
        claimed = []
        for row in rows:
            row.attempts += 1
            row.claimed_at = now
            if row.body is None:  # pragma: no cover - only sent or failed rows lose it
                row.status = MailStatus.FAILED
                continue
            row.status = MailStatus.SENDING
            claimed.append(_Claimed(row.id, row.attempts, row.address, row.subject, row.body))
        return claimed


def _record(
    db: Database, settings: Settings, message: _Claimed, outcome: _Outcome, now: dt.datetime
) -> str:
    """Store one outcome; returns "sent", "retrying" or "failed"."""
    fence = and_(
        OutboxMessage.id == message.id,
        OutboxMessage.status == MailStatus.SENDING,
        OutboxMessage.attempts == message.attempt,
    )
    if outcome.error is None:
        values: dict[str, object] = {
            "status": MailStatus.SENT,
            "body": None,
            "address": "",
            "recipient_id": None,
            "last_error": None,
        }
        result = "sent"
    elif outcome.permanent or message.attempt >= settings.mail_max_attempts:
        values = {"status": MailStatus.FAILED, "body": None, "last_error": outcome.error}
        result = "failed"
    else:
        values = {
            "status": MailStatus.QUEUED,
            "next_attempt_at": now + retry_delay(message.attempt),
            "last_error": outcome.error,
        }
        result = "retrying"
    with db.write() as session:
        session.execute(
            update(OutboxMessage).where(fence).values(**values),
            execution_options={"synchronize_session": False},
        )
    return result


def _email(settings: Settings, message: _Claimed) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.smtp_from
    email["To"] = message.address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or None
    email["Message-ID"] = make_msgid(domain=domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


def _error_text(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = [
            f"{code} {reply.decode('utf-8', 'replace') if isinstance(reply, bytes) else reply}"
            for code, reply in error.recipients.values()
        ]
        text = "The mail server refused the address: " + "; ".join(replies)
    elif isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        text = f"The mail server said {error.smtp_code} " + (
            reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        )
    else:
        text = f"Could not reach the mail server: {type(error).__name__}: {error}"
    return " ".join(text.split())[:MAX_ERROR]


def _is_permanent(error: BaseException) -> bool:
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(
        code >= 500 for code, _ in error.recipients.values()
    )


def _connect(settings: Settings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    )
    try:
        smtp.ehlo()
        if settings.smtp_starttls:
            context = ssl.create_default_context(
                cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None
            )
            smtp.starttls(context=context)
            smtp.ehlo()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_due(
    db: Database,
    settings: Settings,
    *,
    limit: int = 100,
    now: dt.datetime | None = None,
    organisation_id: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send up to ``limit`` due messages (of one organisation, if given) and record what
    happened to each. ``now`` is for tests that move the clock on for retries."""
    if not settings.mail_enabled:
        raise MailNotConfigured(
            "Email is not set up: an administrator needs to set SOS_SMTP_HOST and SOS_SMTP_FROM."
        )
    claimed = _claim(db, settings, limit, _now(now), organisation_id)
    if not claimed:
        return SendReport()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    interval = 60.0 / settings.mail_rate_per_minute
    smtp: smtplib.SMTP | None = None
    connection_error: BaseException | None = None
    last_send = 0.0
    try:
        for message in claimed:
            if connection_error is None and smtp is None:
                try:
                    smtp = _connect(settings)
                except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
                    connection_error = error
            if connection_error is not None:
                outcome = _Outcome(_error_text(connection_error))
            else:
                assert smtp is not None
                wait = last_send + interval - time.monotonic()
                if wait > 0:
                    sleep(wait)
                last_send = time.monotonic()
                try:
                    smtp.send_message(_email(settings, message))
                    outcome = _Outcome()
                except smtplib.SMTPRecipientsRefused as error:
                    outcome = _Outcome(_error_text(error), _is_permanent(error))
                except (smtplib.SMTPServerDisconnected, OSError) as error:
                    outcome = _Outcome(_error_text(error))
                    connection_error = error
                except smtplib.SMTPException as error:
                    outcome = _Outcome(_error_text(error))
            counts[_record(db, settings, message, outcome, _now(now))] += 1
    finally:
        if smtp is not None:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    return SendReport(counts["sent"], counts["retrying"], counts["failed"])


def send_now(
    db: Database,
    actor: Actor,
    settings: Settings,
    organisation_id: int,
    *,
    limit: int = 10,
) -> SendReport:
    """The lead's "Send now": one batch of the organisation's due messages. A page calls it
    repeatedly to show progress; a batch cut short (the page closed) is claimed again later."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    return send_due(db, settings, limit=limit, organisation_id=organisation_id)


def waiting(db: Database, actor: Actor, organisation_id: int) -> int:
    """How many of the organisation's messages are waiting to be sent (due now or retried
    later; not those of a draft wave)."""
    require(actor, Role.LEAD, organisation_id=organisation_id)
    with db.read() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.organisation_id == organisation_id,
                    OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.SENDING]),
                    OutboxMessage.next_attempt_at < HELD,  # not a draft wave's
                )
            )
            or 0
        )
