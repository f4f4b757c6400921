"""End to end: a batch of 100 leads over 25 companies, rendered by real `leadreel worker`s.

    .venv/bin/python bench/batch.py            # 100 leads / 25 companies, 20 s videos
    .venv/bin/python bench/batch.py --quick    # 12 leads / 3 companies, 4 s videos

What runs is what a salesperson's click starts: the Video rows and their chains
(``pipeline.start_renders``), then worker processes (``leadreel worker``, a separate
process each, as deployed) take the screenshot tasks (one capture per company through
the egress proxy, from the realistic loopback sites of bench/sites.py; the other leads of
a company reuse it) and the render tasks (the benchmark's 3-segment template, MP4 +
thumbnail + GIF), writing each Video row. The clock runs from the click to the last
video; the Videos page's status endpoint (``/videos/status.json``) is polled meanwhile
and its progress printed. At the end every video row must be complete (status
``rendered``, files present, 20 s long).

Two set-ups, one after the other: one worker on SQLite, and two workers on PostgreSQL
(when it answers at 127.0.0.1:5432), each worker running 2 tasks at once.
``batch100_leads_per_min`` is the one-worker figure; ``batch100_pg2_leads_per_min`` the
two-worker one. bench/render.py imports :func:`run`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from sites import Sites  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _seed(app: Any, sites: Sites, fixtures: dict[str, Path], leads: int, companies: int) -> Any:
    """Admin, companies, leads, presenter clips, the template; returns (user id, lead ids)."""
    from leadreel.extensions import db
    from leadreel.models import Company, Lead
    from leadreel.services.setup import create_user
    from leadreel.services.videos import library, template_store

    with app.app_context():
        session = db.session
        user = create_user(session, "bench@example.com", "bench-password-123", role="admin")
        settings = app.config["SETTINGS"]
        ids = {}
        for name in ("intro", "walkthrough", "outro"):
            with fixtures[name].open("rb") as fh:
                ids[name] = str(library.add_media(session, settings, fh, f"{name}.mp4").id)
        spec = _spec(ids, fixtures["seconds"])  # type: ignore[arg-type]
        template = template_store.create_template(session, "Batch", spec, is_default=True)
        lead_ids = []
        for c in range(companies):
            company = Company(
                name=f"Company {c}",
                name_key=f"company {c}",
                domain=f"company{c}.test",
                website=sites.url(c),
                ads_url=sites.ads_url(c),
                screenshots={},
            )
            session.add(company)
            session.flush()
            for k in range(leads // companies + (1 if c < leads % companies else 0)):
                lead = Lead(
                    first_name=f"Ann{c}x{k}",
                    last_name="Lee",
                    email=f"ann{c}x{k}@example.com",
                    company_id=company.id,
                    owner_id=user.id,
                )
                session.add(lead)
                session.flush()
                lead_ids.append(lead.id)
        session.commit()
        return user.id, template.id, lead_ids


def _spec(ids: dict[str, str], seconds: tuple[float, float, float]) -> dict[str, Any]:
    """The render benchmark's template plus a greeting with the lead's name."""
    d1, d2, d3 = seconds
    fades = {"fade_in": 0.5, "fade_out": 0.5}
    return {
        "output": {"width": 1280, "height": 720, "fps": 30},
        "segments": [
            {"type": "fullscreen", "id": "intro", "clip": ids["intro"], "duration": d1, **fades},
            {
                "type": "pip",
                "id": "site",
                "clip": ids["walkthrough"],
                "duration": d2,
                "size": 0.3,
                "margin": 32,
                "background": {"source": "website_scroll"},
                "texts": [{"text": "Hi {first_name}!", "position": "top_left"}],
                **fades,
            },
            {
                "type": "audio_over_image",
                "id": "ads",
                "clip": ids["outro"],
                "duration": d3,
                "image": {"source": "ads"},
                **fades,
            },
        ],
    }


def _status(client: Any, video_ids: list[int]) -> tuple[int, float]:
    """(videos done, mean progress) as the Videos page sees them."""
    done, progress = 0, 0.0
    for start in range(0, len(video_ids), 200):
        chunk = ",".join(str(i) for i in video_ids[start : start + 200])
        data = client.get(f"/videos/status.json?ids={chunk}").get_json()
        done += sum(1 for v in data["videos"] if v["status"] in ("rendered", "ready"))
        progress += sum(v["progress"] for v in data["videos"])
        failed = [v for v in data["videos"] if v["status"] == "failed"]
        if failed:
            raise RuntimeError(f"video {failed[0]['id']} failed: {failed[0]['error']}")
    return done, progress / max(len(video_ids), 1)


def run_batch(
    *,
    database_url: str | None,
    workers: int,
    leads: int,
    companies: int,
    fixtures: dict[str, Any],
    preset: str,
    timeout: float,
) -> dict[str, float]:
    from leadreel.app import create_app
    from leadreel.extensions import db
    from leadreel.models import Video
    from leadreel.services.leads.selection import Selection
    from leadreel.services.videos import pipeline

    work = Path(tempfile.mkdtemp(prefix="leadreel-batch-"))
    sites = Sites()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **os.environ,
            "LEADREEL_DATA_DIR": str(work / "data"),
            "LEADREEL_SECRET_KEY": "bench-secret",
            "LEADREEL_SCREENSHOT_ALLOW": sites.allow,
            "LEADREEL_RENDER_PRESET": preset,
            "LEADREEL_WORKER_CONCURRENCY": "2",
            "LEADREEL_RENDER_THREADS": "1",  # two encodes at once: see ours_pair_t1
            "LEADREEL_WORKER_POLL_INTERVAL": "0.1",
        }
        if database_url:
            env["LEADREEL_DATABASE_URL"] = database_url
        config: dict[str, Any] = {
            "data_dir": work / "data",
            "secret_key": "bench-secret",
            "screenshot_allow": sites.allow,
        }
        if database_url:
            config["database_url"] = database_url
        app = create_app(config)
        user_id, template_id, lead_ids = _seed(app, sites, fixtures, leads, companies)
        client = app.test_client()
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = str(user_id)
            flask_session["_fresh"] = True
        exe = Path(sys.executable).with_name("leadreel")
        with app.app_context():
            from leadreel.models import User

            user = db.session.get(User, user_id)
            started = time.perf_counter()  # the click
            result = pipeline.start_renders(
                db.session, user, Selection(lead_ids=lead_ids), template_id
            )
            db.session.commit()
            video_ids = list(result.started)
        procs = [
            subprocess.Popen(
                [str(exe), "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=open(work / f"worker{n}.log", "wb"),
            )  # noqa: SIM115
            for n in range(workers)
        ]
        shown, done = [], 0
        while done < len(video_ids):
            if time.perf_counter() - started > timeout:
                raise RuntimeError(f"batch not done after {timeout:.0f} s ({done} videos)")
            if any(p.poll() is not None for p in procs):
                raise RuntimeError("a worker exited; see its log")
            time.sleep(1.0)
            with app.app_context():
                done, progress = _status(client, video_ids)
            shown.append(f"{time.perf_counter() - started:.0f}s:{done}")
        elapsed = time.perf_counter() - started
        print(f"  Videos page while it ran (seconds:videos done): {' '.join(shown[::5])}")
        with app.app_context():
            rows = db.session.query(Video).filter(Video.id.in_(video_ids)).all()
            total = sum(fixtures["seconds"])
            for v in rows:
                files = (v.file_path, v.thumbnail_path, v.preview_path)
                if v.status != "rendered" or not all(f and Path(f).is_file() for f in files):
                    raise RuntimeError(f"video {v.id} incomplete: {v.status} {files}")
                if abs((v.duration or 0) - total) > 0.15:
                    raise RuntimeError(f"video {v.id}: duration {v.duration}")
            sources = sorted({v.screenshot_source for v in rows})
        heavy = sites.heavy_requests()
        print(
            f"  {len(rows)} videos complete in {elapsed:.1f} s; screenshot sources {sources}; "
            f"video/audio/tracker requests served: {heavy}"
        )
        db.dispose()
        return {"leads_per_min": len(rows) / elapsed * 60, "seconds": elapsed}
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        sites.close()
        shutil.rmtree(work, ignore_errors=True)


def _pg_database() -> str | None:
    """A fresh database for the run, or None when PostgreSQL does not answer."""
    try:
        import psycopg
    except ImportError:
        return None
    name = f"leadreel_bench_{os.getpid()}"
    try:
        with psycopg.connect(
            "postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True, connect_timeout=3
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"  PostgreSQL not available ({exc}); the two-worker run is skipped")
        return None
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(quick: bool, *, preset: str, postgres: bool = True) -> dict[str, float]:
    from render import make_fixtures

    leads, companies = (12, 3) if quick else (100, 25)
    seconds = (1.0, 2.0, 1.0) if quick else (5.0, 10.0, 5.0)
    fixtures_dir = Path(tempfile.mkdtemp(prefix="leadreel-batch-media-"))
    figures: dict[str, float] = {}
    try:
        fixtures: dict[str, Any] = dict(make_fixtures(fixtures_dir, seconds))
        fixtures["seconds"] = seconds
        common = {
            "leads": leads,
            "companies": companies,
            "fixtures": fixtures,
            "preset": preset,
            "timeout": 1800,
        }
        print(f"batch: {leads} leads over {companies} companies, {sum(seconds):g} s videos")
        one = run_batch(database_url=None, workers=1, **common)  # type: ignore[arg-type]
        figures["batch100_leads_per_min"] = one["leads_per_min"]
        print(f"  one worker (SQLite): {one['leads_per_min']:.1f} leads/min")
        url = _pg_database() if postgres else None
        if url:
            try:
                two = run_batch(database_url=url, workers=2, **common)  # type: ignore[arg-type]
            finally:
                _drop(url)
            figures["batch100_pg2_leads_per_min"] = two["leads_per_min"]
            figures["batch100_pg2_over_one"] = two["leads_per_min"] / one["leads_per_min"]
            print(f"  two workers (PostgreSQL): {two['leads_per_min']:.1f} leads/min")
    finally:
        shutil.rmtree(fixtures_dir, ignore_errors=True)
    figures["batch_leads"] = float(leads)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--preset", default=None)
    parser.add_argument("--no-postgres", action="store_true", help="one worker on SQLite only")
    args = parser.parse_args(argv)
    from leadreel.config import Settings

    preset = args.preset or Settings().render_preset
    figures = run(args.quick, preset=preset, postgres=not args.no_postgres)
    print("RESULT " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
