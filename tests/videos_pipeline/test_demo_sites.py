"""`leadreel demo`'s sample sites: generated locally, served by the app, the demo
companies point at them, the egress exception exists only while they do, and the
screenshot browser really captures one (the first demo video shows a real-looking site)."""

from __future__ import annotations

from PIL import Image
from sqlalchemy import select

from leadreel.extensions import db
from leadreel.models import Company
from leadreel.services.demo import _ensure_sites
from leadreel.services.demo_sites.builder import SiteInfo, manifest, write_sites
from leadreel.services.videos.browser_service import allow_paths


def test_sites_are_served_and_escape_names(app, client):
    data_dir = app.config["SETTINGS"].data_dir
    assert client.get("/demo-sites/acme/").status_code == 404  # demo off: nothing
    assert allow_paths(app.config["SETTINGS"]) == []
    urls = write_sites(
        data_dir, "http://127.0.0.1:8111", [SiteInfo("Acme <script>", "Dental", "Madison")]
    )
    assert urls == {"Acme <script>": "http://127.0.0.1:8111/demo-sites/acme-script/"}
    page = client.get("/demo-sites/acme-script/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Acme &lt;script&gt;" in html and "<script" not in html
    assert "http" not in html.split("</head>")[0]  # nothing fetched from elsewhere
    assert client.get("/demo-sites/acme-script/site.css").mimetype == "text/css"
    for bad in (
        "/demo-sites/acme-script/manifest.json",
        "/demo-sites/../secret_key",
        "/demo-sites/acme-script/..%2F..%2Fsecret_key",
        "/demo-sites/nope/",
    ):
        assert client.get(bad).status_code == 404, bad
    assert allow_paths(app.config["SETTINGS"]) == [("127.0.0.1:8111", "/demo-sites/")]
    assert manifest(data_dir)["slugs"] == ["acme-script"]


def test_demo_points_companies_at_the_sites(app):
    with app.app_context():
        db.session.add(
            Company(
                name="Northwind Logistics",
                name_key="northwind logistics",
                website="https://www.northwindlogistics.example",
            )
        )
        db.session.commit()
        lines: list[str] = []
        _ensure_sites(db.session, app.config["SETTINGS"], 8111, lines)
        db.session.commit()
        company = db.session.scalar(select(Company).where(Company.name == "Northwind Logistics"))
        assert company.website == "http://127.0.0.1:8111/demo-sites/northwind-logistics/"
    assert "25 sample sites" in lines[0]


def test_browser_captures_a_demo_site_through_the_filter(app, live_server, tmp_path):
    from leadreel.services.videos.browser_service import BROWSER
    from leadreel.services.videos.screenshots import (
        CaptureTarget,
        ScreenshotSettings,
        capture_company,
    )

    port = int(live_server.rsplit(":", 1)[1])
    settings = app.config["SETTINGS"]
    urls = write_sites(
        settings.data_dir,
        f"http://127.0.0.1:{port}",
        [SiteInfo("Bluebird Bakery", "Food & Beverage", "Asheville")],
    )
    target = CaptureTarget(
        name="Bluebird Bakery",
        website=urls["Bluebird Bakery"],
        ads_url=f"http://127.0.0.1:{port}/login",
    )
    result = BROWSER.call(
        lambda browser: capture_company(
            browser, target, tmp_path / "shot", settings=ScreenshotSettings()
        ),
        chromium_path=settings.chromium_path,
        allow=[],
        allow_paths=allow_paths(settings),
        timeout=120,
    )
    assert result.website.source == "live", result.website.error
    with Image.open(result.website.path) as image:
        assert image.height > 1500  # a long page to scroll through
        assert image.getpixel((200, 300)) != image.getpixel((200, 1400))  # hero vs. content
    assert result.ads is not None and result.ads.source == "card"  # the app's own pages: refused
