"""The demo's one loopback exception: plain-http requests under /demo-sites/ to one
socket, nothing else there (no tunnel, no other path, no escapes), nothing elsewhere."""

from __future__ import annotations

import pytest

from leadreel.integrations.egress import EgressProxy, EgressRefused, safe_path
from tests.screenshots.conftest import SITE_IP, Page, Site
from tests.screenshots.test_egress_proxy import _connect, _get


@pytest.fixture
def path_proxy(site: Site):
    site.pages["/demo-sites/acme/"] = Page("<h1>Acme demo</h1>")
    site.pages["/login"] = Page("<h1>the app</h1>")
    with EgressProxy(allow_paths=[(f"{SITE_IP}:{site.port}", "/demo-sites/")]) as proxy:
        yield proxy


def test_only_demo_paths_pass(path_proxy: EgressProxy, site: Site) -> None:
    ok = _get(path_proxy, f"http://{SITE_IP}:{site.port}/demo-sites/acme/")
    assert ok.startswith(b"HTTP/1.1 200") and b"Acme demo" in ok
    for path in (
        "/login",
        "/",
        "/demo-sites",
        "/demo-sites/../login",
        "/demo-sites/%2e%2e/login",
        "/demo-sites//x",
        "/demo-sites/acme/\\..\\login",
    ):
        before = list(site.requests)
        reply = _get(path_proxy, f"http://{SITE_IP}:{site.port}{path}")
        assert reply.startswith(b"HTTP/1.1 403") or reply.startswith(b"HTTP/1.1 400"), path
        assert site.requests == before, path
    # a tunnel to the same socket could carry any path: refused
    assert _connect(path_proxy, f"{SITE_IP}:{site.port}").startswith(b"HTTP/1.1 403")
    # another loopback port stays closed
    assert _get(path_proxy, f"http://{SITE_IP}:{site.port + 1}/demo-sites/acme/").startswith(
        b"HTTP/1.1 403"
    )


def test_preflight_check_url_follows_the_same_rule(path_proxy: EgressProxy, site: Site) -> None:
    assert path_proxy.check_url(f"http://{SITE_IP}:{site.port}/demo-sites/acme/")
    for url in (
        f"http://{SITE_IP}:{site.port}/login",
        f"https://{SITE_IP}:{site.port}/demo-sites/a/",
    ):
        with pytest.raises(EgressRefused):
            path_proxy.check_url(url)


def test_safe_path() -> None:
    assert safe_path("/demo-sites/acme/site.css?v=1", "/demo-sites/")
    assert not safe_path("/demo-sites/a/../../x", "/demo-sites/")
    assert not safe_path("/demo-sites/a%2f..", "/demo-sites/")
    assert not safe_path("/other/demo-sites/", "/demo-sites/")
