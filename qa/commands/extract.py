"""`python -m qa extract FILE...`: documents to pairs from the command line, as durable jobs that resume when run again."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path


def add_parser(sub) -> None:
    p = sub.add_parser("extract", help="extract question-answer pairs from documents",
                       description="Read each FILE (.txt, .md, .pdf, .docx), chunk it and extract pairs from every "
                                   "chunk with MODEL. The work is kept in a database (DATABASE_URL, else "
                                   "qapair.sqlite beside --out): run the same command again to resume. Exits 0 "
                                   "only when every chunk of every file is done.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--config", help="config file (see cfg.example.json)")
    p.add_argument("--model", required=True, help="model id from the config")
    p.add_argument("--prompt", help="system prompt: a file or a preset name (default: the model's preset)")
    p.add_argument("--max_tokens", type=int, help="most tokens per reply")
    p.add_argument("--temperature", type=float)
    p.add_argument("--concurrency", type=int, help="chunks in flight at once (default: job_concurrency)")
    p.add_argument("--chunk_size", type=int, help="largest chunk (characters; tokens for a local model)")
    p.add_argument("--chunk_overlap", type=int)
    p.add_argument("--out", required=True, help="file to write the pairs to")
    p.add_argument("--format", default="jsonl", help="export format (default jsonl)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from llms.cli import read_prompt
    from llms.errors import LLMError
    from llms.registry import Registry
    from qa.documents import ChunkSettings
    from qa.export import get_format, write_export
    from qa.ingest import ingest, model_measure
    from qa.jobs import Runner, queue
    from qa.settings import load_settings
    from qa.store import Job, open_database, resolve_url
    from qa.store.pairs import export_pairs

    try:
        get_format(args.format)
        config = load_settings(args.config)
        registry = Registry(config)
        model = registry.get(args.model)
        prompt = read_prompt(args.prompt)
        settings = ChunkSettings(size=args.chunk_size or config.chunk_size,
                                 overlap=config.chunk_overlap if args.chunk_overlap is None else args.chunk_overlap)
    except (LLMError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    max_tokens = args.max_tokens or config.max_tokens
    temperature = config.temperature if args.temperature is None else args.temperature
    db = open_database(resolve_url(config.database_url, None, out.resolve().parent))
    began = time.monotonic()
    job_ids: list[int] = []
    measure = limit = None
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 2
        key = hashlib.sha256(json.dumps([hashlib.sha256(data).hexdigest(), model.model_id, prompt, max_tokens,
                                         temperature, settings.size, settings.overlap]).encode()).hexdigest()
        with db.session() as s:
            earlier = next((job for job in s.scalars(select_jobs(Job, model.model_id))
                            if (job.options or {}).get("cli_key") == key), None)
        if earlier is not None:
            if earlier.status in ("failed", "cancelled", "paused"):
                queue.set_status(db, earlier.id, "resume" if earlier.status == "paused" else "retry")
            job_ids.append(earlier.id)
            continue
        if measure is None:
            measure, limit = model_measure(model, prompt=prompt or "", max_tokens=max_tokens)
        try:
            doc, _ = ingest(db, path.name, data=data, settings=settings, limits=config.document_limits(),
                            measure=measure, limit=limit)
        except LLMError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 2
        job = queue.create_job(db, document_id=doc.id, model=model.model_id,
                               prompt_name=Path(args.prompt).name if args.prompt else None, prompt_text=prompt,
                               max_tokens=max_tokens, temperature=temperature,
                               concurrency=args.concurrency or config.job_concurrency,
                               options={"cli_key": key, "file": str(path)})
        job_ids.append(job.id)

    runner = Runner(db, registry, config).start()
    try:
        counts = _watch(db, runner, job_ids, quiet=args.quiet)
    except KeyboardInterrupt:
        runner.stop()
        print("\ninterrupted: run the same command again to resume", file=sys.stderr)
        return 130
    runner.stop()
    written = write_export(export_pairs(db, job_ids=job_ids), args.format, out)
    failed = counts["failed"] + counts["pending"] + counts["running"]
    empty = f" ({counts['empty']} gave no pairs)" if counts["empty"] else ""
    print(f"chunks: {counts['done']} done{empty}, {failed} not done, of {counts['total']}; pairs: {counts['pairs']}; "
          f"time: {time.monotonic() - began:.1f} s; wrote {', '.join(map(str, written))}")
    for jid, item in queue.progress(db, job_ids).items():
        for error in item["errors"]:
            print(f"  job {jid} chunk {error['chunk']}: {error['error']}", file=sys.stderr)
    db.close()
    return 0 if failed == 0 else 1


def select_jobs(job, model_id: str):
    from sqlalchemy import select

    return select(job).where(job.kind == "extract", job.model == model_id).order_by(job.id)


def _watch(db, runner, job_ids: list[int], *, quiet: bool) -> dict:
    from tqdm import tqdm

    from qa.jobs import queue

    def totals() -> dict:
        sums: dict = {}
        for item in queue.progress(db, job_ids).values():
            for key in ("total", "done", "failed", "running", "pending", "pairs", "empty"):
                sums[key] = sums.get(key, 0) + item[key]
        return sums

    counts = totals()
    with tqdm(total=counts["total"], unit="chunk", disable=quiet, dynamic_ncols=True) as bar:
        bar.update(counts["done"] + counts["failed"])
        while True:
            runner.notify()
            jobs = [queue.get_job(db, jid) for jid in job_ids]
            counts = totals()
            bar.update(counts["done"] + counts["failed"] - bar.n)
            bar.set_postfix(pairs=counts["pairs"], failed=counts["failed"], refresh=False)
            if all(job.status not in queue.ACTIVE for job in jobs):
                return counts
            time.sleep(0.3)
