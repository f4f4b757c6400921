"""Browser lifecycle: clear error without Chromium, one shared browser per process."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadreel.integrations.browser import BASE_ARGS, Browser, BrowserPool, BrowserUnavailable
from leadreel.integrations.egress import EgressProxy
from tests.screenshots.conftest import CHROMIUM, Page, Site


def test_missing_chromium_says_how_to_install(tmp_path: Path) -> None:
    browser = Browser(executable_path=tmp_path / "no-chromium")
    with pytest.raises(BrowserUnavailable, match="apt-get install chromium"):
        browser.start()
    browser.close()


def test_broken_chromium_releases_everything(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    proxy = EgressProxy()
    with pytest.raises(BrowserUnavailable, match="failed to start"):
        Browser(executable_path=fake, launch_timeout_s=10).start()
    with pytest.raises(BrowserUnavailable):
        with Browser(proxy=proxy, executable_path=fake, launch_timeout_s=10):
            pass
    with pytest.raises(RuntimeError):
        _ = proxy.address  # a borrowed proxy is never started or stopped by the browser


def test_nothing_bypasses_the_proxy() -> None:
    assert "--proxy-bypass-list=<-loopback>" in BASE_ARGS
    assert "--force-webrtc-ip-handling-policy=disable_non_proxied_udp" in BASE_ARGS
    with pytest.raises(ValueError, match="viewport"):
        Browser(viewport=(10, 10))


@pytest.mark.browser
def test_pool_reuses_one_browser(proxy: EgressProxy, site: Site) -> None:
    site.pages["/pool"] = Page("<h1>pool</h1>")
    with BrowserPool(proxy=proxy, executable_path=CHROMIUM) as pool:
        first = pool.get()
        assert pool.get() is first and first.launches == 1
        for _ in range(2):
            with first.new_page() as page:
                assert page.goto(site.url("/pool")).status == 200
                assert page.viewport_size == {"width": 1280, "height": 720}
        assert first.launches == 1
    assert not first.is_connected()


@pytest.mark.browser
def test_no_direct_fallback_when_the_proxy_is_down(site: Site, tmp_path: Path) -> None:
    """Chromium must fail, not go DIRECT, when its proxy stops answering."""
    site.pages["/direct"] = Page("<h1>direct</h1>")
    own = EgressProxy(allow=[f"{site.host}:{site.port}"])
    with own, Browser(proxy=own, executable_path=CHROMIUM) as browser:
        url = f"http://{site.host}:{site.port}/direct"
        with browser.new_page() as page:
            assert page.goto(url).status == 200  # reachable through the proxy
        own.stop()
        seen = len(site.requests)
        with browser.new_page() as page, pytest.raises(Exception, match="ERR_PROXY"):
            page.goto(url + "?again", timeout=5000)
        assert len(site.requests) == seen
