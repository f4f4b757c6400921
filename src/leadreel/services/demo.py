"""Demo data so a first ``make run`` shows a working product."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadreel.config import Settings
from leadreel.models import Company, Lead, User
from leadreel.services.demo_sites.builder import SiteInfo, write_sites
from leadreel.services.setup import create_user

DEMO_USERS = (
    ("admin@demo.leadreel.local", "demo-admin-pass", "admin", "Demo Admin"),
    ("manager@demo.leadreel.local", "demo-manager-pass", "manager", "Demo Manager"),
    ("rep@demo.leadreel.local", "demo-rep-pass", "rep", "Demo Rep"),
)
DEMO_CSV = Path(__file__).resolve().parent.parent / "data" / "demo_leads.csv"


def create_demo(
    session: Session, settings: Settings, *, force: bool = False, site_port: int = 8000
) -> dict[str, Any]:
    """Idempotent: existing demo users are kept; leads are imported once; the sample sites
    are (re)written for the app at ``http://127.0.0.1:<site_port>`` and the demo companies
    pointed at them."""
    lines = []
    for email, password, role, name in DEMO_USERS:
        if session.scalar(select(User).where(User.email == email)) is None:
            create_user(session, email, password, role, name)
    _ensure_media(session, settings, lines)
    lines.append("Demo logins (change these before real use):")
    lines += [f"  {role:<8} {email}  /  {password}" for email, password, role, _ in DEMO_USERS]
    has_leads = (session.scalar(select(func.count(Lead.id))) or 0) > 0
    if has_leads and not force:
        lines.append("Leads exist already; demo batch not imported again.")
        _ensure_sites(session, settings, site_port, lines)
        return {"lines": lines}
    try:
        from leadreel.services.importing.importer import import_demo_file
    except ImportError:
        lines.append("Importer not available yet; no demo leads.")
        return {"lines": lines}
    rep = session.scalar(select(User).where(User.email == DEMO_USERS[2][0]))
    counts = import_demo_file(session, settings, DEMO_CSV, owner=rep)
    lines.append(f"Demo batch imported: {counts}")
    _ensure_sites(session, settings, site_port, lines)
    return {"lines": lines}


def _demo_companies() -> list[SiteInfo]:
    with DEMO_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    seen: dict[str, SiteInfo] = {}
    for row in rows:
        name = (row.get("Company") or "").strip()
        if name and name not in seen:
            seen[name] = SiteInfo(name=name, industry=row.get("Industry"), city=row.get("City"))
    return list(seen.values())


def _ensure_sites(session: Session, settings: Settings, port: int, lines: list[str]) -> None:
    """Write the sample sites and point the demo companies (by name) at them."""
    base = f"http://127.0.0.1:{port}"
    urls = write_sites(settings.data_dir, base, _demo_companies())
    companies = session.scalars(select(Company).where(Company.name.in_(list(urls)))).all()
    for company in companies:
        company.website = urls[company.name]
        company.screenshots = {}  # captured before the sites existed: capture again
    lines.append(
        f"Demo websites: {len(urls)} sample sites at {base}/demo-sites/ "
        f"({len(companies)} demo companies point at them)."
    )


def _ensure_media(session: Session, settings: Settings, lines: list[str]) -> None:
    """Demo presenter clips and the default template, generated locally with ffmpeg."""
    from leadreel.services.videos.demo_media import ensure_demo_media

    ensure_demo_media(session, settings)
    lines.append("Demo presenter clips and the default video template are ready.")
