"""Benchmark of exports (issue 12): our streamed CSV/XLSX writer against the naive way.

Data: N leads (one company per three leads, one ready, shared video per lead) in a fresh
SQLite database (or PostgreSQL with --pg-url), exported with a 12-column outreach template
(lead, company and video columns: share link, thumbnail, GIF, email snippet).

- ours:  ``leadreel.services.exports.runner.write_export``: only the needed columns, read
         as tuples in pages of 2,000 from a server-side cursor, CSV via csv.writer or XLSX
         via openpyxl's write-only mode;
- naive: load every Lead (with its joined Company) and every Video through the ORM, then
         write the same cells with csv.writer, or with openpyxl in normal mode for XLSX.

Both write the same cells (the CSV files are compared byte for byte). Every measured
export runs in its own child process, so its peak RSS (``ru_maxrss``) is its own; the
child also reports its RSS before exporting (imports and the connection), so the growth
is visible. Peak memory flat as rows grow = the 10k and 100k (and 1M) figures of ours
are about the same.

    python bench/export.py            # 10k, 100k, 1M rows (several minutes)
    python bench/export.py --quick    # 2k and 10k rows, under a minute
    python bench/export.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The naive XLSX run (openpyxl normal mode keeps the whole sheet in memory) is skipped above
``--naive-xlsx-max`` rows (default 100,000) so a 1M run does not take gigabytes; its ratio
is reported at the largest size it ran. The last line printed is ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "src"))

COLUMNS = [
    {"kind": "field", "field": "first_name", "header": "First name"},
    {"kind": "field", "field": "last_name", "header": "Last name"},
    {"kind": "field", "field": "email", "header": "Email"},
    {"kind": "field", "field": "job_title", "header": "Title"},
    {"kind": "field", "field": "company_name", "header": "Company"},
    {"kind": "field", "field": "website", "header": "Website"},
    {"kind": "field", "field": "city", "header": "City"},
    {"kind": "field", "field": "video_share_url", "header": "Video link"},
    {"kind": "field", "field": "video_thumbnail_url", "header": "Thumbnail URL"},
    {"kind": "field", "field": "video_gif_url", "header": "GIF URL"},
    {"kind": "field", "field": "video_email_snippet", "header": "Email snippet"},
    {"kind": "field", "field": "video_views", "header": "Views"},
]
BASE = "https://send.example"
FIRST = "Ann Bo Cy Dee Eli Fay Gus Hal Ivy Jo Kai Lu Max Nia Oz Pia".split()
LAST = "Lee Ng Ox Park Quinn Roy Shaw Tan Uhl Voss Wu Xu Yao Zed".split()
TITLES = ["CEO", "Owner", '=HYPERLINK("x")', "Head of Sales", "-VP-", "Founder"]


# ---- data ------------------------------------------------------------------------------


def build_database(url: str, rows: int) -> None:
    """Migrate and fill a database with ``rows`` leads, companies and videos (bulk SQL)."""
    from sqlalchemy import create_engine, text

    from leadreel import migrate

    migrate.upgrade(url)
    engine = create_engine(url)
    now = "2026-12-01 10:00:00+00:00"
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
        companies = [
            {
                "id": i + 1,
                "name": f"Company {i}",
                "name_key": f"company {i}",
                "website": f"https://co{i}.example",
                "domain": f"co{i}.example",
                "now": now,
            }
            for i in range((rows + 2) // 3)
        ]
        conn.execute(
            text(
                "INSERT INTO companies (id, name, name_key, website, domain, extra, custom,"
                " inferred, screenshots, created_at, updated_at) VALUES (:id, :name, :name_key,"
                " :website, :domain, '{}', '{}', '[]', '{}', :now, :now)"
            ),
            companies,
        )
        step = 50_000
        for start in range(0, rows, step):
            leads = [
                {
                    "id": i + 1,
                    "first": FIRST[i % len(FIRST)],
                    "last": LAST[i % len(LAST)],
                    "email": f"lead{i}@co{i // 3}.example",
                    "title": TITLES[i % len(TITLES)],
                    "city": "Berlin" if i % 2 else "Lyon",
                    "company": i // 3 + 1,
                    "now": now,
                }
                for i in range(start, min(rows, start + step))
            ]
            conn.execute(
                text(
                    "INSERT INTO leads (id, first_name, last_name, email, job_title, city, extra,"
                    " custom, inferred, status, company_id, created_at, updated_at) VALUES (:id,"
                    " :first, :last, :email, :title, :city, '{}', '{}', '[]', 'new', :company,"
                    " :now, :now)"
                ),
                leads,
            )
            videos = [
                {
                    "id": lead["id"],
                    "lead": lead["id"],
                    "token": uuid.UUID(int=lead["id"]).hex,
                    "views": lead["id"] % 7,
                    "now": now,
                }
                for lead in leads
            ]
            conn.execute(
                text(
                    "INSERT INTO videos (id, lead_id, template_version, status, progress,"
                    " thumbnail_path, preview_path, share_token, share_enabled, view_count,"
                    " play_count, is_sample, created_at, updated_at) VALUES (:id, :lead, 1,"
                    " 'ready', 1.0, 't.jpg', 'p.gif', :token, true, :views, 0, false, :now, :now)"
                ),
                videos,
            )
    engine.dispose()


# ---- the two exporters (run in a child process) ---------------------------------------


def rss_mb() -> float:
    """This process's peak RSS (VmHWM): unlike ``ru_maxrss`` it is not carried over from
    the parent across fork/exec, so a child's figure is its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, way: str, fmt: str, out: str) -> dict[str, Any]:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from leadreel.services.exports.runner import ExportOptions, write_export
    from leadreel.services.leads.selection import Selection

    if way == "naive" and fmt == "xlsx":
        import openpyxl  # noqa: F401 - loaded before the baseline, as ours loads it
    engine = create_engine(url)
    with Session(engine) as session:
        session.connection()
        base = rss_mb()
        started = time.perf_counter()
        if way == "ours":
            count = write_export(
                session,
                Path(out),
                COLUMNS,
                Selection(everything=True),
                None,
                ExportOptions(fmt),
                base_url=BASE,
            )
        else:
            count = naive_export(session, Path(out), fmt)
        seconds = time.perf_counter() - started
    engine.dispose()
    return {"rows": count, "seconds": seconds, "peak_mb": rss_mb(), "base_mb": base}


