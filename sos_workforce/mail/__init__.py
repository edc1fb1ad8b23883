"""Email: templates, the outbox kept in the database, and the sender (SMTP with STARTTLS
and authentication, at a limited rate, with retries). Invitations and reminders are sent
by the app itself, so nobody holds other people's links.

Pages and other domains import from here, never from the modules inside."""

from sos_workforce.mail.addresses import check_emailed, is_valid_address, normalise_address
from sos_workforce.mail.outbox import (
    HELD,
    FailedDelivery,
    Outgoing,
    SendLog,
    StatusCounts,
    enqueue,
    failed_deliveries,
    failed_message,
    forget_recipients,
    recipients_of,
    remember_recipients,
    retire_failed,
    schedule,
    send_log,
)
from sos_workforce.mail.sender import (
    MailNotConfigured,
    SendReport,
    retry_delay,
    send_due,
    send_now,
    waiting,
)
from sos_workforce.mail.templates import (
    DIARY_INVITATION,
    DIARY_REMINDER,
    PLACEHOLDERS,
    SURVEY_INVITATION,
    SURVEY_REMINDER,
    MailTemplate,
    check_template,
    render,
)

__all__ = [
    "DIARY_INVITATION",
    "DIARY_REMINDER",
    "FailedDelivery",
    "HELD",
    "MailNotConfigured",
    "MailTemplate",
    "Outgoing",
    "PLACEHOLDERS",
    "SURVEY_INVITATION",
    "SURVEY_REMINDER",
    "SendLog",
    "SendReport",
    "StatusCounts",
    "check_emailed",
    "check_template",
    "enqueue",
    "failed_deliveries",
    "failed_message",
    "forget_recipients",
    "is_valid_address",
    "normalise_address",
    "recipients_of",
    "remember_recipients",
    "render",
    "retire_failed",
    "retry_delay",
    "schedule",
    "send_due",
    "send_log",
    "send_now",
    "waiting",
]
