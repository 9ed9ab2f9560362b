"""`python -m qa worker`: a process that runs jobs from the shared database (PostgreSQL: start as many as you like)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("worker", help="run queued and running jobs from the database until stopped",
                       description="Claims chunks of running jobs (SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL) "
                                   "and extracts them. Set jobs_in_app: false in the web app's config when workers "
                                   "run the jobs. Stops cleanly on SIGINT/SIGTERM: chunks in flight go back.")
    p.add_argument("--config", help="config file (see cfg.example.json)")
    p.add_argument("--poll", type=float, default=1.0, help="seconds between looks for work when idle")


def run(args: argparse.Namespace) -> int:
    from qa.jobs import Runner
    from qa.settings import load_settings
    from qa.store import open_database, resolve_url
    from llms.registry import Registry

    config = load_settings(args.config)
    instance = os.environ.get("QAPAIR_INSTANCE", Path(__file__).resolve().parents[2] / "instance")
    db = open_database(resolve_url(config.database_url, config.prompts_db, instance))
    runner = Runner(db, Registry(config), config, poll=args.poll, stay=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"worker {runner.worker} on {db!r}", file=sys.stderr, flush=True)
    runner.start()
    while not stop.wait(0.5):
        pass
    runner.stop()
    db.close()
    return 0
