"""Benchmark of the task queue: throughput and pickup latency, against a naive poller.

    .venv/bin/python bench/tasks.py [--quick] [--pg-url URL] [--no-pg]

Runs from a clean checkout after the README's install. On PostgreSQL (a throwaway database
``leadreel_bench_<random>`` created from ``--pg-url``, dropped after) and on SQLite (a temp
file) it measures no-op tasks/s with 1, 2 and 4 real worker processes (``python -m
leadreel.tasks worker``), and pickup latency (commit of the enqueue -> claim) with idle
workers. The comparator, in the same run, is a naive poller: ``SELECT`` the first pending
row, then ``UPDATE`` it, no ``SKIP LOCKED`` and no status check, so concurrent pollers take
the same task. Every execution is recorded in ``bench_runs`` in the task's own finishing
transaction; double claims = executions beyond one per task (plus extra attempts).
The last line is ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from leadreel import migrate  # noqa: E402
from leadreel.db import make_engine  # noqa: E402
from leadreel.models import ProcessingTask as T  # noqa: E402
from leadreel.tasks import TaskContext, enqueue, task_type  # noqa: E402

meta = MetaData()
runs = Table(
    "bench_runs",
    meta,
    Column("id", Integer, primary_key=True),
    Column("task_id", Integer, nullable=False),
    Column("worker", String(100)),
)


_log_lock = threading.Lock()
_log_file: list[Any] = []


@task_type("bench_noop", priority=10)
def bench_noop(ctx: TaskContext) -> None:
    """A no-op that notes its execution in a per-process file (read back to count doubles)."""
    with _log_lock:
        if not _log_file:
            folder = Path(os.environ["LEADREEL_BENCH_RUNS"])
            _log_file.append(open(folder / f"{os.getpid()}.txt", "a", buffering=1))  # noqa: SIM115
        _log_file[0].write(f"{ctx.id}\n")


def utc() -> datetime:
    return datetime.now(UTC)


def seconds(a: datetime, b: datetime) -> float:
    a, b = (x if x.tzinfo else x.replace(tzinfo=UTC) for x in (a, b))
    return (b - a).total_seconds()


def reset(engine: Engine) -> None:
    """Empty the tables; TRUNCATE on PostgreSQL so one run's dead rows do not slow the next."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE bench_runs, processing_tasks, workers"))
        else:
            for table in ("bench_runs", "processing_tasks", "workers"):
                conn.execute(text(f"DELETE FROM {table}"))


def spawn_workers(
    url: str, n: int, concurrency: int, log: Path, runs_dir: Path
) -> list[subprocess.Popen[bytes]]:
    cmd = [
        sys.executable,
        "-m",
        "leadreel.tasks",
        "worker",
        "--database-url",
        url,
        "--concurrency",
        str(concurrency),
        "--types",
        "bench_noop",
        "--import-module",
        "bench.tasks",
        "--poll-interval",
        "0.05",
        "--log-level",
        "WARNING",
        "--grace-period",
        "5",
    ]
    env = {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "LEADREEL_BENCH_RUNS": str(runs_dir),
    }
    with open(log, "ab") as out:
        return [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out) for _ in range(n)]


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_registered(engine: Engine, n: int, procs: list[subprocess.Popen[bytes]]) -> None:
    end = time.monotonic() + 60
    while time.monotonic() < end:
        with engine.connect() as conn:
            if conn.scalar(text("SELECT count(*) FROM workers WHERE stopped_at IS NULL")) >= n:
                return
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a worker exited during start-up; see the bench log")
        time.sleep(0.05)
    raise SystemExit("workers did not register within 60 s")


