"""Benchmark of the lead importer against its comparators, on SQLite and PostgreSQL.

What it measures (issue 4): importing a generated vendor-style file (Apollo-like,
13 columns) of 100,000 and 1,000,000 rows into a database that already holds
100,000 leads (so matching against the database is real work: 10% of the file's
people are already there, 3% of rows repeat a person inside the file), with

- ours:   `leadreel.services.importing.importer.import_file` (mapping proposal,
          normalising in a 2-process pool, chunked matching, Core bulk writes);
- naive:  a per-row ORM import with the same normaliser that queries for the
          company and the lead row by row and commits each row (run on a sample of
          2,000 rows, rows/s extrapolated); "naive_batched" is the same loop
          committing every 500 rows, reported too;
- raw:    the floor: executemany of the raw cells into companies and leads with
          the company dedupe in a dict, no mapping, no normalising, no lead dedupe.

Each measured import runs in its own child process so its peak RSS (and that of its
pool workers) is its own. Usage:

    python bench/import.py            # full run (several minutes)
    python bench/import.py --quick    # smaller run, under a minute
    python bench/import.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

The last line printed is `RESULT key=value ...`.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))
from import_comparators import app_session, run_naive, run_raw  # noqa: E402

DEFAULT_PG = os.environ.get(
    "LEADREEL_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
HEADERS = [
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Email",
    "Phone",
    "Mobile Phone",
    "Website",
    "Person Linkedin Url",
    "City",
    "State",
    "Country",
    "# Employees",
]
FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Mateo Priya Jonas Aoife Kwame "
    "Lucía Hiroshi Fatima Chloé Samuel Emma Noah Sofia Liam Amara Ethan Maya Omar Grace Lars "
    "Isabela Ryan Nadia Caleb Hannah Diego Zoe Victor Leah Anna-Lena José Tomás Ingrid Yusuf "
    "Mei Ravi Olga Pierre Giulia Sven Aisha Kenji Marta Felipe Elif Arjun Nora"
).split()
LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris "
    "Haddad Raman Becker McAllister Mensah Fernández Tanaka Lindqvist O'Brien Dubois Okafor "
    "Patel Rossi Nguyen Kowalski Goldberg Farouk Whitfield Johansson Costa MacLeod Petrova "
    "Brooks Schultz Morales Chen Almeida Friedman Novak Yilmaz Sato Ivanova Moreau Bianchi "
    "Andersen Kaur Silva Müller Dupont Romano Nakamura Horvat"
).split()
WORDS = (
    "Bright Pine Harbor Key Lake Summit North Crescent Ever Blue Iron Silver Maple Cobalt Sun "
    "Golden River Copper Tide Prairie Lumen Red Anchor Beacon Hill Oak Stone Cedar Willow Eagle "
    "Falcon Aspen Coral Delta Vista Alpine Metro Urban Prime"
).split()
KINDS = (
    "Heating & Air|Roofing|Dental|CPA|Fitness|Landscapes|Media|Logistics|Bakery|Auto Repair|"
    "Law|Realty|Software|Pet Clinic|Plumbing|Kitchen|Goods|Consulting|Studio|Labs"
).split("|")
TITLES = (
    "Owner|CEO|Founder|VP Sales|Marketing Manager|Office Manager|General Manager|"
    "Head of Growth|Operations Director|CTO"
).split("|")
PLACES = [
    ("Austin", "TX", "United States"),
    ("Denver", "CO", "United States"),
    ("Toronto", "ON", "Canada"),
    ("Lyon", "", "France"),
    ("Madrid", "", "Spain"),
    ("Sydney", "NSW", "Australia"),
    ("Chicago", "IL", "United States"),
    ("Berlin", "", "Germany"),
]


# ---- data --------------------------------------------------------------------------


def company(i: int) -> tuple[str, str]:
    second = WORDS[(i // len(WORDS)) % len(WORDS)].lower()
    name = f"{WORDS[i % len(WORDS)]}{second} {KINDS[i % len(KINDS)]}"
    slug = "".join(ch for ch in name.lower() if ch.isalnum())
    return name, f"{slug}{i}.com"


def person_row(p: int, rng: random.Random, companies: int) -> list[str]:
    """Person number `p` always gets the same name, company and email (so re-imports match)."""
    first, last = FIRST[p % len(FIRST)], LAST[(p // len(FIRST)) % len(LAST)]
    cname, domain = company((p * 7919) % companies)
    local = f"{first}.{last}{p}".lower().replace("'", "").replace(" ", "")
    local = local.encode("ascii", "ignore").decode()
    city, state, country = PLACES[p % len(PLACES)]
    website = rng.choice((f"http://www.{domain}", f"https://{domain}/", f"www.{domain}"))
    return [
        first,
        last,
        TITLES[p % len(TITLES)],
        cname,
        f"{local}@{domain}",
        f"+1 (512) 555-{rng.randint(0, 9999):04d}",
        f"+1 737 555 {rng.randint(0, 9999):04d}",
        website,
        f"https://www.linkedin.com/in/{local.replace('.', '-')}",
        city,
        state,
        country,
        str(5 + p % 400),
    ]


def generate(path: Path, rows: int, *, first_person: int, seed_people: int, seed: int) -> None:
    """Vendor-style CSV: 10% people already in the DB (0..seed_people), 3% in-file repeats."""
    rng = random.Random(seed)
    companies = max(rows // 5, 10)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(HEADERS)
        seen: list[int] = []
        for i in range(rows):
            roll = rng.random()
            if seed_people and roll < 0.10:
                p = rng.randrange(seed_people)
            elif seen and roll < 0.13:
                p = rng.choice(seen[-5000:])
            else:
                p = first_person + i
                seen.append(p)
            row = person_row(p, rng, companies)
            if roll >= 0.10 and roll < 0.13:
                row[4] = row[4].upper()  # same person, different email case
            out.writerow(row)


# ---- child: one measured run ---------------------------------------------------------


class TreeMemory:
    """Samples this process's resident memory plus its children's (the import's pool).

    Why not `ru_maxrss` for the children: a forked child's high-water mark starts at the
    parent's size before it execs, so it reports the parent's memory, not its own.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.peak_total_kb = 0
        self.child_peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)
        self._children = f"/proc/self/task/{os.getpid()}/children"

    def __enter__(self) -> TreeMemory:
        if os.path.exists(self._children):
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @staticmethod
    def _status(pid: str, key: str) -> int:
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self, interval: float) -> None:
        while not self._stop.wait(interval):
            try:
                with open(self._children) as fh:
                    pids = fh.read().split()
            except OSError:
                pids = []
            total = self._status("self", "VmRSS:")
            for pid in pids:
                total += self._status(pid, "VmRSS:")
                self.child_peak_kb = max(self.child_peak_kb, self._status(pid, "VmHWM:"))
            self.peak_total_kb = max(self.peak_total_kb, total)


