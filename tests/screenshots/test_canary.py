"""THE CANARY TEST: a page on an allowed site tries every route to a loopback canary.

Each vector is first proven to work (positive control: a proxy that also allows the canary
sees the canary hit), then captured through the real filtering proxy, where the canary must
get zero connections and the proxy must have recorded the refusal.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

import leadreel.integrations.browser as browser_module
from leadreel.integrations.browser import Browser
from leadreel.integrations.egress import EgressProxy
from leadreel.services.videos.screenshots import (
    CaptureTarget,
    ScreenshotSettings,
    capture_company,
)
from tests.screenshots.conftest import CHROMIUM, SITE_IP, Canary, Page, Site, make_resolver

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

FAST = ScreenshotSettings(
    navigation_timeout_s=5,
    load_timeout_s=2,
    scroll_pause_s=0.02,
    settle_s=0.5,
    max_height=4000,
    capture_ads=False,
)


def vectors(c: int) -> dict[str, Page]:
    """Attacker pages; ``c`` is the canary port. Each marks its requests with ``via=``."""
    lo = f"127.0.0.1:{c}"
    text = "<p>attacker page with enough text to not be blank</p>"
    return {
        "/v/redirect": Page(status=302, headers={"Location": f"http://{lo}/?via=redirect"}),
        "/v/redirect-dns": Page(
            status=302, headers={"Location": f"http://evil.test:{c}/?via=redirect-dns"}
        ),
        "/v/meta": Page(f'<meta http-equiv="refresh" content="0;url=http://{lo}/?via=meta">{text}'),
        "/v/iframe": Page(f'{text}<iframe src="http://{lo}/?via=iframe"></iframe>'),
        "/v/js": Page(f"{text}<script>location.href = 'http://{lo}/?via=js';</script>"),
        "/v/subresource": Page(
            f"""{text}
            <img src="http://{lo}/?via=img">
            <link rel="stylesheet" href="http://{lo}/?via=css">
            <script src="http://{lo}/?via=script"></script>
            <script>
              fetch('http://{lo}/?via=fetch', {{mode: 'no-cors'}}).catch(() => {{}});
              navigator.sendBeacon('http://{lo}/?via=beacon', 'x');
              try {{ new WebSocket('ws://{lo}/?via=ws'); }} catch (e) {{}}
              new Image().src = 'http://localhost:{c}/?via=localhost';
              new Image().src = 'http://2130706433:{c}/?via=decimal';
              new Image().src = 'http://[::ffff:127.0.0.1]:{c}/?via=mapped';
              new Image().src = 'https://{lo}/?via=https';
              new Image().src = 'http://169.254.169.254/latest/meta-data/?via=metadata';
            </script>"""
        ),
        "/v/dns": Page(
            f"""{text}<img src="http://evil.test:{c}/?via=dns-img">
            <iframe src="http://evil.test:{c}/?via=dns-iframe"></iframe>
            <script>fetch('http://evil.test:{c}/?via=dns-fetch', {{mode: 'no-cors'}})
              .catch(() => {{}});</script>"""
        ),
        "/v/form": Page(
            f"""{text}<form id="f" method="post" action="http://{lo}/?via=form">
            <input name="a" value="b"></form>
            <script>document.getElementById('f').submit();</script>"""
        ),
        "/v/popup": Page(f"{text}<script>window.open('http://{lo}/?via=popup');</script>"),
        "/v/dns-js": Page(
            f"{text}<script>location.href='http://evil.test:{c}/?via=dns-js';</script>"
        ),
    }


# The via markers each vector produces when the canary *is* reachable (positive control).
EXPECTED_VIAS = {
    "/v/redirect": {"redirect"},
    "/v/redirect-dns": {"redirect-dns"},
    "/v/meta": {"meta"},
    "/v/iframe": {"iframe"},
    "/v/js": {"js"},
    "/v/subresource": {"img", "css", "script", "fetch", "beacon", "ws", "localhost", "decimal"},
    "/v/dns": {"dns-img", "dns-iframe", "dns-fetch"},
    "/v/dns-js": {"dns-js"},
    "/v/form": {"form"},
    "/v/popup": {"popup"},
}


@pytest.fixture(scope="module")
def attack_site(site: Site, canary: Canary) -> Site:
    site.pages.update(vectors(canary.port))
    site.pages["/tall"] = Page(
        "<body style='margin:0'><h1>Tall page</h1><div style='height:2600px;"
        "background:linear-gradient(#fff,#36c)'>content</div><footer>end</footer></body>"
    )
    return site


@pytest.fixture(scope="module")
def leaky_browser(attack_site: Site, canary: Canary) -> Iterator[Browser]:
    """Positive control: the same proxy code, but the canary socket is allowed too."""
    leaky = EgressProxy(
        allow=[f"{SITE_IP}:{attack_site.port}", f"127.0.0.1:{canary.port}"],
        resolver=make_resolver(),
        idle_timeout=10,
    )
    with leaky, Browser(proxy=leaky, executable_path=CHROMIUM) as browser:
        yield browser


@pytest.mark.parametrize("path", sorted(EXPECTED_VIAS))
def test_vector_reaches_canary_when_allowed(
    path: str, leaky_browser: Browser, attack_site: Site, canary: Canary, tmp_path: Path
) -> None:
    canary.first_lines.clear()
    capture_company(
        leaky_browser,
        CaptureTarget(name="Control", website=attack_site.url(path)),
        tmp_path,
        settings=FAST,
    )
    assert EXPECTED_VIAS[path] <= canary.vias(), canary.first_lines


@pytest.mark.parametrize("path", sorted(EXPECTED_VIAS))
def test_canary_gets_zero_hits(
    path: str,
    chromium: Browser,
    proxy: EgressProxy,
    attack_site: Site,
    canary: Canary,
    tmp_path: Path,
) -> None:
    before = canary.connections
    proxy.refusals.clear()
    result = capture_company(
        chromium,
        CaptureTarget(name="Attacker", domain="good.test", website=attack_site.url(path)),
        tmp_path,
        settings=FAST,
    )
    assert canary.connections == before, canary.first_lines[-5:]
    refused = {(r.host, r.port) for r in proxy.refusal_log()}
    target_host = "evil.test" if "dns" in path else "127.0.0.1"
    assert (target_host, canary.port) in refused, refused
    # Navigations that ended on a refusal must not be presented as the lead's site.
    if path in ("/v/redirect", "/v/redirect-dns", "/v/meta", "/v/js", "/v/dns-js", "/v/form"):
        assert result.website.source == "card"
        assert "refused" in (result.website.error or ""), result.website.error
    else:
        assert result.website.source == "live", result.website.error


def test_allowed_tall_page_is_captured(
    chromium: Browser, attack_site: Site, canary: Canary, tmp_path: Path
) -> None:
    before = canary.connections
    result = capture_company(
        chromium,
        CaptureTarget(name="Good", domain="good.test", website=attack_site.url("/tall")),
        tmp_path,
        settings=FAST,
    )
    assert result.website.source == "live", result.website.error
    with Image.open(result.website.path) as full:
        assert full.width == 1280 and full.height > 720
        assert full.height == result.website.height
    with Image.open(result.website_viewport.path) as view:
        assert view.size == (1280, 720)
    assert canary.connections == before


class UdpCanary:
    """Counts datagrams on 127.0.0.1:<port>: WebRTC STUN/TURN over UDP never sees a proxy."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]

    def count(self, seconds: float) -> int:
        received, end = 0, time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                self.sock.recv(2048)
                received += 1
            except TimeoutError:
                pass
        return received