def naive_export(session: Any, path: Path, fmt: str) -> int:
    """The obvious way: every row through the ORM into memory, then write."""
    import csv

    from sqlalchemy import select

    from leadreel.models import Lead, Video
    from leadreel.services.delivery import links
    from leadreel.services.exports.guard import neutralize

    leads = session.scalars(select(Lead).order_by(Lead.id)).all()
    latest = {v.lead_id: v for v in session.scalars(select(Video).order_by(Video.id)).all()}
    rows = [[c["header"] for c in COLUMNS]]
    for lead in leads:
        company, video = lead.company, latest.get(lead.id)
        ok = video is not None and video.share_token and video.share_enabled
        token = video.share_token if ok else ""
        cells = [
            lead.first_name,
            lead.last_name,
            lead.email,
            lead.job_title,
            company.name if company else None,
            company.website if company else None,
            lead.city,
            links.share_url(BASE, token) if ok else "",
            links.thumbnail_url(BASE, token) if ok and video.thumbnail_path else "",
            links.gif_url(BASE, token) if ok and video.preview_path else "",
            links.email_snippet(BASE, token, gif=bool(video.preview_path)) if ok else "",
            str(video.view_count) if video is not None else "",
        ]
        rows.append([neutralize(c) for c in cells])
    if fmt == "csv":
        with path.open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    else:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        for row in rows:
            ws.append([c or None for c in row])
        wb.save(path)
    return len(rows) - 1


