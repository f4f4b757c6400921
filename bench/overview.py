"""Benchmark of the Leads overview (issue 13): server time through the app, ours vs naive.

What it measures, with 100,000 and 1,000,000 generated leads on SQLite and PostgreSQL
(``--quick``: 20,000 leads, fewer repetitions, under a minute), each case as a real request
through the Flask app (routing, the service, Jinja rendering of a 50-row page):

- first page (newest first), page 2,000 sorted by date, sorted by company, sorted by a
  custom field, text search for a company name, a filter by batch plus video status, and
  "select all matching" (a batch, 5% of the leads) with a bulk action queued;
- naive: the same pages rendered by the same template from the textbook queries: OFFSET
  paging, ``count(*)`` on every page, ``LIKE '%q%'`` search, and "select all" loading
  every matching id into the request.

Server time is the time ``app.test_client()`` takes to answer (in process: no network).
Both sides share the row loading (``overview.load_rows``) and the template
(``render_overview``); the script also times those two per request and reports, next to
the page's p95, the p95 of what is left ("own": the queries that differ), so the
ratio of the part the two approaches do differently is visible too.
Usage:

    python bench/overview.py            # full run (100k and 1M on both databases)
    python bench/overview.py --quick    # 20k leads, under a minute
    python bench/overview.py --no-pg    # SQLite only

The last line printed is ``RESULT key=value ...`` (p95 in ms, and naive/ours ratios).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent.parent / "src"))

from flask import Blueprint, request  # noqa: E402
from flask_login import login_user  # noqa: E402
from overview_data import company_name, load  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from leadreel.app import create_app  # noqa: E402
from leadreel.extensions import db  # noqa: E402
from leadreel.models import Lead, User  # noqa: E402
from leadreel.services.leads import overview  # noqa: E402
from leadreel.services.leads import query as lq  # noqa: E402
from leadreel.services.leads import selection as sel  # noqa: E402
from leadreel.services.leads.search import naive_search  # noqa: E402
from leadreel.tasks.queue import enqueue  # noqa: E402
from leadreel.web import leads as leads_web  # noqa: E402
from leadreel.web.lead_filters import selection_from  # noqa: E402

DEFAULT_PG = os.environ.get(
    "LEADREEL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PAGE = 50


def naive_blueprint() -> Blueprint:
    """The comparator's routes: same template, textbook queries."""
    bp = Blueprint("naive", __name__)

    def _user() -> User:
        return db.session.get(User, 1)  # type: ignore[return-value]

    @bp.route("/bench/naive")
    def page():  # type: ignore[no-untyped-def]
        args = request.args
        selection = selection_from(args)
        q = selection.q
        selection.q = ""
        key = lq.sort_key(args.get("sort", "created"))
        desc = args.get("dir", "desc" if key.default_desc else "asc") == "desc"
        query = sel.lead_query(_user(), selection, Lead.id)
        if q:
            query = query.where(naive_search(q))
        total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        cols = [
            *(c.desc() if desc else c.asc() for c in key.columns),
            Lead.id.desc() if desc else Lead.id.asc(),
        ]
        if key.join_owner:
            query = query.outerjoin(lq.Owner, lq.Owner.id == Lead.owner_id)
        offset = (args.get("page", 1, type=int) - 1) * PAGE
        ids = list(db.session.scalars(query.order_by(*cols).offset(offset).limit(PAGE)))
        page = overview.Page(
            overview.load_rows(db.session, ids),
            overview.Total(total, True),
            None,
            key.key,
            desc,
            PAGE,
        )
        return leads_web.render_overview(page, selection, args)

    @bp.route("/bench/login")
    def bench_login():  # type: ignore[no-untyped-def]
        login_user(_user())
        return "ok"

    @bp.route("/bench/naive/bulk", methods=["POST"])
    def bulk():  # type: ignore[no-untyped-def]
        selection = selection_from(request.form)
        query = sel.lead_query(_user(), selection, Lead.id)
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
        ids = list(db.session.scalars(query.order_by(Lead.id)))
        enqueue(
            db.session,
            "leads_bulk",
            {
                "action": "tag",
                "params": {"tag": "n"},
                "selection": {"lead_ids": ids},
                "count": total,
            },
            force=True,
        )
        db.session.commit()
        return {"count": total}

    return bp


class SharedWork:
    """Milliseconds spent in the work both sides share (row loading and the template)."""

    def __init__(self) -> None:
        self.ms = 0.0
        for module, name in ((overview, "load_rows"), (leads_web, "render_overview")):
            setattr(module, name, self._timed(getattr(module, name)))

    def _timed(self, fn: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.ms += (time.perf_counter() - start) * 1000

        return timed


SHARED = SharedWork()


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]


def _measure(fn: Any, reps: int) -> dict[str, float]:
    start = time.perf_counter()
    fn()  # the cold request: fills the cached total, makes the custom field's index
    cold = (time.perf_counter() - start) * 1000
    times, own = [], []
    for _ in range(reps):
        SHARED.ms = 0.0
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        own.append(times[-1] - SHARED.ms)
    return {"p50": statistics.median(times), "p95": _p95(times), "cold": cold, "own": _p95(own)}


