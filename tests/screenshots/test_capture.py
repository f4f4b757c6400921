"""capture_company with the real Chromium: cookie banners, height cap, fallbacks, ads URL."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PIL import Image

from leadreel.integrations.browser import Browser
from leadreel.services.videos.screenshots import (
    CaptureResult,
    CaptureTarget,
    ScreenshotSettings,
    capture_company,
)
from tests.screenshots.conftest import Page, Site

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

FAST = ScreenshotSettings(
    navigation_timeout_s=5,
    load_timeout_s=2,
    scroll_pause_s=0.02,
    settle_s=0.3,
    max_height=3000,
    capture_ads=False,
)
RED = (255, 0, 0)


def banner_page(button: str, wrapper_attrs: str = 'id="cookie-banner"') -> Page:
    """White page with a red fixed banner at the bottom; the button removes it."""
    return Page(
        f"""<body style="margin:0;background:#fff">
        <h1>Welcome to Acme</h1><p>We build things.</p>
        <div {wrapper_attrs} style="position:fixed;left:0;right:0;bottom:0;height:200px;
             background:rgb(255,0,0)">
          <span>We use cookies to improve your experience.</span>
          {button}
        </div>
        <script>
          document.addEventListener('click', (e) => {{
            if (e.target.dataset.accept !== undefined) {{
              document.querySelector('[data-banner]').remove();
            }}
          }});
        </script></body>""".replace("<div ", "<div data-banner ", 1)
    )


@pytest.fixture(scope="module")
def pages(site: Site) -> Site:
    site.pages.update(
        {
            "/cookie/en": banner_page("<button data-accept>Accept all</button>"),
            "/cookie/de": banner_page(
                "<a href='#' data-accept>Alle akzeptieren</a>", 'class="consent-layer"'
            ),
            "/cookie/onetrust": banner_page(
                "<button id='onetrust-accept-btn-handler' data-accept>Fine by me</button>",
                'id="onetrust-banner-sdk"',
            ),
            "/cookie/fr": banner_page("<button data-accept>Tout accepter</button>", ""),
            "/cookie/reload": Page(
                """<body style="margin:0;background:#fff"><h1>Reloading consent</h1>
                <script>
                  if (!document.cookie.includes('consent=yes')) {
                    document.write('<div id="cookie-notice" style="position:fixed;left:0;'
                      + 'right:0;bottom:0;height:200px;background:rgb(255,0,0)">Cookies? '
                      + '<button onclick="document.cookie=\\'consent=yes\\';'
                      + 'setTimeout(() => location.reload(), 100)">Accept</button></div>');
                  }
                </script></body>"""
            ),
            "/cookie/shadow": Page(
                """<body style="margin:0;background:#fff"><h1>Shadow consent</h1>
                <div id="usercentrics-root"></div>
                <script>
                  const host = document.getElementById('usercentrics-root');
                  const root = host.attachShadow({mode: 'open'});
                  root.innerHTML = '<div style="position:fixed;left:0;right:0;bottom:0;'
                    + 'height:200px;background:rgb(255,0,0)">We value your privacy '
                    + '<button data-testid="uc-accept-all-button">Accept All</button></div>';
                  root.querySelector('button').onclick = () => host.remove();
                </script></body>"""
            ),
            "/ok-button": Page(
                """<body style="margin:0;background:#fff"><h1>Shop</h1>
                <button onclick="document.body.style.background='rgb(255,0,0)'">OK</button>
                </body>"""
            ),
            "/huge": Page(
                "<body style='margin:0'><h1>Huge</h1>"
                "<div style='height:50000px;background:linear-gradient(#fff,#000)'></div></body>"
            ),
            "/page": Page("<h1>Acme</h1><div style='height:1500px'>hello</div>"),
            "/ads": Page("<h1>Ads of a company</h1>"),
            "/status/500": Page("<h1>oops</h1>", status=500),
            "/status/404": Page("<h1>gone</h1>", status=404),
            "/blank": Page("<html><body></body></html>"),
            "/slow": Page("<h1>slow</h1>", delay_s=2.5),
            "/hang": Page(
                "<h1>hang</h1><script>setTimeout(() => { while (true) {} }, 50)</script>"
            ),
        }
    )
    return site


def _capture(browser: Browser, url: str, out: Path, **kw: object) -> CaptureResult:
    settings = kw.pop("settings", FAST)
    target = CaptureTarget(name="Acme Corp", domain="acme.example", website=url)
    return capture_company(browser, target, out, settings=settings, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "path",
    [
        "/cookie/en",
        "/cookie/de",
        "/cookie/onetrust",
        "/cookie/fr",
        "/cookie/reload",
        "/cookie/shadow",
    ],
)
def test_cookie_banner_dismissed(path: str, chromium: Browser, pages: Site, tmp_path: Path) -> None:
    result = _capture(chromium, pages.url(path), tmp_path)
    assert result.website.source == "live", result.website.error
    assert result.website.note and "clicked" in result.website.note
    with Image.open(result.website_viewport.path) as view:
        assert view.convert("RGB").getpixel((640, 650)) != RED  # the banner area


def test_lone_ok_button_outside_a_banner_is_not_clicked(
    chromium: Browser, pages: Site, tmp_path: Path
) -> None:
    result = _capture(chromium, pages.url("/ok-button"), tmp_path)
    assert result.website.note is None
    with Image.open(result.website_viewport.path) as view:
        assert view.convert("RGB").getpixel((640, 650)) == (255, 255, 255)


def test_huge_page_height_is_capped(chromium: Browser, pages: Site, tmp_path: Path) -> None:
    result = _capture(chromium, pages.url("/huge"), tmp_path)
    assert result.website.source == "live", result.website.error
    with Image.open(result.website.path) as full:
        assert full.size == (1280, FAST.max_height)


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("/status/500", "HTTP 500"),
        ("/status/404", "HTTP 404"),
        ("/blank", "blank page"),
        ("/slow", "timeout"),
        ("http://nxdomain.test/", "dns failure"),
        ("https://nxdomain.test/", "dns failure"),
        ("https://evil.test/", "refused: loopback"),
        ("http://169.254.169.254/latest/meta-data/", "refused: cloud metadata address"),
        ("file:///etc/passwd", "refused: scheme"),
    ],
)
def test_down_site_falls_back_to_card(
    url: str, error: str, chromium: Browser, pages: Site, tmp_path: Path
) -> None:
    settings = FAST.model_copy(update={"navigation_timeout_s": 1.0})
    full_url = pages.url(url) if url.startswith("/") else url
    result = _capture(chromium, full_url, tmp_path, settings=settings)
    for image in (result.website, result.website_viewport):
        assert image.source == "card"
        assert image.error and image.error.startswith(error), image.error
        with Image.open(image.path) as card:
            assert card.size == (1280, 720)


def test_fallback_prefers_previous_then_card(
    chromium: Browser, pages: Site, tmp_path: Path
) -> None:
    good = _capture(chromium, pages.url("/page"), tmp_path / "run1")
    assert good.website.source == "live"
    stored = json.loads(json.dumps(good.to_json()))  # what the database keeps
    previous = CaptureResult.from_json(stored)

    down = _capture(chromium, pages.url("/status/500"), tmp_path / "run2", previous=previous)
    assert down.website.source == "previous" and down.website.error == "HTTP 500"
    assert Path(down.website.path).read_bytes() == Path(good.website.path).read_bytes()
    assert down.website_viewport.source == "previous"

    # A previous fallback is still a real screenshot and can be carried forward again.
    again = _capture(chromium, pages.url("/status/500"), tmp_path / "run3", previous=down)
    assert again.website.source == "previous"

    for image in (good.website, good.website_viewport, down.website, down.website_viewport):
        Path(image.path).unlink()
    gone = _capture(chromium, pages.url("/status/500"), tmp_path / "run4", previous=down)
    assert gone.website.source == "card" and gone.website.error == "HTTP 500"


def test_ads_url_wins_over_pattern(chromium: Browser, pages: Site, tmp_path: Path) -> None:
    settings = FAST.model_copy(
        update={
            "capture_ads": True,
            "ads_url_pattern": f"http://good.test:{pages.port}/ads?q={{company_name}}&d={{domain}}",
        }
    )
    target = CaptureTarget(
        name="Acme & Co", domain="acme.example", website=pages.url("/page"), ads_url=None
    )
    result = capture_company(chromium, target, tmp_path / "pattern", settings=settings)
    assert result.ads is not None and result.ads.source == "live", result.ads
    assert "/ads?q=Acme%20%26%20Co&d=acme.example" in pages.requests

    own = dataclasses.replace(target, ads_url=pages.url("/ads?own=1"))
    result = capture_company(chromium, own, tmp_path / "own", settings=settings)
    assert result.ads is not None and result.ads.url == pages.url("/ads?own=1")
    assert "/ads?own=1" in pages.requests


def test_browser_restarts_after_crash(chromium: Browser, pages: Site, tmp_path: Path) -> None:
    launches = chromium.launches
    chromium._browser.close()  # simulate a crash: the process is gone
    result = _capture(chromium, pages.url("/page"), tmp_path)
    assert result.website.source == "live", result.website.error
    assert chromium.launches == launches + 1


def test_hung_page_is_cut_by_the_hard_deadline(
    chromium: Browser, pages: Site, tmp_path: Path
) -> None:
    """A script spinning after load blocks page.evaluate forever; the watchdog kills it."""
    settings = FAST.model_copy(update={"hard_timeout_s": 3.0})
    result = _capture(chromium, pages.url("/hang"), tmp_path / "hang", settings=settings)
    assert result.website.source == "card"
    assert result.website.error == "timeout (page hung)"
    after = _capture(chromium, pages.url("/page"), tmp_path / "after")
    assert after.website.source == "live", after.website.error
