"""The Google boundary: OAuth web flow (google-auth-oauthlib), Drive v3 (google-api-python-client).

Why one module: everything that speaks Google's wire format lives here, so the services
deal in refresh tokens, folder ids and file ids, and tests point this module at a fake
server through ``GoogleConfig`` (the ``LEADREEL_GOOGLE_*`` settings).

Exceptions::

    DriveError              anything Google refused or we could not reach
    ├── DriveAuthError      the refresh token is refused (``invalid_grant``): reconnect needed
    ├── DriveTransientError 429, 5xx or the network, still failing after our retries
    └── DriveRequestError   any other refusal (4xx): retrying the same call cannot help

Retries: 429, 5xx and Drive's 403 rate-limit reasons wait ``retry_seconds * 2**n`` (with
jitter) and try again, up to ``RETRIES`` times. An upload resumes after an error by calling
``next_chunk()`` again without ``num_retries``: the client then asks the server how much it
has (``Content-Range: bytes */SIZE``) and sends the rest (``num_retries`` re-sends an empty
chunk and hangs; see NOTES). Tokens are never logged and never put in a URL.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import google.auth.exceptions
import google_auth_httplib2
import httplib2
import requests
from google.oauth2.credentials import Credentials
from google_auth_oauthlib.flow import Flow
from googleapiclient import discovery_cache
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

log = logging.getLogger("leadreel.drive")

SCOPES = ["https://www.googleapis.com/auth/drive.file"]
FOLDER_MIME = "application/vnd.google-apps.folder"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_REASONS = (b"rateLimitExceeded", b"userRateLimitExceeded")
RETRIES = 6
T = TypeVar("T")
#: Libraries that log tokens at DEBUG (requests-oauthlib prints the whole token response).
TOKEN_LOGGERS = ("requests_oauthlib", "oauthlib")


def quiet_token_loggers() -> None:
    """Keep the OAuth libraries' DEBUG output (which includes refresh tokens) out of every
    log, whatever level the application runs at."""
    for name in TOKEN_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


class DriveError(Exception):
    """Google refused a call or could not be reached."""


class DriveAuthError(DriveError):
    """The refresh token was refused (revoked, expired): an admin must connect the account again."""


class DriveTransientError(DriveError):
    """Rate limits, server errors or the network, still failing after the in-call retries."""


class DriveRequestError(DriveError):
    """A refusal that retrying cannot fix (bad request, file gone, no permission)."""


@dataclass(frozen=True, kw_only=True)
class GoogleConfig:
    """Where Google is and how to call it; built from the settings by the services."""

    client_id: str
    client_secret: str = field(repr=False)
    auth_uri: str = "https://accounts.google.com/o/oauth2/auth"
    token_uri: str = "https://oauth2.googleapis.com/token"
    revoke_uri: str = "https://oauth2.googleapis.com/revoke"
    api_base: str = ""  # "" = https://www.googleapis.com
    ca_bundle: str = ""  # "" = the system's certificates
    chunk_size: int = 8 * 1024 * 1024
    retry_seconds: float = 1.0
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.chunk_size < 256 * 1024 or self.chunk_size % (256 * 1024):
            raise ValueError(f"chunk_size must be a multiple of 256 KiB, got {self.chunk_size}")

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def verify(self) -> str | bool:
        return self.ca_bundle or True

    def client_config(self) -> dict[str, Any]:
        return {
            "web": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
            }
        }


# -- OAuth web flow ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Authorization:
    """Where to send the admin, and what the callback must check (kept in the session)."""

    url: str
    state: str
    code_verifier: str = field(repr=False)


def _flow(config: GoogleConfig, redirect_uri: str, **kwargs: Any) -> Flow:
    quiet_token_loggers()
    flow = Flow.from_client_config(
        config.client_config(), scopes=SCOPES, redirect_uri=redirect_uri, **kwargs
    )
    flow.oauth2session.verify = config.verify()
    return flow


def start_authorization(config: GoogleConfig, redirect_uri: str) -> Authorization:
    """The consent URL (offline access, so Google hands out a refresh token; PKCE S256)."""
    flow = _flow(config, redirect_uri, autogenerate_code_verifier=True)
    url, state = flow.authorization_url(
        access_type="offline", prompt="consent", include_granted_scopes="true"
    )
    return Authorization(url=url, state=state, code_verifier=flow.code_verifier or "")


def finish_authorization(
    config: GoogleConfig, redirect_uri: str, *, code: str, state: str, code_verifier: str
) -> str:
    """Exchange the callback's code for tokens; returns the refresh token."""
    flow = _flow(config, redirect_uri, state=state, code_verifier=code_verifier)
    try:
        flow.fetch_token(code=code, timeout=config.timeout, verify=config.verify())
    except Exception as exc:  # oauthlib raises its own tree; keep only the error name
        name = getattr(exc, "error", None) or type(exc).__name__
        raise DriveRequestError(f"Google refused the authorization: {name}") from None
    token = flow.credentials.refresh_token
    if not token:
        raise DriveRequestError(
            "Google returned no refresh token; remove LeadReel's access in the Google "
            "account and connect again"
        )
    return token


