"""A fake Google (OAuth 2.0 + Drive v3) on https://127.0.0.1, for the real client libraries.

Why https: oauthlib refuses a plain-http token endpoint and the Drive client's uploads keep
the discovery document's scheme, so the fake speaks TLS with a throwaway certificate that
the app trusts through ``LEADREEL_GOOGLE_CA_BUNDLE``.

What it speaks: the consent redirect (``/o/oauth2/auth``), the token endpoint (code with
PKCE, refresh), revocation, ``about``, ``files`` (list with ``appProperties`` queries,
create, get), ``permissions.create`` and resumable uploads (session start, chunks answered
with 308 + Range, the ``bytes */SIZE`` status query, create and update of content).

Faults: ``fail(kind, status, times)`` answers the next matching request(s) with an error
(kinds: token, refresh, list, create, session, chunk, permissions); ``refuse_refresh()``
makes every refresh an ``invalid_grant``; ``chunk_delay`` slows each chunk (to kill a
worker mid-upload).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import itertools
import json
import re
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

FOLDER = "application/vnd.google-apps.folder"
_PROP = re.compile(r"appProperties has \{ key='((?:[^'\\]|\\.)*)' and value='((?:[^'\\]|\\.)*)' \}")


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA bundle) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "fake-google.pem", directory / "fake-google.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Session:
    file_id: str | None  # None: the upload creates a file
    metadata: dict[str, Any]
    total: int
    data: bytearray = field(default_factory=bytearray)


class FakeGoogle:
    def __init__(self, directory: Path, *, email: str = "drive-owner@example.com") -> None:
        self.cert, self.key = make_certificate(directory)
        self.email = email
        self.client_id, self.client_secret = "fake-client-id", "fake-client-secret"
        self.lock = threading.Lock()
        self.codes: dict[str, dict[str, str]] = {}
        self.refresh_tokens: dict[str, bool] = {}  # token -> still valid
        self.access_tokens: dict[str, str] = {}  # access -> refresh
        self.files: dict[str, dict[str, Any]] = {}
        self.contents: dict[str, bytes] = {}
        self.permissions: dict[str, list[dict[str, str]]] = {}
        self.sessions: dict[str, Session] = {}
        self.faults: list[tuple[str, int]] = []
        self.log: list[tuple[str, str]] = []  # (method, path without query)
        self.refused = False
        self.chunk_delay = 0.0
        #: Called with the metadata of each files.create before it is answered (races).
        self.before_create: Any = None
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting ---------------------------------------------------------------------------
    def fail(self, kind: str, status: int, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([(kind, status)] * times)

    def refuse_refresh(self) -> None:
        self.refused = True

    def issue_refresh_token(self) -> str:
        token = "1//fake-refresh-" + secrets.token_urlsafe(16)
        with self.lock:
            self.refresh_tokens[token] = True
        return token

    def files_with(self, key: str, value: str) -> list[dict[str, Any]]:
        with self.lock:
            return [f for f in self.files.values() if f["appProperties"].get(key) == value]

    def count(self, method: str, prefix: str) -> int:
        return sum(1 for m, p in self.log if m == method and p.startswith(prefix))

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def settings(self) -> dict[str, Any]:
        """The app settings that point LeadReel at this fake."""
        return {
            "google_client_id": self.client_id,
            "google_client_secret": self.client_secret,
            "google_auth_uri": self.url + "/o/oauth2/auth",
            "google_token_uri": self.url + "/token",
            "google_revoke_uri": self.url + "/revoke",
            "google_api_base": self.url,
            "google_ca_bundle": str(self.cert),
            "drive_chunk_kb": 256,
            "drive_retry_seconds": 0.01,
        }

    def _fault(self, kind: str) -> int | None:
        with self.lock:
            for i, (k, status) in enumerate(self.faults):
                if k == kind:
                    del self.faults[i]
                    return status
        return None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeGoogle:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _any(self) -> None:
                try:
                    fake._handle(self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any  # noqa: N815

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeGoogle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- request handling --------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        parts = urlsplit(h.path)
        path, query = parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.log.append((h.command, path))
        if path == "/o/oauth2/auth":
            return self._authorize(h, query)
        if path == "/token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            basic = h.headers.get("Authorization", "")
            if basic.startswith("Basic "):  # requests-oauthlib sends the client this way
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", client_id)
                form.setdefault("client_secret", secret)
            return self._token(h, form)
        if path == "/revoke":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            return self._revoke(h, form.get("token") or query.get("token", ""))
        auth = h.headers.get("Authorization", "")
        with self.lock:
            valid = auth.startswith("Bearer ") and auth[7:] in self.access_tokens
        if not valid:
            return self._json(h, 401, {"error": {"code": 401, "message": "Invalid Credentials"}})
        if path.startswith("/upload/session/"):
            return self._chunk(h, path.rsplit("/", 1)[1], body)
        if path.startswith("/upload/drive/v3/files"):
            return self._start_session(h, path, body)
        if path == "/drive/v3/about":
            return self._json(
                h, 200, {"user": {"emailAddress": self.email, "displayName": "Owner"}}
            )
        if path == "/drive/v3/files" and h.command == "GET":
            return self._list(h, query.get("q", ""))
        if path == "/drive/v3/files" and h.command == "POST":
            if status := self._fault("create"):
                return self._error(h, status)
            meta = json.loads(body or b"{}")
            if self.before_create is not None:
                hook, self.before_create = self.before_create, None
                hook(meta)
            return self._json(h, 200, self._new_file(meta, b""))
        match = re.fullmatch(r"/drive/v3/files/([^/]+)(/permissions)?", path)
        if match and match.group(1) in self.files:
            file_id = match.group(1)
            if h.command == "DELETE" and not match.group(2):
                with self.lock:
                    del self.files[file_id]
                    self.contents.pop(file_id, None)
                h.send_response(204)
                h.send_header("Content-Length", "0")
                h.end_headers()
                return None
            if match.group(2):
                if status := self._fault("permissions"):
                    return self._error(h, status)
                permission = json.loads(body or b"{}")
                with self.lock:
                    self.permissions.setdefault(file_id, []).append(permission)
                return self._json(h, 200, {"id": "anyoneWithLink", **permission})
            return self._json(h, 200, self.files[file_id])
        return self._json(h, 404, {"error": {"code": 404, "message": f"not found: {path}"}})

    def _authorize(self, h: BaseHTTPRequestHandler, query: dict[str, str]) -> None:
        code = "fake-code-" + secrets.token_urlsafe(8)
        with self.lock:
            self.codes[code] = query
        target = query["redirect_uri"] + "?" + urlencode({"code": code, "state": query["state"]})
        h.send_response(302)
        h.send_header("Location", target)
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _token(self, h: BaseHTTPRequestHandler, form: dict[str, str]) -> None:
        grant = form.get("grant_type")
        if (
            form.get("client_id") != self.client_id
            or form.get("client_secret") != self.client_secret
        ):
            return self._json(h, 401, {"error": "invalid_client"})
        if grant == "authorization_code":
            if status := self._fault("token"):
                return self._json(h, status, {"error": "server_error"})
            with self.lock:
                asked = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if (
                asked is None
                or asked.get("redirect_uri") != form.get("redirect_uri")
                or asked.get("code_challenge") != challenge.decode()
            ):
                return self._json(h, 400, {"error": "invalid_grant"})
            refresh = self.issue_refresh_token()
            return self._json(h, 200, self._access(refresh, include_refresh=True))
        if grant == "refresh_token":
            if status := self._fault("refresh"):
                return self._json(h, status, {"error": "internal_failure"})
            refresh = form.get("refresh_token", "")
            with self.lock:
                ok = self.refresh_tokens.get(refresh, False) and not self.refused
            if not ok:
                return self._json(
                    h,
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "Token has been expired or revoked.",
                    },
                )
            return self._json(h, 200, self._access(refresh))
        return self._json(h, 400, {"error": "unsupported_grant_type"})

    def _access(self, refresh: str, include_refresh: bool = False) -> dict[str, Any]:
        access = "ya29.fake-" + secrets.token_urlsafe(12)
        with self.lock:
            self.access_tokens[access] = refresh
        out = {
            "access_token": access,
            "expires_in": 3599,
            "token_type": "Bearer",
            "scope": "https://www.googleapis.com/auth/drive.file",
        }
        if include_refresh:
            out["refresh_token"] = refresh
        return out

    def _revoke(self, h: BaseHTTPRequestHandler, token: str) -> None:
        with self.lock:
            if token in self.refresh_tokens:
                self.refresh_tokens[token] = False
                for access in [a for a, r in self.access_tokens.items() if r == token]:
                    del self.access_tokens[access]
                known = True
            else:
                known = False
        self._json(h, 200 if known else 400, {} if known else {"error": "invalid_token"})

    def _list(self, h: BaseHTTPRequestHandler, q: str) -> None:
        if status := self._fault("list"):
            return self._error(h, status)
        wanted = {k.replace("\\'", "'"): v.replace("\\'", "'") for k, v in _PROP.findall(q)}
        with self.lock:
            found = [
                f
                for f in self.files.values()
                if all(f["appProperties"].get(k) == v for k, v in wanted.items())
                and (f"mimeType = '{FOLDER}'" not in q or f["mimeType"] == FOLDER)
                and (f"mimeType != '{FOLDER}'" not in q or f["mimeType"] != FOLDER)
            ]
        self._json(h, 200, {"files": sorted(found, key=lambda f: f["createdTime"])})

    def add_file(self, meta: dict[str, Any], content: bytes = b"") -> dict[str, Any]:
        """Put a file on the fake Drive directly (as another client would)."""
        return self._new_file(meta, content)

    def _new_file(self, meta: dict[str, Any], content: bytes) -> dict[str, Any]:
        file_id = f"file{next(self._ids):04d}"
        record = {
            "id": file_id,
            "name": meta.get("name", "untitled"),
            "mimeType": meta.get("mimeType", "application/octet-stream"),
            "parents": meta.get("parents") or ["root"],
            "appProperties": meta.get("appProperties") or {},
            "webViewLink": f"https://drive.fake/file/d/{file_id}/view",
            "createdTime": f"{time.time():.6f}",
            "size": str(len(content)),
            "trashed": False,
        }
        with self.lock:
            self.files[file_id] = record
            self.contents[file_id] = content
        return record

    def _start_session(self, h: BaseHTTPRequestHandler, path: str, body: bytes) -> None:
        if status := self._fault("session"):
            return self._error(h, status)
        file_id = path.removeprefix("/upload/drive/v3/files").strip("/") or None
        if file_id is not None and file_id not in self.files:
            return self._json(h, 404, {"error": {"code": 404, "message": "File not found"}})
        total = int(h.headers.get("X-Upload-Content-Length") or -1)
        sid = secrets.token_urlsafe(8)
        with self.lock:
            self.sessions[sid] = Session(file_id, json.loads(body or b"{}"), total)
        h.send_response(200)
        h.send_header("Location", f"{self.url}/upload/session/{sid}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _chunk(self, h: BaseHTTPRequestHandler, sid: str, body: bytes) -> None:
        session = self.sessions.get(sid)
        if session is None:
            return self._json(h, 404, {"error": {"code": 404, "message": "no such upload"}})
        content_range = h.headers.get("Content-Range", "")
        match = re.fullmatch(r"bytes (\*|(\d+)-(\d+))/(\d+|\*)", content_range)
        if match is None:
            return self._json(h, 400, {"error": {"code": 400, "message": "bad Content-Range"}})
        if match.group(4) != "*":
            session.total = int(match.group(4))
        if match.group(1) != "*":
            if status := self._fault("chunk"):  # the chunk is lost, as when a server fails
                return self._error(h, status)
            start = int(match.group(2))
            if start != len(session.data):
                return self._json(h, 400, {"error": {"code": 400, "message": "wrong offset"}})
            session.data.extend(body)
            if self.chunk_delay:
                time.sleep(self.chunk_delay)
        if len(session.data) >= session.total:
            return self._json(h, 200, self._finish(sid, session))
        h.send_response(308)
        if session.data:
            h.send_header("Range", f"bytes=0-{len(session.data) - 1}")
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _finish(self, sid: str, session: Session) -> dict[str, Any]:
        with self.lock:
            self.sessions.pop(sid, None)
        if session.file_id is None:
            return self._new_file(session.metadata, bytes(session.data))
        with self.lock:
            record = self.files[session.file_id]
            record.update({k: v for k, v in session.metadata.items() if k in ("name",)})
            record["appProperties"].update(session.metadata.get("appProperties") or {})
            record["size"] = str(len(session.data))
            self.contents[session.file_id] = bytes(session.data)
        return record

    def _error(self, h: BaseHTTPRequestHandler, status: int) -> None:
        reason = "rateLimitExceeded" if status == 429 else "backendError"
        body = {"error": {"code": status, "message": reason, "errors": [{"reason": reason}]}}
        self._json(h, status, body)

    def _json(self, h: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
