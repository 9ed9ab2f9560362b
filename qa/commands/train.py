"""`python -m qa train`: LoRA-train the local model on the dataset's pairs (the review filters: status, document, job, grounding, score, text).

    python -m qa train --config cfg.json --model chatglm --out runs/a [--status accepted] [--grounded-only]
                       [--document 3] [--min-score 4] [--with-input] [--epochs 3 --learning-rate 2e-4 --rank 8 ...]

The same run folder as `python -m llms.finetune` (state.json, checkpoints, adapter); run
the command again to resume it. Files of exported pairs go to `python -m llms.finetune --data`.
"""

from __future__ import annotations

import sys
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("train", help="LoRA-train the local model on the dataset's pairs",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None, help="config file (default: QAPAIR_CONFIG or ./cfg.json)")
    parser.add_argument("--instance", default="instance", help="the app's instance folder (its database)")
    parser.add_argument("--model", default="chatglm", help="a local model id of the config")
    parser.add_argument("--out", required=True, help="the run's folder")
    parser.add_argument("--status", default="accepted", choices=["accepted", "new", "rejected", "any"])
    parser.add_argument("--document", type=int, default=None, help="only pairs of this document id")
    parser.add_argument("--job", type=int, default=None, help="only pairs of this job id")
    parser.add_argument("--from-model", default=None, help="only pairs written by this model id")
    parser.add_argument("--grounded", default=None, choices=["true", "false", "grounded", "unsupported", "unverifiable"])
    parser.add_argument("--score-min", type=float, default=None, help="judge's rating at least this (0-5)")
    parser.add_argument("--q", default=None, help="text in the question or answer")
    parser.add_argument("--limit", type=int, default=10_000)
    parser.add_argument("--with-input", action="store_true", help="put each pair's source chunk in the prompt")
    parser.add_argument("--system", default=None, help="a system prompt for every example")
    from llms.finetune.__main__ import _add_settings_flags

    _add_settings_flags(parser)


def run(args) -> int:
    from llms.config import LocalModelConfig
    from llms.errors import LLMError
    from llms.finetune import TrainSettings, train
    from llms.finetune.data import DataError
    from llms.finetune.runs import RunBusyError
    from qa.settings import load_settings
    from qa.store import open_database, resolve_url
    from qa.training import PairFilters, store_pairs, to_examples

    try:
        config = load_settings(args.config)
        local = config.models.get(args.model)
        if not isinstance(local, LocalModelConfig):
            print(f"error: models.{args.model} is not a local model", file=sys.stderr)
            return 2
        settings = TrainSettings.model_validate(
            {k: getattr(args, k) for k in TrainSettings.model_fields if getattr(args, k, None) is not None})
        filters = PairFilters(status=None if args.status == "any" else args.status, document=args.document,
                              job=args.job, model=args.from_model, grounded=args.grounded,
                              score_min=args.score_min, q=args.q, limit=args.limit)
        examples = None
        if not (Path(args.out) / "state.json").is_file():  # a new run: read the pairs; a resume has its copy
            db = open_database(resolve_url(config.database_url, config.prompts_db, args.instance))
            examples = to_examples(store_pairs(db)(filters), args.with_input, args.system)
            print(f"{len(examples)} pairs match", file=sys.stderr)
        state = train(args.model, local, settings, args.out, examples,
                      progress=_printer(), source=f"dataset: {filters.model_dump_json(exclude_none=True)}")
    except (LLMError, DataError, ValueError, OSError, RunBusyError) as exc:
        print(f"error: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 2
    print(f"adapter written to {state['adapter']}" if state["status"] == "done" else f"run {state['status']}")
    return 0 if state["status"] == "done" else 3


def _printer():
    def progress(p: dict) -> None:
        every = max(1, p["total_steps"] // 20)
        if p["step"] % every == 0 or p["step"] == p["total_steps"]:
            print(f"step {p['step']}/{p['total_steps']} loss {p['loss']:.4f} ETA {p['eta_s']} s", flush=True)
    return progress
