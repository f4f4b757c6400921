"""Loopback company websites of realistic weight, generated for the benchmarks.

Each company gets a home page (about 35 KB of HTML, most of it inline JSON; a 15 KB
stylesheet; a web font of 340 KB; three JPEG photos of 30-60 KB and a lazy-loaded one:
about 600 KB in all) and an ads page; and, as real sites do, a background video, an
audio file and two tracker scripts, which a screenshot never shows: the server counts
what is asked for, so the benchmark can show that those were not downloaded.
Served by a threaded HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import functools
import http.server
import io
import random
import threading
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
HEAVY = ("/media/background.mp4", "/media/jingle.mp3", "/t/analytics.js", "/t/gtm.js")
WORDS = "widgets pricing service contact quality delivery support teams growth design".split()


@functools.cache
def _photo(company: int, index: int) -> bytes:
    rng = random.Random(company * 31 + index)
    image = Image.new("RGB", (640, 400), (rng.randrange(256), 120, rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(300):  # texture: JPEG has to work for it
        x, y = rng.randrange(640), rng.randrange(400)
        draw.ellipse([x, y, x + 30, y + 30], fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


@functools.cache
def _css() -> bytes:
    rules = [
        f".s{i} {{ padding: {8 + i % 20}px; margin: 0 auto; max-width: 1100px;"
        f" color: #2{i % 10}2; border-bottom: 1px solid #e{i % 10}e; }}"
        for i in range(160)
    ]
    base = (
        "@font-face { font-family: Brand; src: url(/font/brand.ttf); }"
        "body { margin: 0; font: 18px/1.5 Brand, sans-serif; background: #fafafa; }"
        "header { background: #123; color: #fff; padding: 40px; font-size: 42px; }"
        "section { min-height: 420px; } img { width: 640px; height: 400px; display: block; }"
    )
    return (base + "\n".join(rules)).encode()


def _home(company: int) -> bytes:
    rng = random.Random(company)
    sections = []
    for s in range(5):
        text = " ".join(rng.choice(WORDS) for _ in range(60))
        image = f"<img src='/img/{company}/{s % 3}.jpg' alt=''>" if s < 3 else ""
        if s == 4:
            image = f"<img loading='lazy' src='/img/{company}/lazy.jpg' alt=''>"
        sections.append(
            f"<section class='s{s * 20}'><h2>Part {s}</h2>{image}<p>{text}</p></section>"
        )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Company {company}</title><link rel='stylesheet' href='/css/site.css'>"
        "<script async src='/t/analytics.js'></script><script async src='/t/gtm.js'></script>"
        f"<script type='application/json' id='state'>{_state(company)}</script>"
        "</head><body>"
        "<video autoplay muted loop preload='auto' src='/media/background.mp4' "
        "style='width:1px;height:1px'></video>"
        "<audio preload='auto' src='/media/jingle.mp3'></audio>"
        f"<header>Company {company} makes {rng.choice(WORDS)}</header>{''.join(sections)}"
        "</body></html>"
    ).encode()


def _state(company: int) -> str:
    """The JSON a modern site inlines for its scripts: weight that is never drawn."""
    rng = random.Random(company + 7)
    items = ",".join(
        f'{{"id":{i},"name":"{rng.choice(WORDS)} {i}","price":{rng.randrange(9999)},'
        f'"tags":["{rng.choice(WORDS)}","{rng.choice(WORDS)}"]}}'
        for i in range(400)
    )
    return f'{{"company":{company},"products":[{items}]}}'


def _ads(company: int) -> bytes:
    cards = "".join(
        f"<div class='s{i}' style='display:inline-block;width:360px'>"
        f"<img src='/img/{company}/{i % 3}.jpg' style='width:340px;height:212px'>"
        f"<p>Ad {i} of company {company}</p></div>"
        for i in range(6)
    )
    return (
        "<!doctype html><html><head><link rel='stylesheet' href='/css/site.css'></head>"
        f"<body><header>Ads of company {company}</header>{cards}</body></html>"
    ).encode()


def _asset(path: str) -> tuple[bytes, str] | None:
    parts = path.strip("/").split("/")
    if path == "/css/site.css":
        return _css(), "text/css"
    if path == "/font/brand.ttf":
        return (FONT.read_bytes() if FONT.is_file() else b""), "font/ttf"
    if parts[0] == "img" and len(parts) == 3:
        index = 3 if parts[2].startswith("lazy") else int(parts[2].split(".")[0])
        return _photo(int(parts[1]), index), "image/jpeg"
    if path in HEAVY:
        kind = "video/mp4" if path.endswith("mp4") else "audio/mpeg"
        return (b"\0" * 2_000_000, "text/javascript" if path.endswith(".js") else kind)
    if parts[0] == "c" and len(parts) >= 2:
        company = int(parts[1])
        return (_ads(company) if parts[-1] == "ads" else _home(company)), "text/html"
    return None


class Sites:
    """``url(i)`` is company i's home page, ``ads_url(i)`` its ads page."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.bytes = 0
        sites = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                path = self.path.split("?", 1)[0]
                sites.requests[path] += 1
                found = _asset(path)
                body, kind = found if found else (b"not found", "text/plain")
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                sites.bytes += len(body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a browser that closes a page mid-download resets its connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def allow(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, company: int) -> str:
        return f"http://127.0.0.1:{self.port}/c/{company}/"

    def ads_url(self, company: int) -> str:
        return f"http://127.0.0.1:{self.port}/c/{company}/ads"

    def page_weight(self, company: int = 0) -> int:
        """Bytes a home page needs for its screenshot (HTML, CSS, font, images)."""
        paths = ["/css/site.css", "/font/brand.ttf", *(f"/img/{company}/{i}.jpg" for i in range(3))]
        paths.append(f"/img/{company}/lazy.jpg")
        return len(_home(company)) + sum(len((_asset(p) or (b"", ""))[0]) for p in paths)

    def heavy_requests(self) -> int:
        return sum(self.requests[p] for p in HEAVY)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
