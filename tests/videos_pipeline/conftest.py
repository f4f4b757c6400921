"""Fixtures for the video pipeline: tiny demo media, a tiny template, leads, a local site,
and a real worker drained in a thread.

Demo clips are generated once per session at 320x180 and copied into each test's data dir,
so ``ensure_demo_media`` finds them and only registers assets (fast, and still exercised).
"""

from __future__ import annotations

import http.server
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from leadreel.extensions import db as _db
from leadreel.models import Company, Lead, MediaAsset, User
from leadreel.render.media import generate_demo_clips
from leadreel.services.videos import demo_media, runs, tasks, template_store
from leadreel.services.videos.browser_service import close_browser
from leadreel.services.videos.screenshots import CapturedImage, CaptureResult
from tests import worker_drain

HELD = datetime(8000, 1, 1, tzinfo=UTC)
SITE_HTML = """<!doctype html><html><body style="margin:0">
<section style="height:900px;background:#1565c0;color:#fff;font:40px sans-serif">
<h1>Acme Widgets</h1><p>We make widgets.</p></section>
<section style="height:900px;background:#c62828;color:#fff;font:40px sans-serif">
<h2>Contact</h2></section></body></html>"""
ADS_HTML = """<!doctype html><html><body style="background:#f9a825;font:40px sans-serif">
<h1>Acme ads</h1></body></html>"""


class LocalSite:
    """A tiny website on 127.0.0.1 (allowed through the egress filter by screenshot_allow)."""

    def __init__(self) -> None:
        pages = {"/": SITE_HTML, "/ads": ADS_HTML}
        self.requests: list[str] = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                requests.append(self.path)
                body = pages.get(self.path.split("?")[0])
                data = (body or "<h1>not found</h1>").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def site() -> Iterator[LocalSite]:
    server = LocalSite()
    yield server
    server.close()
    close_browser()


@pytest.fixture(scope="session")
def down_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("demo")
    generate_demo_clips(directory, seconds=1.5, width=320, height=180, fps=15)
    return directory


def build_app(
    make_app: Callable[..., Flask],
    site: LocalSite,
    down_port: int,
    demo_files: Path,
    **overrides: Any,
) -> Flask:
    """An app whose egress filter lets the local site through, with the demo media loaded."""
    app = make_app(screenshot_allow=f"127.0.0.1:{site.port},127.0.0.1:{down_port}", **overrides)
    app.config["WTF_CSRF_ENABLED"] = False
    settings = app.config["SETTINGS"]
    shutil.copytree(demo_files, settings.data_dir / "media" / "demo", dirs_exist_ok=True)
    with app.app_context():
        demo_media.ensure_demo_media(_db.session, settings, seconds=1.5, size=(320, 180))
        _db.session.commit()
    return app


@pytest.fixture
def app(make_app: Callable[..., Flask], site: LocalSite, down_port: int, demo_files: Path) -> Flask:
    return build_app(make_app, site, down_port, demo_files)


@pytest.fixture
def shots_dir(app: Flask) -> Path:
    """Where fake captures go: inside the data dir, like real ones (file routes check that)."""
    return app.config["SETTINGS"].data_dir / "screenshots" / "fake"


def tiny_spec(session: Session, **extra: Any) -> dict[str, Any]:
    """320x180, two 1 s segments: pip over the scrolling site, then the ads with a text."""
    clip = str(session.scalar(select(MediaAsset.id).where(MediaAsset.name == "Demo walkthrough")))
    outro = str(session.scalar(select(MediaAsset.id).where(MediaAsset.name == "Demo outro")))
    spec = {
        "output": {"width": 320, "height": 180, "fps": 15},
        "segments": [
            {
                "type": "pip",
                "id": "site",
                "clip": clip,
                "duration": 1.0,
                "size": 0.3,
                "margin": 8,
                "circle": True,
                "background": {"source": "website_scroll"},
                "texts": [{"text": "For {company_name}", "position": "top_left"}],
            },
            {
                "type": "audio_over_image",
                "id": "ads",
                "clip": outro,
                "duration": 1.0,
                "image": {"source": "ads"},
                "zoom": 0.05,
                "texts": [{"text": "Bye {first_name}", "position": "bottom"}],
            },
        ],
    }
    spec.update(extra)
    return spec


@pytest.fixture
def tiny_template(app: Flask) -> Callable[..., int]:
    def make(allow_fallback: bool = True, name: str = "Tiny") -> int:
        with app.app_context():
            row = template_store.create_template(
                _db.session,
                name,
                tiny_spec(_db.session),
                allow_fallback=allow_fallback,
                is_default=True,
            )
            _db.session.commit()
            return row.id

    return make


@pytest.fixture
def make_lead(app: Flask) -> Callable[..., int]:
    def make(
        owner: User | None,
        *,
        first: str = "Ann",
        company: str = "Acme",
        website: str | None = None,
        ads_url: str | None = None,
        screenshots: dict[str, Any] | None = None,
    ) -> int:
        with app.app_context():
            comp = Company(
                name=company,
                name_key=company.lower(),
                domain=f"{company.lower()}.test",
                website=website,
                ads_url=ads_url,
                screenshots=screenshots or {},
            )
            _db.session.add(comp)
            _db.session.flush()
            lead = Lead(
                first_name=first,
                last_name="Lee",
                email=f"{first.lower()}@x.test",
                company_id=comp.id,
                owner_id=owner.id if owner else None,
            )
            _db.session.add(lead)
            _db.session.commit()
            return lead.id

    return make


def fake_capture(directory: Path, *, website_source: str = "live") -> dict[str, Any]:
    """A fresh CaptureResult with solid images (blue site, yellow ads), as the task stores it."""
    directory.mkdir(parents=True, exist_ok=True)
    site_png, view_png, ads_png = (directory / n for n in ("website.png", "view.png", "ads.png"))
    Image.new("RGB", (1280, 2000), (0, 0, 255)).save(site_png)
    Image.new("RGB", (1280, 720), (0, 0, 255)).save(view_png)
    Image.new("RGB", (1280, 720), (255, 255, 0)).save(ads_png)
    error = "ERR_CONNECTION_REFUSED" if website_source == "card" else None
    return CaptureResult(
        website=CapturedImage(path=str(site_png), source=website_source, error=error),
        website_viewport=CapturedImage(path=str(view_png), source=website_source, error=error),
        ads=CapturedImage(path=str(ads_png), source="live"),
    ).to_json()


VIDEO_TYPES = (runs.FANOUT, tasks.SCREENSHOT, tasks.RENDER)


def drain(
    app: Flask, timeout: float = 60.0, concurrency: int = 1, types: tuple[str, ...] = VIDEO_TYPES
) -> None:
    """Run a real worker on a thread until no task of ``types`` (by default: the run
    fan-out, screenshots and renders) is pending or running, held samples aside."""
    worker_drain.drain(
        app, types, timeout=timeout, concurrency=concurrency, due_before=lambda: HELD
    )
