"""`python -m llms.finetune [train] | merge | eval`: LoRA training, merging and before/after evaluation from the shell.

    python -m llms.finetune --config cfg.json --model chatglm --data pairs.jsonl --out runs/a [--epochs 3 ...]
    python -m llms.finetune eval --config cfg.json --model chatglm --adapter runs/a/adapter
    python -m llms.finetune merge --config cfg.json --model chatglm --adapter runs/a/adapter --out merged/

Running train again with the same --out resumes the run from its newest checkpoint
(after Ctrl-C, which pauses at a checkpoint, or a crash). Exit status: 0 done, 1 failed,
2 bad arguments or config, 3 paused.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import typing
from pathlib import Path

from llms.config import LocalModelConfig, load_config
from llms.errors import ConfigError, LLMError
from llms.finetune.data import FORMATS, DataError, load_saved, read_examples
from llms.finetune.runs import RunBusyError
from llms.finetune.settings import TrainSettings


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainSettings field (--learning-rate, --rank, ...), default None = the setting's default."""
    for name, field in TrainSettings.model_fields.items():
        kind = field.annotation
        args = typing.get_args(kind)
        if kind is bool:
            parser.add_argument(f"--{name.replace('_', '-')}", action=argparse.BooleanOptionalAction, default=None)
            continue
        if name == "target_modules":
            parser.add_argument("--target-modules", type=lambda v: [m for m in v.split(",") if m], default=None,
                                help="comma-separated layer names (default: the GLM targets the model has)")
            continue
        convert = {int: int, float: float}.get(kind) or next((t for t in args if t in (int, float)), None) or str
        choices = None
        if typing.get_origin(kind) is typing.Literal:
            choices, convert = list(args), type(args[0])
        elif any(typing.get_origin(a) is typing.Literal for a in args):
            literal = next(a for a in args if typing.get_origin(a) is typing.Literal)
            choices, convert = list(typing.get_args(literal)), type(typing.get_args(literal)[0])
        parser.add_argument(f"--{name.replace('_', '-')}", type=convert, choices=choices, default=None,
                            help=f"{field.description or ''} (default {field.default})".strip())


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m llms.finetune", description=__doc__.splitlines()[0])
    sub = main.add_subparsers(dest="command", metavar="{train,eval,merge}")
    train = sub.add_parser("train", help="train a LoRA adapter (the default command)")
    for each in (train, sub.add_parser("eval", help="base vs adapter on held-out pairs"),
                 sub.add_parser("merge", help="merge an adapter into its base")):
        each.add_argument("--config", required=True, help="config file (see cfg.example.json)")
        each.add_argument("--model", default="chatglm", help="a local model id of the config")
        each.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None)
    train.add_argument("--data", default=None, help="pairs in an exported format (JSON Lines or a JSON array); "
                                                    "not needed to resume")
    train.add_argument("--format", choices=FORMATS, default=None, help="the data's format (default: detected)")
    train.add_argument("--out", required=True, help="the run's folder")
    train.add_argument("--settings", default=None, help="a JSON file of settings; flags override it")
    _add_settings_flags(train)
    evaluate, merge = sub.choices["eval"], sub.choices["merge"]
    evaluate.add_argument("--adapter", required=True, help="the adapter folder (RUN/adapter)")
    evaluate.add_argument("--data", default=None, help="held-out pairs (default: the run's data/eval.jsonl)")
    evaluate.add_argument("--limit", type=int, default=200, help="most pairs evaluated")
    evaluate.add_argument("--max-tokens", type=int, default=128)
    merge.add_argument("--adapter", required=True)
    merge.add_argument("--out", required=True, help="folder for the merged checkpoint")
    merge.add_argument("--dtype", choices=["bfloat16", "float32"], default="bfloat16")
    return main


def local_settings(args) -> LocalModelConfig:
    config = load_config(args.config)
    settings = config.models.get(args.model)
    if not isinstance(settings, LocalModelConfig):
        local = [k for k, v in config.models.items() if isinstance(v, LocalModelConfig)]
        raise ConfigError(f"{args.config}: models.{args.model} is not a local model (local ones: "
                          f"{', '.join(local) or 'none'})", param="model")
    return settings.model_copy(update={"device": args.device}) if args.device else settings


def run_train(args) -> int:
    from llms.finetune.trainer import Control, train

    raw = json.loads(Path(args.settings).read_text(encoding="utf-8")) if args.settings else {}
    raw.update({k: getattr(args, k) for k in TrainSettings.model_fields if getattr(args, k, None) is not None})
    settings = TrainSettings.model_validate(raw)
    examples = read_examples(args.data, args.format) if args.data else None
    control = Control()
    signal.signal(signal.SIGINT, lambda *_: control.request("pause"))
    shown = [0]

    def progress(p: dict) -> None:
        every = max(1, p["total_steps"] // 20)
        if p["step"] % every and p["step"] != p["total_steps"] or shown[0] == p["step"]:
            return
        shown[0] = p["step"]
        eval_loss = "-" if p["eval_loss"] is None else f"{p['eval_loss']:.4f}"
        print(f"step {p['step']}/{p['total_steps']} epoch {p['epoch']:.2f} loss {p['loss']:.4f} "
              f"eval_loss {eval_loss} {p['tokens_per_s']} tok/s ETA {p['eta_s']} s", flush=True)

    state = train(args.model, local_settings(args), settings, args.out, examples, progress=progress,
                  control=control, source=str(args.data or ""))
    if state["status"] == "paused":
        print(f"paused at step {state['step']}; run the same command to resume", file=sys.stderr)
        return 3
    print(f"adapter written to {state['adapter']} (loss curve: {Path(args.out) / 'loss_curve.json'})")
    return 0


def run_eval(args) -> int:
    from llms.finetune.evaluate import evaluate, table

    adapter = Path(args.adapter)
    data = Path(args.data) if args.data else adapter.parent / "data" / "eval.jsonl"
    examples = load_saved(data) if not args.data else read_examples(data)
    if not examples:
        raise DataError(f"{data}: no held-out pairs (train with --eval-share above 0, or pass --data)")
    results = evaluate(args.model, local_settings(args), adapter, examples[:args.limit], max_tokens=args.max_tokens)
    print(table(results))
    return 0


def run_merge(args) -> int:
    from llms.finetune.merge import merge

    out = merge(args.model, local_settings(args), args.adapter, args.out, args.dtype)
    print(f"merged checkpoint written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in ("train", "eval", "merge", "-h", "--help"):
        argv.insert(0, "train")
    args = parser().parse_args(argv)
    try:
        return {"train": run_train, "eval": run_eval, "merge": run_merge}[args.command](args)
    except (LLMError, DataError, ValueError, OSError, RunBusyError) as exc:
        print(f"error: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 2 if isinstance(exc, (ConfigError, DataError, ValueError)) else 1


if __name__ == "__main__":
    sys.exit(main())
