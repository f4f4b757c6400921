"""Typed settings, read from ``LEADREEL_*`` environment variables (and an optional ``.env``).

Tests pass a mapping to ``create_app`` instead of touching the environment; the same
``Settings`` object is used by the web app, the CLI and workers so they never disagree.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Role = Literal["admin", "manager", "rep"]


class Settings(BaseSettings):
    """Every setting the product reads. Each one is documented in README.md."""

    model_config = SettingsConfigDict(
        env_prefix="LEADREEL_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        Path("instance"), description="Where files, the SQLite database and the secret key live."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL; default: SQLite file in the data dir."
    )
    secret_key: str = Field(
        "", description="Flask secret; generated and stored in the data dir when unset."
    )
    encryption_key: str = Field(
        "",
        description="Fernet keys for secrets at rest, comma-separated, newest first; "
        "derived from the secret key when unset.",
    )
    openai_api_key: str = Field("", description="Enables OpenAI for mapping and the chat.")
    openai_base_url: str = Field("", description="Any OpenAI-compatible server (Ollama, vLLM).")
    openai_model: str = Field("gpt-4o-mini", description="Model used with OpenAI.")
    gemini_api_key: str = Field("", description="Enables Gemini for mapping and the chat.")
    gemini_base_url: str = Field("", description="Override of the Gemini API endpoint (tests).")
    gemini_model: str = Field("gemini-2.0-flash", description="Model used with Gemini.")
    ai_timeout: float = Field(20.0, description="Seconds before an AI call falls back to rules.")
    ai_enrich_max_rows: int = Field(
        500, description="Most leads per import whose free text the AI reads to fill empty fields."
    )
    assistant_provider: Literal["auto", "openai", "gemini", "offline"] = Field(
        "auto",
        description="Who answers the assistant: auto (OpenAI, else Gemini, else offline), "
        "openai, gemini or offline (the built-in command interpreter).",
    )
    assistant_max_steps: int = Field(
        10, ge=1, le=50, description="Most model calls one assistant turn may make."
    )
    assistant_timeout: float = Field(
        60.0, gt=0, description="Seconds one assistant turn may take in total."
    )
    assistant_confirm_minutes: int = Field(
        15, ge=1, description="Minutes a proposed plan can be confirmed before it expires."
    )
    default_phone_region: str = Field(
        "US", description="Region for phone numbers written without +country."
    )
    max_upload_mb: int = Field(200, description="Largest accepted import file.")
    max_import_rows: int = Field(2_000_000, description="Most rows one import may have.")
    chromium_path: str = Field("/usr/bin/chromium", description="Browser used for screenshots.")
    ffmpeg_path: str = Field("", description="ffmpeg binary; default: the imageio-ffmpeg wheel's.")
    ads_url_pattern: str = Field(
        "https://www.facebook.com/ads/library/?active_status=all&ad_type=all&q={company_name}",
        description="Ads page screenshotted when a company has no ads_url.",
    )
    screenshot_allow: str = Field(
        "", description="Comma-separated host:port the egress filter lets through (tests only)."
    )
    worker_concurrency: int = Field(1, description="Tasks one worker process runs at once.")
    render_preset: str = Field(
        "ultrafast",
        description="x264 preset of lead videos (ultrafast: 2.5x less CPU than veryfast, "
        "SSIM >= 0.99 against it, about 2.5x the bytes; see docs/benchmarks_render.md).",
    )
    render_threads: int = Field(
        0, description="x264 threads per render (0: x264's choice; 1 with 2 tasks per worker)."
    )
    worker_poll_interval: float = Field(0.25, description="Seconds between queue polls when idle.")
    login_rate_limit: int = Field(
        10, description="Failed logins per account and address per 5 minutes."
    )
    login_rate_limit_per_address: int = Field(
        100, description="Failed logins per address (any account) per 5 minutes."
    )
    proxy_hops: int = Field(
        0,
        ge=0,
        le=10,
        description="Trusted reverse proxies in front of the app (X-Forwarded-For/-Proto/-Host).",
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie over https only."
    )
    google_client_id: str = Field("", description="OAuth client for Google Drive.")
    google_client_secret: str = Field("", description="OAuth client secret for Google Drive.")
    google_auth_uri: str = Field(
        "https://accounts.google.com/o/oauth2/auth",
        description="OAuth endpoint (tests point it at a fake).",
    )
    google_token_uri: str = Field(
        "https://oauth2.googleapis.com/token", description="OAuth token endpoint."
    )
    google_revoke_uri: str = Field(
        "https://oauth2.googleapis.com/revoke", description="OAuth token revocation endpoint."
    )
    google_api_base: str = Field("", description="Drive API root override (tests).")
    google_ca_bundle: str = Field(
        "", description="CA certificates for the Google endpoints (tests with a local fake)."
    )
    drive_chunk_kb: int = Field(
        8192, description="Resumable upload chunk size in KiB (a multiple of 256)."
    )
    drive_retry_seconds: float = Field(
        1.0, description="First wait before retrying a Drive call after a 429 or 5xx."
    )
    public_url: str = Field(
        "", description="Base URL of share links; default: the server's own address."
    )
    export_retention_days: int = Field(
        7, ge=0, description="Days an export's file is kept for download (0: until the next purge)."
    )
    export_background_rows: int = Field(
        5000, ge=0, description="Exports of more rows than this run as a background task."
    )
    testing: bool = Field(False, description="Test mode: CSRF may be switched off by tests.")
    start_worker: bool = Field(False, description="Run an in-process worker with the web server.")

    @field_validator("drive_chunk_kb")
    @classmethod
    def _chunk(cls, value: int) -> int:
        if value < 256 or value % 256:
            raise ValueError(f"drive_chunk_kb must be a multiple of 256, got {value}")
        return value

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'leadreel.db'}"

    def resolved_secret_key(self) -> str:
        """Use the configured key, else one generated once and kept in the data dir."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def resolved_encryption_key(self) -> str:
        """The keys that encrypt secrets at rest (``SecretBox`` takes the comma-separated list)."""
        return self.encryption_key or self.resolved_secret_key()


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Environment first, then explicit overrides (used by tests and the CLI)."""
    return Settings(**(overrides or {}))