def revoke(config: GoogleConfig, token: str) -> bool:
    """Revoke ``token`` at Google (sent in the body, never in a logged URL); False if refused."""
    try:
        response = requests.post(
            config.revoke_uri,
            data={"token": token},
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=config.timeout,
            verify=config.verify(),
        )
    except requests.RequestException as exc:
        log.warning("could not reach Google to revoke a token: %s", type(exc).__name__)
        return False
    return response.status_code == 200


# -- Drive ---------------------------------------------------------------------------------------


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def properties_query(app_properties: dict[str, str], *, folder: bool | None = None) -> str:
    """A ``files.list`` query for files carrying all of ``app_properties`` (not trashed)."""
    parts = [
        f"appProperties has {{ key='{_quote(k)}' and value='{_quote(v)}' }}"
        for k, v in sorted(app_properties.items())
    ]
    if folder is True:
        parts.append(f"mimeType = '{FOLDER_MIME}'")
    elif folder is False:
        parts.append(f"mimeType != '{FOLDER_MIME}'")
    parts.append("trashed = false")
    return " and ".join(parts)


class DriveClient:
    """Drive v3 for one connected account. Refreshes its access token by itself."""

    def __init__(
        self,
        config: GoogleConfig,
        refresh_token: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config, self._sleep = config, sleep
        quiet_token_loggers()
        self._credentials = Credentials(
            token=None,
            refresh_token=refresh_token,
            token_uri=config.token_uri,
            client_id=config.client_id,
            client_secret=config.client_secret,
            scopes=SCOPES,
        )
        http = httplib2.Http(timeout=config.timeout, ca_certs=config.ca_bundle or None)
        http.redirect_codes = http.redirect_codes - {308}  # "308 Resume Incomplete"
        self._http = google_auth_httplib2.AuthorizedHttp(self._credentials, http=http)
        doc = json.loads(discovery_cache.get_static_doc("drive", "v3") or "{}")
        if config.api_base:
            root = config.api_base.rstrip("/") + "/"
            doc["rootUrl"], doc["baseUrl"] = root, root + doc["servicePath"]
        self._service = build_from_document(doc, http=self._http)

    def __repr__(self) -> str:
        return "DriveClient(<account>)"

    def close(self) -> None:
        """Close the kept-alive connections."""
        for conn in list(self._http.http.connections.values()):
            conn.close()
        self._http.http.connections.clear()

    def __enter__(self) -> DriveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- calls with retries ---------------------------------------------------------------
    def _retry(self, call: Callable[[], T], what: str) -> T:
        for attempt in range(RETRIES + 1):
            try:
                return call()
            except Exception as exc:  # classified below; anything unknown goes up as is
                retry = self._classify(exc, what)
                if attempt >= RETRIES:
                    raise DriveTransientError(f"{what}: {retry}") from None
                self._backoff(attempt, what, retry)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, what: str, why: str) -> None:
        delay = self.config.retry_seconds * 2**attempt
        delay = delay * 0.5 + delay * 0.5 * random.random()
        log.info("%s: %s; retrying in %.2fs", what, why, delay)
        self._sleep(delay)

    @staticmethod
    def _classify(exc: Exception, what: str) -> str:
        """A short reason if ``exc`` is worth another try; raises the right DriveError if not."""
        if isinstance(exc, HttpError):
            status = int(exc.resp.status)
            content = exc.content or b""
            if status in RETRY_STATUSES or (
                status == 403 and any(r in content for r in RATE_REASONS)
            ):
                return f"HTTP {status}"
            raise DriveRequestError(f"{what}: HTTP {status} {exc._get_reason()}") from None
        if isinstance(exc, google.auth.exceptions.RefreshError):
            details = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
            if details.get("error") == "invalid_grant" or "invalid_grant" in str(exc.args[:1]):
                raise DriveAuthError("Google refused the account's token (invalid_grant)") from None
            return "token refresh failed"
        if isinstance(
            exc, (google.auth.exceptions.TransportError, httplib2.HttpLib2Error, OSError)
        ):
            return type(exc).__name__
        raise exc

    # -- the Drive operations LeadReel needs ----------------------------------------------
    def account_email(self) -> str:
        about = self._retry(
            lambda: self._service.about().get(fields="user(emailAddress,displayName)").execute(),
            "about",
        )
        return str(about.get("user", {}).get("emailAddress") or "")

    def find(self, app_properties: dict[str, str], *, folder: bool | None = None) -> list[dict]:
        """Files (oldest first) carrying all of ``app_properties``."""
        query = properties_query(app_properties, folder=folder)
        result = self._retry(
            lambda: (
                self._service.files()
                .list(
                    q=query,
                    spaces="drive",
                    fields="files(id,name,webViewLink,parents,createdTime)",
                    orderBy="createdTime",
                    pageSize=10,
                )
                .execute()
            ),
            "files.list",
        )
        return list(result.get("files") or [])

    def create_folder(
        self, name: str, app_properties: dict[str, str], parent: str | None = None
    ) -> str:
        body: dict[str, Any] = {
            "name": name,
            "mimeType": FOLDER_MIME,
            "appProperties": app_properties,
        }
        if parent:
            body["parents"] = [parent]
        created = self._retry(
            lambda: self._service.files().create(body=body, fields="id").execute(), "folder"
        )
        return str(created["id"])

    def ensure_folder(
        self, name: str, app_properties: dict[str, str], parent: str | None = None
    ) -> str:
        """The folder carrying ``app_properties``, created when missing.

        Two uploads of a new batch may both find nothing and both create it: after creating,
        the oldest folder with these properties wins and a younger one we made is deleted
        (it is still empty), so every upload of the batch ends in the same folder.
        """
        found = self.find(app_properties, folder=True)
        if found:
            return str(found[0]["id"])
        created = self.create_folder(name, app_properties, parent)
        again = self.find(app_properties, folder=True)
        winner = str(again[0]["id"]) if again else created
        if winner != created:
            self._retry(
                lambda: self._service.files().delete(fileId=created).execute(), "files.delete"
            )
        return winner

    def exists(self, file_id: str) -> bool:
        try:
            meta = self._retry(
                lambda: self._service.files().get(fileId=file_id, fields="id,trashed").execute(),
                "files.get",
            )
        except DriveRequestError:
            return False
        return not meta.get("trashed")

    def upload(
        self,
        path: Path,
        *,
        name: str,
        app_properties: dict[str, str],
        parents: list[str] | None = None,
        file_id: str | None = None,
        mimetype: str = "video/mp4",
        on_progress: Callable[[float], None] | None = None,
    ) -> dict[str, Any]:
        """A resumable upload: a new file, or new content for ``file_id`` (same id and link)."""
        media = MediaFileUpload(
            str(path), mimetype=mimetype, chunksize=self.config.chunk_size, resumable=True
        )
        fields = "id,webViewLink,size"
        files = self._service.files()
        if file_id:
            body = {"name": name, "appProperties": app_properties}
            request = files.update(fileId=file_id, body=body, media_body=media, fields=fields)
        else:
            body = {"name": name, "appProperties": app_properties, "parents": parents or []}
            request = files.create(body=body, media_body=media, fields=fields)
        try:
            return self._send(request, on_progress)
        finally:
            media.stream().close()

    def _send(self, request: Any, on_progress: Callable[[float], None] | None) -> dict[str, Any]:
        response: dict[str, Any] | None = None
        failures = 0
        while response is None:
            try:
                status, response = request.next_chunk()
            except Exception as exc:  # resumes from the server's offset on the next call
                why = self._classify(exc, "upload")
                if failures >= RETRIES:
                    raise DriveTransientError(f"upload: {why}") from None
                self._backoff(failures, "upload", why)
                failures += 1
                continue
            failures = 0
            if status is not None and on_progress is not None:
                on_progress(status.progress())
        if on_progress is not None:
            on_progress(1.0)
        return response

    def share_with_anyone(self, file_id: str) -> None:
        """ "Anyone with the link can view" (creating it again is harmless)."""
        self._retry(
            lambda: (
                self._service.permissions()
                .create(fileId=file_id, body={"type": "anyone", "role": "reader"}, fields="id")
                .execute()
            ),
            "permissions.create",
        )

    def link(self, file_id: str) -> str:
        meta = self._retry(
            lambda: self._service.files().get(fileId=file_id, fields="id,webViewLink").execute(),
            "files.get",
        )
        return str(meta.get("webViewLink") or "")