def wait_drained(engine: Engine, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with engine.connect() as conn:
            # Two EXISTS on the partial indexes: a count would scan the table under the workers.
            busy = conn.scalar(
                text(
                    "SELECT EXISTS (SELECT 1 FROM processing_tasks WHERE status = 'pending') "
                    "OR EXISTS (SELECT 1 FROM processing_tasks WHERE status = 'running')"
                )
            )
            if not busy:
                return
        time.sleep(0.1)
    raise SystemExit("queue did not drain")


def bulk_enqueue(engine: Engine, n: int) -> datetime:
    """Insert ``n`` due tasks in one transaction (NOTIFY included); returns the commit time."""
    now = utc()
    rows = [
        {
            "type": "bench_noop",
            "payload": {},
            "status": "pending",
            "priority": 10,
            "attempts": 0,
            "max_attempts": 3,
            "run_after": now,
            "progress": 0.0,
            "errors": [],
            "result": {},
            "created_at": now,
        }
        for _ in range(n)
    ]
    with Session(engine) as session:
        session.execute(insert(T), rows)
        enqueue(session, "bench_noop", {})  # one through the API: its NOTIFY wakes the workers
        session.commit()
    return utc()


def double_claims(runs_dir: Path) -> tuple[int, int]:
    """(executions, executions beyond one per task) from the workers' files."""
    ids = [line for f in runs_dir.glob("*.txt") for line in f.read_text().split()]
    return len(ids), len(ids) - len(set(ids))


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes (Linux /proc; 0 elsewhere): less disturbed by neighbours."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def throughput(
    url: str, engine: Engine, workers: int, n: int, concurrency: int, log: Path
) -> dict[str, float]:
    reset(engine)
    with tempfile.TemporaryDirectory() as runs_dir:
        procs = spawn_workers(url, workers, concurrency, log, Path(runs_dir))
        try:
            wait_registered(engine, workers, procs)
            cpu_before = cpu_seconds([p.pid for p in procs])
            committed = bulk_enqueue(engine, n)
            wait_drained(engine)
            cpu = cpu_seconds([p.pid for p in procs]) - cpu_before
            with engine.connect() as conn:
                last = conn.scalar(select(func.max(T.finished_at)))
                done = conn.scalar(select(func.count()).where(T.status == "succeeded"))
                retried = conn.scalar(select(func.count()).where(T.attempts > 1))
        finally:
            stop(procs)
        executions, doubles = double_claims(Path(runs_dir))
    return {
        "rate": (n + 1) / seconds(committed, last),
        "done": done,
        "double": doubles + (retried or 0),
        "executions": executions,
        "cpu_ms": cpu / (n + 1) * 1000,
    }


def latency(url: str, engine: Engine, workers: int, samples: int, log: Path) -> dict[str, float]:
    reset(engine)
    runs_dir = tempfile.mkdtemp()
    procs = spawn_workers(url, workers, 1, log, Path(runs_dir))
    picks: list[float] = []
    try:
        wait_registered(engine, workers, procs)
        time.sleep(0.3)
        for _ in range(samples):
            with Session(engine) as session:
                task = enqueue(session, "bench_noop", {})
                session.flush()
                committed = utc()  # just before COMMIT: the latency includes the commit itself
                session.commit()
                task_id = task.id  # type: ignore[union-attr]
            while True:
                with engine.connect() as conn:
                    started = conn.scalar(select(T.started_at).where(T.id == task_id))
                if started is not None:
                    picks.append(seconds(committed, started) * 1000)
                    break
                time.sleep(0.002)
            time.sleep(0.03)
    finally:
        stop(procs)
    q = statistics.quantiles(picks, n=20)
    return {"p50": statistics.median(picks), "p95": q[18]}


def naive_worker(url: str, name: str, deadline: float) -> None:
    """The comparator: first pending row by SELECT, then UPDATE it; no lock, no status check."""
    engine = make_engine(url)
    while time.time() < deadline:
        try:
            with engine.begin() as conn:
                task_id = conn.scalar(
                    text(
                        "SELECT id FROM processing_tasks WHERE status = 'pending' "
                        "ORDER BY priority, id LIMIT 1"
                    )
                )
                if task_id is None:
                    break
                conn.execute(
                    text(
                        "UPDATE processing_tasks SET status = 'running', worker_id = :w, "
                        "attempts = attempts + 1, started_at = :now WHERE id = :id"
                    ),
                    {"w": name, "id": task_id, "now": utc()},
                )
            with engine.begin() as conn:
                conn.execute(insert(runs).values(task_id=task_id, worker=name))
                conn.execute(
                    text(
                        "UPDATE processing_tasks SET status = 'succeeded', "
                        "finished_at = :now WHERE id = :id"
                    ),
                    {"now": utc(), "id": task_id},
                )
        except Exception:  # noqa: BLE001 - SQLite "database is locked": a naive poller retries
            time.sleep(0.001)
    engine.dispose()


