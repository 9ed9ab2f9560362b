"""Measure qa.export: 500,000 pairs in every format from an in-memory generator, throughput and peak RSS growth.

The pairs cycle through the CMRC 2018 and SQuAD questions of ../shared/data (read in
place) with their first answer, the answer's sentence as evidence and the paragraph as
the chunk (about 500 characters), numbered so that no two are equal, with every
provenance field set. Each format runs in its own child process: the growth of the
child's peak RSS over its RSS just before the export (corpus loaded, modules imported)
is the export's memory; pairs per second is over the whole export, the generator
included, with the output consumed by a byte counter (`--to file` writes it to disk
instead, through write_export; `--zip` streams export_zip).

Run from the repository root: `python -m bench.export_bench` (options: --help).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from itertools import cycle, islice
from pathlib import Path

from bench.memory import peak_mb, reset_peak, rss_mb

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ("cmrc2018_dev.json", "squad_dev_sample.json")


def corpus(data: Path) -> list[tuple[str, str, str, str]]:
    """(question, answer, evidence sentence, paragraph) for every question of both corpora."""
    out = []
    for name in CORPORA:
        for article in json.loads((data / name).read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                context = paragraph["context"]
                for qa in paragraph["qas"]:
                    answer = qa["answers"][0]
                    start = answer["answer_start"]
                    left = max(context.rfind("。", 0, start), context.rfind(". ", 0, start)) + 1
                    right = min((i for i in (context.find("。", start), context.find(". ", start)) if i >= 0),
                                default=len(context))
                    out.append((qa["question"], answer["text"], context[left:right + 1].strip(), context))
    return out


def pairs(rows: list[tuple[str, str, str, str]], count: int):
    for i, (question, answer, evidence, chunk) in enumerate(islice(cycle(rows), count)):
        yield {"question": f"{question} ({i})", "answer": answer, "evidence": evidence, "chunk": chunk,
               "document": f"doc-{i % 997}.txt", "chunk_start": 1000 * (i % 50), "chunk_end": 1000 * (i % 50) + len(chunk),
               "model": "glm-4-9b-chat", "prompt": "qa-zh", "grounded": i % 3 != 0, "support": (i % 100) / 100,
               "score": None if i % 2 else 4.0}


def one(args) -> dict:
    """Run one export in this process and report it."""
    from qa.export import ExportOptions, export_zip, stream_export, write_export

    rows = corpus(args.data)
    options = ExportOptions(provenance=args.provenance, with_input=args.provenance)
    before = rss_mb()
    reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    size = 0
    if args.to == "file":
        with tempfile.TemporaryDirectory() as folder:
            for path in write_export(pairs(rows, args.pairs), args.one, Path(folder) / "export.out", options):
                size += path.stat().st_size
    else:
        chunks = (export_zip if args.zip else stream_export)(pairs(rows, args.pairs), args.one, options)
        for chunk in chunks:
            size += len(chunk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"format": args.one, "seconds": seconds, "cpu": cpu, "pairs_per_s": args.pairs / seconds,
            "mb_out": size / 2**20, "rss_before_mb": before, "peak_growth_mb": peak_mb() - before}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--pairs", type=int, default=500_000)
    parser.add_argument("--formats", default="all", help="comma-separated names, or all")
    parser.add_argument("--provenance", action="store_true", help="provenance and the chunk as input")
    parser.add_argument("--to", choices=("counter", "file"), default="counter")
    parser.add_argument("--zip", action="store_true", help="stream export_zip instead of the bare export")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args)))
        return 0
    from qa.export import FORMATS

    names = list(FORMATS) if args.formats == "all" else args.formats.split(",")
    print(f"{args.pairs} pairs, provenance {'on, chunk as input' if args.provenance else 'off'}, "
          f"output to {'zip ' if args.zip else ''}{args.to}")
    print("| format | seconds | CPU seconds | pairs/s | MB out | peak RSS growth MB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        command = [sys.executable, "-m", "bench.export_bench", "--one", name, "--pairs", str(args.pairs),
                   "--data", str(args.data), "--to", args.to] + ["--provenance"] * args.provenance + ["--zip"] * args.zip
        r = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout)
        print(f"| {name} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['pairs_per_s']:,.0f} | {r['mb_out']:.0f} "
              f"| {r['peak_growth_mb']:.1f} |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
