"""A small OpenID Connect provider for offline tests (standard library HTTP server).

Discovery document, an authorize endpoint that redirects straight back with a code (no
login form: the test sets who "signs in" via ``next_identity``), a token endpoint that
checks the client's credentials and returns an RS256-signed id token, and the JWKS.
Faults can be switched on to check that the app refuses them (``forge_signature``,
``wrong_nonce``, ``wrong_audience``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID = "sos-workforce-test"
CLIENT_SECRET = secrets.token_urlsafe(24)  # made per test run; never a committed value


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _uint(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class MockProvider:
    issuer: str = ""
    redirect_uri: str = ""
    next_identity: dict[str, Any] = field(default_factory=dict)
    forge_signature: bool = False
    wrong_nonce: bool = False
    wrong_audience: bool = False
    lifetime: int = 3600  # seconds an id token is valid for
    requests: list[str] = field(default_factory=list)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    _kid: str = "test-key-1"

    @property
    def metadata_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "alg": "RS256",
                    "kid": self._kid,
                    "n": _uint(numbers.n),
                    "e": _uint(numbers.e),
                }
            ]
        }

    def id_token(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "typ": "JWT", "kid": self._kid}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if self.forge_signature
            else self._key
        )
        signature = key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"

    def authorize(self, query: dict[str, str]) -> str:
        """Where the authorize endpoint sends the browser (straight back with a code)."""
        if query.get("client_id") != CLIENT_ID or query.get("redirect_uri") != self.redirect_uri:
            raise ValueError("unknown client or redirect_uri")
        code = secrets.token_urlsafe(16)
        self._codes[code] = {"nonce": query.get("nonce"), "identity": dict(self.next_identity)}
        return f"{self.redirect_uri}?{urlencode({'code': code, 'state': query['state']})}"

    def token(self, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != CLIENT_ID or client_secret != CLIENT_SECRET:
            raise PermissionError("bad client credentials")
        grant = self._codes.pop(form.get("code", ""), None)  # single use
        if grant is None or form.get("redirect_uri") != self.redirect_uri:
            raise PermissionError("bad code")
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": hashlib.sha256(str(grant["identity"].get("email")).encode()).hexdigest()[:16],
            "aud": "someone-else" if self.wrong_audience else CLIENT_ID,
            "iat": now,
            "exp": now + self.lifetime,
            "nonce": "replayed-nonce" if self.wrong_nonce else grant["nonce"],
            **grant["identity"],
        }
        return {
            "access_token": secrets.token_urlsafe(16),
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "id_token": self.id_token(claims),
        }


def _handler(provider: MockProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            provider.requests.append(f"GET {parts.path}")
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                try:
                    location = provider.authorize(query)
                except (KeyError, ValueError) as error:
                    self._json(400, {"error": "invalid_request", "error_description": str(error)})
                    return
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            provider.requests.append(f"POST {parts.path}")
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if parts.path != "/token":
                self._json(404, {"error": "not_found"})
                return
            try:
                self._json(200, provider.token(form, self.headers.get("Authorization")))
            except PermissionError as error:
                self._json(400, {"error": "invalid_grant", "error_description": str(error)})

    return Handler


@contextmanager
def running_provider(redirect_uri: str) -> Iterator[MockProvider]:
    """Serve a ``MockProvider`` on a free loopback port until the block ends."""
    provider = MockProvider(redirect_uri=redirect_uri)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