def naive(
    url: str, engine: Engine, workers: int, n: int, budget: float, log: Path
) -> dict[str, float]:
    """The naive pollers drain ``n`` tasks or each stop after ``budget`` seconds of work."""
    reset(engine)
    committed = bulk_enqueue(engine, n)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--naive-worker", url, str(budget)]
    with open(log, "ab") as out:
        procs = [
            subprocess.Popen([*cmd, f"naive-{i}"], stdout=out, stderr=out) for i in range(workers)
        ]
    for p in procs:
        p.wait(timeout=600)
    with engine.connect() as conn:
        last = conn.scalar(select(func.max(T.finished_at)))
        first = conn.scalar(select(func.min(T.started_at)))
        done = conn.scalar(select(func.count()).where(T.status == "succeeded"))
        executions = conn.scalar(select(func.count()).select_from(runs)) or 0
        distinct = conn.scalar(select(func.count(func.distinct(runs.c.task_id)))) or 0
    # Timed from its first claim: the pollers' start-up is not held against them.
    rate = done / seconds(first or committed, last) if done else 0.0
    return {"rate": rate, "done": done, "double": executions - distinct}


def prepare(url: str) -> Engine:
    migrate.upgrade(url)
    engine = make_engine(url)
    meta.create_all(engine)
    return engine


def bench_backend(label: str, url: str, sizes: dict[str, Any], log: Path) -> dict[str, Any]:
    engine = prepare(url)
    out: dict[str, Any] = {}
    try:
        for w in sizes["workers"]:
            r = throughput(url, engine, w, sizes["n"], sizes["concurrency"], log)
            out[f"{label}_w{w}_tps"] = round(r["rate"])
            out[f"{label}_w{w}_double"] = r["double"]
            out[f"{label}_w{w}_worker_cpu_ms"] = round(r["cpu_ms"], 3)
            print(
                f"{label}: {w} worker(s) x{sizes['concurrency']}: {r['rate']:.0f} tasks/s, "
                f"{r['done']} done, double claims {r['double']}, "
                f"worker CPU {r['cpu_ms']:.2f} ms/task",
                flush=True,
            )
        lat = latency(url, engine, sizes["lat_workers"], sizes["samples"], log)
        out[f"{label}_pickup_p50_ms"] = round(lat["p50"], 1)
        out[f"{label}_pickup_p95_ms"] = round(lat["p95"], 1)
        print(
            f"{label}: pickup latency p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms", flush=True
        )
        nv = naive(url, engine, 4, sizes["naive_n"], sizes["naive_budget"], log)
        out[f"{label}_naive_w4_tps"] = round(nv["rate"])
        out[f"{label}_naive_w4_double"] = nv["double"]
        out[f"{label}_ratio_vs_naive"] = round(out[f"{label}_w4_tps"] / max(nv["rate"], 1e-9), 2)
        print(
            f"{label}: naive poller, 4 workers: {nv['rate']:.0f} tasks/s, {nv['done']} done, "
            f"double claims {nv['double']}",
            flush=True,
        )
    finally:
        engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "LEADREEL_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--naive-worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive_worker:
        url, budget, name = args.naive_worker
        naive_worker(url, name, time.time() + float(budget))  # counted from its own start-up
        return
    q = args.quick
    pg_sizes = {
        "n": 2000 if q else 20000,
        "concurrency": 4,
        "lat_workers": 4,
        "samples": 15 if q else 300,
        "naive_n": 150 if q else 3000,
        "naive_budget": 5 if q else 60,
        "workers": (1, 4) if q else (1, 2, 4),
    }
    lite_sizes = {
        "n": 600 if q else 5000,
        "concurrency": 4,
        "lat_workers": 2,
        "samples": 15 if q else 200,
        "naive_n": 100 if q else 2000,
        "naive_budget": 5 if q else 60,
        "workers": (1, 4) if q else (1, 2, 4),
    }
    log = Path(tempfile.gettempdir()) / f"leadreel_bench_tasks_{os.getpid()}.log"
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; log: {log}",
        flush=True,
    )
    results: dict[str, Any] = {"mode": "quick" if q else "full"}
    if not args.no_pg:
        name = f"leadreel_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        except Exception as exc:  # noqa: BLE001 - no server: report it and bench SQLite
            print(f"PostgreSQL unavailable ({type(exc).__name__}); SQLite only", flush=True)
            results["pg"] = "unavailable"
            name = ""
        if name:
            url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
            try:
                results |= bench_backend("pg", url, pg_sizes, log)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        results |= bench_backend("sqlite", f"sqlite:///{tmp}/bench.db", lite_sizes, log)
    results["load_end"] = round(os.getloadavg()[0], 1)
    print("RESULT " + " ".join(f"{k}={v}" for k, v in results.items()), flush=True)


if __name__ == "__main__":
    main()