def child(args: argparse.Namespace) -> None:
    spec = json.loads(args.child)
    runner = {"ours": run_ours, "seed": run_ours, "naive": run_naive, "raw": run_raw}
    with TreeMemory() as memory:
        start = time.perf_counter()
        result = runner[spec["kind"]](spec)
        result["seconds"] = time.perf_counter() - start - result.pop("setup_seconds", 0.0)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["rss_mb"] = usage.ru_maxrss / 1024
    result["pool_rss_mb"] = memory.child_peak_kb / 1024
    result["total_rss_mb"] = max(memory.peak_total_kb / 1024, result["rss_mb"])
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    result["pool_cpu_s"] = children.ru_utime + children.ru_stime
    print(json.dumps(result))


def run_ours(spec: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from leadreel.services.importing.importer import import_file

    settings, opened = app_session(spec["url"], spec["data_dir"])
    setup = time.perf_counter() - t0
    with opened as session:
        _batch, counts = import_file(
            session, settings, Path(spec["file"]), workers=spec.get("workers")
        )
    return {"setup_seconds": setup, "rows": counts["rows_read"], "counts": counts}


# ---- parent: orchestration ----------------------------------------------------------


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ, LEADREEL_DATA_DIR=spec["data_dir"])
    out = subprocess.run(
        [sys.executable, str(HERE), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{spec['kind']} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def pg_admin(url: str) -> Any:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return engine


class Backend:
    """Makes fresh copies of a database seeded with the 100k existing leads."""

    def __init__(self, name: str, work: Path, pg_url: str | None = None) -> None:
        self.name, self.work, self.pg_url = name, work, pg_url
        self.admin = pg_admin(pg_url) if pg_url else None
        self.tag = uuid.uuid4().hex[:8]
        self.created: list[str] = []

    def _pg(self, db: str) -> str:
        from sqlalchemy.engine import make_url

        assert self.pg_url
        return make_url(self.pg_url).set(database=db).render_as_string(hide_password=False)

    def seed(self, seed_file: Path) -> dict[str, Any]:
        from sqlalchemy import text

        if self.admin is None:
            url = f"sqlite:///{self.work / 'seed.db'}"
        else:
            name = f"bench_seed_{self.tag}"
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            self.created.append(name)
            url = self._pg(name)
        return measure(
            {
                "kind": "seed",
                "url": url,
                "file": str(seed_file),
                "data_dir": str(self.work / "data"),
            }
        )

    def fresh(self, label: str) -> str:
        from sqlalchemy import text

        if self.admin is None:
            target = self.work / f"{label}.db"
            shutil.copy(self.work / "seed.db", target)
            for suffix in ("-wal", "-shm"):
                src = self.work / f"seed.db{suffix}"
                if src.exists():
                    shutil.copy(src, self.work / f"{label}.db{suffix}")
            return f"sqlite:///{target}"
        name = f"bench_{label}_{self.tag}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "bench_seed_{self.tag}"'))
        self.created.append(name)
        return self._pg(name)

    def drop(self, url: str) -> None:
        from sqlalchemy import text

        if self.admin is None:
            Path(url.split("///", 1)[1]).unlink(missing_ok=True)
            return
        name = url.rsplit("/", 1)[1]
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.admin is not None:
            for name in self.created:
                self.drop(self._pg(name))
            self.admin.dispose()


def run(args: argparse.Namespace) -> None:
    seed_rows, sizes, naive_rows = (
        (5_000, [10_000], 200) if args.quick else (100_000, [100_000, 1_000_000], 2_000)
    )
    if args.sizes:
        sizes = [int(n) for n in args.sizes.split(",")]
    work = Path(args.workdir or tempfile.mkdtemp(prefix="leadreel-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    seed_file = work / "seed.csv"
    generate(seed_file, seed_rows, first_person=0, seed_people=0, seed=1)
    files = {}
    for n in sizes:
        files[n] = work / f"vendor_{n}.csv"
        generate(files[n], n, first_person=10_000_000, seed_people=seed_rows, seed=n)
    print(
        f"generated files in {time.perf_counter() - t:.1f}s "
        f"({files[sizes[-1]].stat().st_size / 1e6:.0f} MB largest)",
        flush=True,
    )
    backends = [Backend("sqlite", work / "sqlite")]
    (work / "sqlite").mkdir(exist_ok=True)
    if not args.no_pg:
        try:
            (work / "pg").mkdir(exist_ok=True)
            backends.append(Backend("pg", work / "pg", args.pg_url))
        except Exception as exc:  # no server: say so, keep going
            print(f"PostgreSQL skipped: {type(exc).__name__}: {exc}", flush=True)
    results: dict[str, Any] = {}
    try:
        for be in backends:
            seed = be.seed(seed_file)
            print(f"[{be.name}] seeded {seed['rows']} leads in {seed['seconds']:.1f}s", flush=True)
            for label, every in (("naive", 1), ("naive_batched", 500)):
                url = be.fresh(label)
                naive = measure(
                    {
                        "kind": "naive",
                        "url": url,
                        "file": str(files[sizes[0]]),
                        "limit": naive_rows,
                        "commit_every": every,
                        "data_dir": str(be.work / "data"),
                    }
                )
                be.drop(url)
                rps = naive["rows"] / naive["seconds"]
                print(
                    f"[{be.name}] {label}: {naive['rows']} rows in {naive['seconds']:.1f}s = "
                    f"{rps:,.0f} rows/s (extrapolated)",
                    flush=True,
                )
                results[f"{be.name}_{label}_rps"] = round(rps)
            naive_rps = results[f"{be.name}_naive_rps"]
            batched_rps = results[f"{be.name}_naive_batched_rps"]
            for n in sizes:
                for kind in ("ours", "raw"):
                    url = be.fresh(f"{kind}{n}")
                    r = measure(
                        {
                            "kind": kind,
                            "url": url,
                            "file": str(files[n]),
                            "data_dir": str(be.work / "data"),
                        }
                    )
                    be.drop(url)
                    rps = r["rows"] / r["seconds"]
                    label = f"{be.name}_{kind}_{n // 1000}k"
                    results[f"{label}_s"] = round(r["seconds"], 2)
                    results[f"{label}_rps"] = round(rps)
                    results[f"{label}_rss_mb"] = round(r["rss_mb"])
                    if kind == "ours":
                        results[f"{label}_pool_rss_mb"] = round(r["pool_rss_mb"])
                        results[f"{label}_total_rss_mb"] = round(r["total_rss_mb"])
                        results[f"{label}_cpu_s"] = round(r["cpu_s"], 1)
                        results[f"{label}_pool_cpu_s"] = round(r["pool_cpu_s"], 1)
                        c = r["counts"]
                        print(
                            f"[{be.name}] ours {n:,}: {r['seconds']:.1f}s {rps:,.0f} rows/s "
                            f"peak memory {r['total_rss_mb']:.0f} MB in all (importer "
                            f"{r['rss_mb']:.0f} MB, pool process {r['pool_rss_mb']:.0f} MB) "
                            f"cpu {r['cpu_s']:.0f}+{r['pool_cpu_s']:.0f} s "
                            f"created={c['leads_created']} matched={c['leads_matched']} "
                            f"merged={c['duplicates_merged']} companies={c['companies_total']}",
                            flush=True,
                        )
                    else:
                        print(
                            f"[{be.name}] raw  {n:,}: {r['seconds']:.1f}s {rps:,.0f} rows/s",
                            flush=True,
                        )
                ours, raw = (
                    results[f"{be.name}_ours_{n // 1000}k_rps"],
                    results[f"{be.name}_raw_{n // 1000}k_rps"],
                )
                results[f"{be.name}_{n // 1000}k_x_naive"] = round(ours / naive_rps, 1)
                results[f"{be.name}_{n // 1000}k_x_naive_batched"] = round(ours / batched_rps, 1)
                results[f"{be.name}_{n // 1000}k_raw_over_ours"] = round(raw / ours, 2)
    finally:
        for be in backends:
            be.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["cpus"] = os.cpu_count()
    results["python"] = platform.python_version()
    print(json.dumps(results, indent=1))
    print("RESULT " + " ".join(f"{k}={v}" for k, v in results.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k rows; ends within a minute")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL server URL")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--sizes", default="", help="file sizes to import, e.g. 100000,1000000")
    parser.add_argument("--workdir", default=None, help="keep files here instead of a temp dir")
    parser.add_argument("--keep", action="store_true", help="do not delete the work dir")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
