"""A real SMTP server for tests (aiosmtpd): STARTTLS with a certificate made for the test,
AUTH LOGIN and PLAIN only after STARTTLS, and a mailbox that records what arrived.

Addresses can be made to refuse RCPT TO (a 4xx reply is temporary, a 5xx permanent), so
retries and failures are tested against the real protocol."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USERNAME = "survey-sender"
PASSWORD = "smtp-test-password-1"  # noqa: S105 - the test server's own
SENDER = "surveys@testshire.example"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate, key) files.
    The certificate is its own CA, so it is also the client's SOS_SMTP_CA_FILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sos-workforce test SMTP")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Mailbox:
    """What the server received, and how it answers RCPT TO."""

    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply, e.g. "450 busy"
    logins: list[str] = field(default_factory=list)
    rcpt_attempts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # aiosmtpd handler hooks
    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        with self.lock:
            self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        assert session.ssl is not None, "a message arrived without STARTTLS"
        assert session.authenticated, "a message arrived without AUTH"
        data = envelope.content if isinstance(envelope.content, bytes) else b""
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
            self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if mechanism not in ("LOGIN", "PLAIN") or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        ok = data.login == USERNAME.encode() and data.password == PASSWORD.encode()
        if ok:
            with self.lock:
                self.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    ca_file: Path
    mailbox: Mailbox

    def settings(self) -> dict[str, object]:
        """Keyword arguments for ``Settings`` that point the app at this server."""
        return {
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_username": USERNAME,
            "smtp_password": PASSWORD,
            "smtp_from": f"Staff survey <{SENDER}>",
            "smtp_starttls": True,
            "smtp_ca_file": self.ca_file,
            "smtp_timeout_seconds": 10,
            "mail_rate_per_minute": 6000,
            "mail_max_attempts": 3,
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server(folder: Path) -> Iterator[SmtpServer]:
    """A running server on loopback until the block ends."""
    cert_file, key_file = make_certificate(folder)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=mailbox.authenticate,
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, cert_file, mailbox)
    finally:
        controller.stop()


def link_in(message: EmailMessage) -> str:
    """The one personal link in a message's plain-text body."""
    body = message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    links = [word for word in text.split() if word.startswith("http")]
    assert len(links) == 1, text
    return str(links[0])


def token_in(message: EmailMessage) -> str:
    return link_in(message).rsplit("=", 1)[1]
