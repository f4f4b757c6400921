"""``python -m leadreel.tasks worker ...``: a worker without the main CLI.

Tests and the benchmark start workers this way; ``--import-module`` registers handlers
declared outside the product (a test module) in the subprocess.
"""

from __future__ import annotations

import argparse
import logging
import sys

from leadreel.config import load_settings
from leadreel.tasks.registry import load_task_modules
from leadreel.tasks.worker import run_worker


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadreel.tasks")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("worker", help="run a worker until SIGTERM/SIGINT")
    w.add_argument("--database-url", default=None)
    w.add_argument("--concurrency", type=int, default=None)
    w.add_argument("--types", default="", help="comma-separated task types (default: all)")
    w.add_argument(
        "--import-module",
        action="append",
        default=[],
        help="module that registers task types (repeatable)",
    )
    w.add_argument("--heartbeat-interval", type=float, default=5.0)
    w.add_argument("--stale-after", type=float, default=30.0)
    w.add_argument("--grace-period", type=float, default=30.0)
    w.add_argument("--poll-interval", type=float, default=None)
    w.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s",
    )
    settings = load_settings({"database_url": args.database_url} if args.database_url else None)
    load_task_modules(args.import_module)
    options = {
        "heartbeat_interval": args.heartbeat_interval,
        "stale_after": args.stale_after,
        "grace_period": args.grace_period,
    }
    if args.poll_interval:
        options["poll_interval"] = args.poll_interval
    run_worker(
        settings,
        concurrency=args.concurrency,
        types=[t for t in args.types.split(",") if t] or None,
        **options,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