def run_one(url: str, n: int, reps: int, naive_reps: int, data_dir: Path) -> dict[str, Any]:
    app = create_app(
        {"data_dir": data_dir, "secret_key": "bench", "testing": True, "database_url": url}
    )
    app.config["WTF_CSRF_ENABLED"] = False
    app.register_blueprint(naive_blueprint())
    assert db.engine is not None
    facts = load(db.engine, n)
    client = app.test_client()

    assert client.get("/bench/login").status_code == 200
    deep = min(2000, max(n // PAGE - 1, 2))
    with app.app_context():
        row = db.session.execute(
            select(Lead.created_at, Lead.id)
            .order_by(Lead.created_at.desc(), Lead.id.desc())
            .offset((deep - 1) * PAGE - 1)
            .limit(1)
        ).one()
        cursor = lq.encode_cursor(0, [row.created_at], row.id)
        target_company = 4711 % facts["companies"] + 1
    batch = facts["batch_ids"][3]
    q = company_name(target_company).lower()
    cases = {
        "first": ("/", "/bench/naive"),
        "deep": (f"/?after={cursor}", f"/bench/naive?page={deep}"),
        "company": ("/?sort=company", "/bench/naive?sort=company"),
        "custom": ("/?sort=cf:Score", "/bench/naive?sort=cf:Score"),
        "search": (f"/?q={q}", f"/bench/naive?q={q}"),
        "batch_video": (
            f"/?batch={batch}&video=failed",
            f"/bench/naive?batch={batch}&video=failed",
        ),
    }
    out: dict[str, Any] = {
        "n": n,
        "deep_page": deep,
        **{k: v for k, v in facts.items() if k.endswith("_s")},
    }

    def get(path: str) -> Any:
        def call() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return call

    def post(path: str, data: dict[str, str]) -> Any:
        def call() -> None:
            response = client.post(path, data=data)
            assert response.status_code in (200, 302), (path, response.status_code)

        return call

    for name, (ours, naive) in cases.items():
        out[name] = _measure(get(ours), reps)
        out[name + "_naive"] = _measure(get(naive), naive_reps)
    form = {"action": "tag", "new_tag": "b", "all_matching": "1", "batch": str(batch)}
    out["select_all"] = _measure(post("/leads/bulk", form), reps)
    out["select_all_naive"] = _measure(post("/bench/naive/bulk", form), naive_reps)
    db.dispose()
    return out


def _pg_database(base: str) -> tuple[str, Any]:
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"leadreel_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k leads, under a minute")
    parser.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    parser.add_argument("--sizes", default="", help="comma-separated lead counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s] or (
        [20_000] if args.quick else [100_000, 1_000_000]
    )
    reps, naive_reps = (8, 2) if args.quick else (20, 3)
    print(
        f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; "
        f"cpus {os.cpu_count()}",
        flush=True,
    )
    results: dict[str, float] = {}
    for n in sizes:  # every database at a size before the next size: partial runs stay useful
        for db_name in ["sqlite", *([] if args.no_pg else ["pg"])]:
            with tempfile.TemporaryDirectory(prefix="leadreel-bench-") as tmp:
                drop = None
                if db_name == "sqlite":
                    url = f"sqlite:///{Path(tmp) / 'bench.db'}"
                else:
                    url, drop = _pg_database(args.pg_url)
                try:
                    out = run_one(url, n, reps, naive_reps, Path(tmp))
                finally:
                    if drop:
                        drop()
            tag = f"{db_name}_{n // 1000}k"
            print(
                f"\n{db_name} {n:,} leads (load {out['load_s']} s + indexes {out['index_s']} s; "
                f"deep page = page {out['deep_page']})"
            )
            print(
                f"  {'case':<12} {'ours p50':>9} {'ours p95':>9} {'ours cold':>9} "
                f"{'naive p50':>10} {'naive p95':>10} {'ratio':>7} "
                f"{'own ours':>9} {'own naive':>10} {'ratio':>7}"
            )
            for case in (
                "first",
                "deep",
                "company",
                "custom",
                "search",
                "batch_video",
                "select_all",
            ):
                ours, naive = out[case], out[case + "_naive"]
                ratio = naive["p95"] / ours["p95"] if ours["p95"] else float("inf")
                own_ratio = naive["own"] / max(ours["own"], 0.01)
                print(
                    f"  {case:<12} {ours['p50']:9.1f} {ours['p95']:9.1f} {ours['cold']:9.1f} "
                    f"{naive['p50']:10.1f} "
                    f"{naive['p95']:10.1f} {ratio:7.1f}x "
                    f"{ours['own']:9.1f} {naive['own']:10.1f} {own_ratio:7.1f}x",
                    flush=True,
                )
                results[f"{tag}_{case}_p95_ms"] = round(ours["p95"], 1)
                results[f"{tag}_{case}_cold_ms"] = round(ours["cold"], 1)
                results[f"{tag}_{case}_naive_p95_ms"] = round(naive["p95"], 1)
                results[f"{tag}_{case}_ratio"] = round(ratio, 1)
                results[f"{tag}_{case}_own_p95_ms"] = round(ours["own"], 1)
                results[f"{tag}_{case}_own_naive_p95_ms"] = round(naive["own"], 1)
                results[f"{tag}_{case}_own_ratio"] = round(own_ratio, 1)
            # the figures so far (the last RESULT line printed is the whole run's)
            print("RESULT " + " ".join(f"{k}={v}" for k, v in results.items()), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
