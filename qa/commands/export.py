"""`python -m qa export --format FMT --out PATH [filters] [--provenance]`: the dataset's pairs as a file, streamed.

The filters are the review page's (qa.review.PairFilter), so the command and
GET /api/export pick the same pairs. For the formats LLaMA-Factory reads, its
dataset_info.json entry is written (or merged) beside the file.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def add_parser(subparsers) -> None:
    from qa.export import FORMATS  # light: no database, no model

    p = subparsers.add_parser("export", help="Write the dataset's pairs in a training or evaluation format.",
                              description=__doc__.splitlines()[0])
    p.add_argument("--format", required=True, choices=list(FORMATS), help="the export format")
    p.add_argument("--out", required=True, type=Path, help="the file to write")
    p.add_argument("--config", help="config file (default: $QAPAIR_CONFIG or ./cfg.json when present)")
    p.add_argument("--database", help="SQLAlchemy URL (default: $DATABASE_URL, the config's, or the app's file)")
    p.add_argument("--provenance", action="store_true", help="each record also carries `source`")
    p.add_argument("--with-input", action="store_true", help="the chunk goes into the prompt (alpaca `input`)")
    p.add_argument("--system", help="a system prompt for every record (formats with a system slot)")
    p.add_argument("--dataset-name", help="the name in dataset_info.json (default: the file's stem)")
    filters = p.add_argument_group("filters (the review page's)")
    filters.add_argument("--status", choices=["new", "accepted", "rejected"])
    filters.add_argument("--document", type=int, help="document id")
    filters.add_argument("--job", type=int, help="job id")
    filters.add_argument("--grounded", choices=["true", "false", "grounded", "unsupported", "unverifiable"])
    filters.add_argument("--duplicate", choices=["true", "false"], help="only flagged duplicates, or none of them")
    filters.add_argument("--score-min", type=float)
    filters.add_argument("--score-max", type=float)
    filters.add_argument("--rated", choices=["rated", "unrated", "unjudged"])
    filters.add_argument("--origin", choices=["job", "ask"])
    filters.add_argument("--q", help="text in the question or answer")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from llms.errors import LLMError
    from qa.export import ExportOptions, write_export
    from qa.review import PairFilter, catch_up, export_pairs
    from qa.settings import load_settings
    from qa.store import open_database, resolve_url

    try:
        where = PairFilter(status=args.status, document=args.document, job=args.job, grounded=args.grounded,
                           duplicate=args.duplicate, score_min=args.score_min, score_max=args.score_max,
                           rated=args.rated, origin=args.origin, q=args.q)
        config = load_settings(args.config or os.environ.get("QAPAIR_CONFIG")
                               or ("cfg.json" if Path("cfg.json").is_file() else None))
        instance = os.environ.get("QAPAIR_INSTANCE", ROOT / "instance")
        db = open_database(args.database or resolve_url(config.database_url, config.prompts_db, instance))
    except (ValidationError, LLMError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if where.duplicate is not None:
            catch_up(db, config.duplicate_threshold)
        counted = [0]

        def pairs():
            with db.session() as session:
                for pair in export_pairs(session, where):
                    counted[0] += 1
                    yield pair

        options = ExportOptions(provenance=args.provenance, with_input=args.with_input, system=args.system)
        written = write_export(pairs(), args.format, args.out, options, dataset_name=args.dataset_name)
    except LLMError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    finally:
        db.close()
    print(f"{counted[0]} pairs -> {', '.join(str(p) for p in written)}", file=sys.stderr)
    return 0