@pytest.fixture
def udp_canary() -> Iterator[UdpCanary]:
    canary = UdpCanary()
    yield canary
    canary.sock.close()


def webrtc_page(udp_port: int, tcp_port: int) -> Page:
    servers = (
        f"{{urls: 'stun:127.0.0.1:{udp_port}'}}, "
        f"{{urls: 'turn:127.0.0.1:{udp_port}?transport=udp', username: 'u', credential: 'p'}}, "
        f"{{urls: 'turn:127.0.0.1:{tcp_port}?transport=tcp', username: 'u', credential: 'p'}}"
    )
    return Page(
        f"""<p>webrtc page with some text</p><script>
        const pc = new RTCPeerConnection({{iceServers: [{servers}]}});
        pc.createDataChannel('x');
        pc.createOffer().then((offer) => pc.setLocalDescription(offer));
        </script>"""
    )


def test_webrtc_udp_cannot_bypass_the_proxy(
    chromium: Browser,
    attack_site: Site,
    canary: Canary,
    udp_canary: UdpCanary,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attack_site.pages["/v/webrtc"] = webrtc_page(udp_canary.port, canary.port)
    before = canary.connections
    settings = FAST.model_copy(update={"settle_s": 1.5})
    target = CaptureTarget(name="RTC", website=attack_site.url("/v/webrtc"))
    capture_company(chromium, target, tmp_path / "filtered", settings=settings)
    assert udp_canary.count(0.5) == 0
    assert canary.connections == before

    # Control: the same page in a browser without the WebRTC policy switch does leak.
    unsafe = tuple(a for a in browser_module.BASE_ARGS if "webrtc" not in a)
    monkeypatch.setattr(browser_module, "BASE_ARGS", unsafe)
    with Browser(proxy=chromium.proxy, executable_path=CHROMIUM) as leaky:
        capture_company(leaky, target, tmp_path / "control", settings=settings)
    assert udp_canary.count(0.5) > 0