def measure(url: str, way: str, fmt: str, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE), "--child", way, fmt, str(out), "--url", url]
    done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=os.environ.copy())
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- main --------------------------------------------------------------------------------


def fresh_url(pg_url: str | None, tmp: Path, rows: int) -> str:
    if not pg_url:
        return f"sqlite:///{tmp / f'export-{rows}.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"leadreel_bench_export_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def drop(pg_url: str | None, url: str) -> None:
    if not pg_url:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2k and 10k rows (under a minute)")
    parser.add_argument("--sizes", default="", help="comma-separated row counts")
    parser.add_argument("--pg-url", default="", help="run on PostgreSQL instead of SQLite")
    parser.add_argument("--naive-xlsx-max", type=int, default=100_000)
    parser.add_argument("--naive-csv-max", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=3, metavar=("WAY", "FORMAT", "OUT"))
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.url, *args.child)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [2_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000]
    )
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpu(s), load {os.getloadavg()}")
    print(
        f"database: {'PostgreSQL' if args.pg_url else 'SQLite'}; template: {len(COLUMNS)} columns"
    )
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="leadreel-bench-export-") as tmp_name:
        tmp = Path(tmp_name)
        for rows in sizes:
            url = fresh_url(args.pg_url or None, tmp, rows)
            try:
                started = time.perf_counter()
                build_database(url, rows)
                print(f"\n{rows:,} leads loaded in {time.perf_counter() - started:.1f}s")
                for fmt in ("csv", "xlsx"):
                    ours = measure(url, "ours", fmt, tmp / f"ours.{fmt}")
                    line = (
                        f"  {fmt} ours : {ours['rows'] / ours['seconds']:>9,.0f} rows/s"
                        f" {ours['seconds']:6.1f}s peak {ours['peak_mb']:6.1f} MB"
                        f" (before export {ours['base_mb']:.1f} MB)"
                    )
                    tag = f"{fmt}_{rows // 1000}k"
                    result[f"{tag}_ours_rps"] = round(ours["rows"] / ours["seconds"])
                    result[f"{tag}_ours_peak_mb"] = round(ours["peak_mb"], 1)
                    limit = args.naive_xlsx_max if fmt == "xlsx" else args.naive_csv_max
                    if rows <= limit:
                        naive = measure(url, "naive", fmt, tmp / f"naive.{fmt}")
                        ratio = naive["seconds"] / ours["seconds"]
                        less = naive["peak_mb"] / ours["peak_mb"]
                        line += (
                            f"\n  {fmt} naive: {naive['rows'] / naive['seconds']:>9,.0f} rows/s"
                            f" {naive['seconds']:6.1f}s peak {naive['peak_mb']:6.1f} MB"
                            f"  -> ours {ratio:.1f}x faster, {less:.1f}x less memory"
                        )
                        result[f"{tag}_naive_rps"] = round(naive["rows"] / naive["seconds"])
                        result[f"{tag}_naive_peak_mb"] = round(naive["peak_mb"], 1)
                        result[f"{tag}_speedup"] = round(ratio, 2)
                        if fmt == "csv":
                            same = (tmp / "ours.csv").read_bytes() == (
                                tmp / "naive.csv"
                            ).read_bytes()
                            result[f"{tag}_identical"] = int(same)
                            line += f"\n  csv files identical: {same}"
                    print(line, flush=True)
                    (tmp / f"ours.{fmt}").unlink(missing_ok=True)
                    (tmp / f"naive.{fmt}").unlink(missing_ok=True)
            finally:
                drop(args.pg_url or None, url)
                if not args.pg_url:
                    Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    small, big = sizes[0], sizes[-1]
    for fmt in ("csv", "xlsx"):
        a = result[f"{fmt}_{small // 1000}k_ours_peak_mb"]
        b = result[f"{fmt}_{big // 1000}k_ours_peak_mb"]
        result[f"{fmt}_peak_growth_mb"] = round(b - a, 1)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
