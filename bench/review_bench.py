"""Measure the review API: filter + page requests over 100,000 pairs, through the whole Flask app (GET /api/pairs).

The database (SQLite by default, `--database URL` for PostgreSQL) gets 100 documents with
20 chunks each and 100,000 pairs whose answers cycle through the CMRC 2018 and SQuAD
answers of ../shared/data and whose questions join two of its questions (every tenth
pair copies the question five pairs back, so a tenth are duplicates), with every status,
verdict and score. Duplicates are flagged
once before timing (that first index build is reported on its own). Each request kind
then runs `--repeat` times through the app's test client (routing, validation, the
queries, JSON); the table gives the median and the slowest request per kind.

With `--export`, every pair is then exported from the database through GET /api/export in
four formats, the response read as it streams: pairs per second and the growth of the
process's peak RSS over its RSS before the export.

Run from the repository root: `cpulock -x python -m bench.review_bench` (options: --help).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
REQUESTS = [
    ("first page, no filter", "limit=50"),
    ("last page by offset", "limit=50&offset=99950"),
    ("keyset page after id 60000", "limit=50&after=60000"),
    ("status=new & grounded=false", "status=new&grounded=false&limit=50"),
    ("… page 200 of that", "status=new&grounded=false&limit=50&offset=10000"),
    ("document=37", "document=37&limit=50"),
    ("job=3 & status=accepted", "job=3&status=accepted&limit=50"),
    ("duplicate=true", "duplicate=true&limit=50"),
    ("score 4-5, sort -score", "score_min=4&score_max=5&sort=-score&limit=50"),
    ("unrated", "rated=unrated&limit=50"),
    ("text search q=river", "q=river&limit=50"),
    ("text search q=什么 & status=new", "q=%E4%BB%80%E4%B9%88&status=new&limit=50"),
    ("sort -support, page 100", "sort=-support&limit=50&offset=5000"),
    ("500 per page, filtered", "status=accepted&limit=500"),
]


def questions() -> list[tuple[str, str]]:
    out = []
    for name in ("cmrc2018_dev.json", "squad_dev_sample.json"):
        for article in json.loads((DATA / name).read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    out.append((qa["question"], qa["answers"][0]["text"]))
    return out


def seed(db, count: int) -> None:
    from sqlalchemy import insert

    from qa.store.models import Chunk, Document, Job, Pair, now

    corpus = questions()
    with db.write() as s:
        for d in range(100):
            document = Document(name=f"doc-{d}.txt", kind="txt", text="x" * 20_000, chars=20_000, pages=None,
                                warnings=[], chunk_size=1000, chunk_overlap=0, created_at=now())
            s.add(document)
            s.flush()
            s.execute(insert(Chunk), [{"document_id": document.id, "index": c, "start": 1000 * c,
                                       "end": 1000 * (c + 1), "text": "x" * 1000} for c in range(20)])
        for j in range(10):
            s.add(Job(kind="extract", document_id=j * 10 + 1, model="glm-4", status="done", created_at=now()))
    statuses, verdicts = ("new", "new", "accepted", "rejected"), ("grounded", "grounded", "unsupported", "unverifiable")
    rows = []
    stamp = now()
    n = len(corpus)
    for i in range(count):
        question, answer = corpus[i % n]
        if i % 10 == 9:  # a copy of the question five pairs back
            question = rows[-5]["question"] if len(rows) >= 5 else question
        else:  # two corpus questions that no other pair has together: unique, not near-duplicates
            question = f"{question} {corpus[(i % n + 1 + (i // n) * 97) % n][0]}"
        verdict = verdicts[i % 4]
        rows.append({"document_id": i % 100 + 1, "chunk_id": (i % 100) * 20 + i % 20 + 1, "job_id": i % 10 + 1,
                     "question": question, "answer": answer, "model": "glm-4", "created_at": stamp,
                     "verdict": verdict, "grounded": verdict == "grounded", "support": (i % 101) / 100,
                     "evidence": answer, "reasons": [], "status": statuses[(i // 3) % 4], "origin": "job",
                     "score": None if i % 5 == 0 else float(i % 5), "score_reason": "unrated: none" if i % 25 == 0
                     else None if i % 5 == 0 else "ok"})
        if len(rows) == 5000:
            with db.write() as s:
                s.execute(insert(Pair), rows)
            rows.clear()
    if rows:
        with db.write() as s:
            s.execute(insert(Pair), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a new SQLite file)")
    parser.add_argument("--export", action="store_true", help="also time GET /api/export of every pair")
    args = parser.parse_args()

    from qa.review import catch_up
    from qa.settings import Settings
    from qa.store import open_database
    from webapp import create_app

    folder = Path(tempfile.mkdtemp(prefix="review-bench-"))
    url = args.database or f"sqlite:///{folder / 'bench.sqlite'}"
    db = open_database(url)
    started = time.perf_counter()
    seed(db, args.pairs)
    seeded = time.perf_counter() - started
    config = Settings.model_validate({"models": {"m": {"backend": "openai", "base_url": "http://127.0.0.1:9/v1",
                                                       "api_key": "k", "model": "m"}}, "database_url": url})
    app = create_app({"TESTING": True, "QAPAIR_CONFIG": config, "INSTANCE": str(folder)})
    started = time.perf_counter()
    flagged = catch_up(app.extensions["qapair"].db, config.duplicate_threshold)
    indexed = time.perf_counter() - started
    client = app.test_client()
    print(f"{db.dialect}: {args.pairs:,} pairs seeded in {seeded:.1f} s; duplicates indexed in {indexed:.1f} s "
          f"({flagged:,} flagged)\n")
    print("| request | matching | median ms | slowest ms |\n| --- | ---: | ---: | ---: |")
    worst = 0.0
    for name, query in REQUESTS:
        times, total = [], None
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(f"/api/pairs?{query}")
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.data
            total = response.json["total"]
        worst = max(worst, max(times))
        print(f"| {name} (`{query}`) | {total:,} | {statistics.median(times):.0f} | {max(times):.0f} |")
    print(f"\nslowest request of all: {worst:.0f} ms (goal < 300 ms)")
    if args.export:
        export(client, args.pairs)


def export(client, count: int) -> None:
    """GET /api/export of every pair from the database, read as it streams: pairs/s and peak RSS growth."""
    from bench.memory import peak_mb, reset_peak, rss_mb

    print("\n| export from the database | bytes | seconds | pairs/s | peak RSS growth MiB |\n"
          "| --- | ---: | ---: | ---: | ---: |")
    for query in ("format=jsonl&provenance=true", "format=alpaca&with_input=true&zip=false", "format=csv",
                  "format=sharegpt"):
        before = rss_mb()
        reset_peak()
        started = time.perf_counter()
        response = client.get(f"/api/export?{query}", buffered=False)
        size = sum(len(chunk) for chunk in response.response)
        seconds = time.perf_counter() - started
        response.close()
        print(f"| `{query}` | {size:,} | {seconds:.1f} | {count / seconds:,.0f} | {peak_mb() - before:.0f} |")


if __name__ == "__main__":
    main()
