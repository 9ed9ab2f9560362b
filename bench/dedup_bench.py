"""Measure qa.dedup on 100,000 questions: CMRC 2018 and SQuAD questions plus planted near-duplicates.

Every distinct question of both corpora (../shared/data, read in place) is an original;
perturbed copies of randomly chosen originals fill the set up to --size questions. A copy
gets one or two edits (even odds), each one of: a typo (a Chinese character replaced by
another from the corpus; an English letter dropped, doubled or swapped with the next),
punctuation (end mark changed, a mark inserted, or all marks dropped; English sometimes
upper-cased), a word order swap (two neighbouring words, jieba's words for Chinese), an
added particle or filler ("的", "呢", "请问"…; "please", "actually", "tell me"…).
The questions are shuffled and numbered, then `find_duplicates` runs over all of them,
timed, with the growth of the process's peak RSS over its RSS before the call.

Planted pair: an original and one of its copies. It counts as found when the index links
them: flagged as a pair, or equal after normalization (exact copies are matched to the
first question with their text), or their texts' first questions flagged as a pair.
Recall is over planted pairs; "reachable" is the share whose exact shingle Jaccard is at
least the threshold (the similarity's own ceiling), so recall / reachable is the LSH's.

False flag: a flagged pair whose questions come from two different originals, unless those
originals are themselves near-identical in the corpus: equal after normalization or within
a Levenshtein distance of 20 % of the longer normalized text ("Which NFL team represented
the AFC…" / "…the NFC…"). Reported as a share of flagged pairs, and as the share of all
questions that carry at least one false flag.

Run from the repository root: `python -m bench.dedup_bench` (options: --help). Seeded.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import jieba
from rapidfuzz.distance import Levenshtein

from bench.memory import peak_mb, reset_peak, rss_mb
from prompts.language import IS_CJK
from qa.dedup import DEFAULT_THRESHOLD, find_duplicates, jaccard, normalize

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {"zh": "cmrc2018_dev.json", "en": "squad_dev_sample.json"}
ZH_PARTICLES = ["的", "了", "呢", "吗", "啊", "呀", "请问", "一下", "到底", "究竟"]
EN_FILLERS = ["please", "exactly", "actually", "really", "just", "so", "then", "the", "in fact", "tell me"]
MARKS = {"zh": ["？", "?", "，", "。", "！", " ", "、", "…"], "en": ["?", ",", ".", "!", " ?", "...", ";", "'"]}
NEAR_IDENTICAL = 0.2  # Levenshtein distance over the longer normalized text


def originals(data: Path) -> list[tuple[str, str]]:
    """(language, question) for every distinct question of both corpora, in corpus order."""
    out, seen = [], set()
    for lang, name in CORPORA.items():
        for article in json.loads((data / name).read_text(encoding="utf-8"))["data"]:
            for paragraph in article["paragraphs"]:
                for qa in paragraph["qas"]:
                    question = qa["question"].strip()
                    if question and question not in seen:
                        seen.add(question)
                        out.append((lang, question))
    return out


def typo(q: str, rng: random.Random, lang: str, pool: list[str]) -> str:
    spots = [i for i, c in enumerate(q) if c.isalnum()]
    if not spots:
        return q
    i = rng.choice(spots)
    if lang == "zh":
        return q[:i] + rng.choice(pool) + q[i + 1:]
    kind = rng.randrange(3)
    if kind == 0 and i + 1 < len(q):
        return q[:i] + q[i + 1] + q[i] + q[i + 2:]
    return q[:i] + q[i + 1:] if kind == 1 else q[:i] + q[i] + q[i:]


def punctuation(q: str, rng: random.Random, lang: str) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return q.rstrip("？?。.!！") + rng.choice(MARKS[lang])
    if kind == 1:
        i = rng.randrange(len(q) + 1)
        return q[:i] + rng.choice(MARKS[lang]) + q[i:]
    if lang == "en" and rng.random() < 0.3:
        return q.upper()
    return re.sub(r"[？?，,。.！!]", "", q) or q


def swap(q: str, rng: random.Random, lang: str) -> str:
    words = list(jieba.cut(q)) if lang == "zh" else q.split(" ")
    spots = [i for i in range(len(words) - 1) if words[i].strip() and words[i + 1].strip()]
    if not spots:
        return q
    i = rng.choice(spots)
    words[i], words[i + 1] = words[i + 1], words[i]
    return ("" if lang == "zh" else " ").join(words)


def particle(q: str, rng: random.Random, lang: str) -> str:
    if lang == "zh":
        i = rng.randrange(len(q) + 1)
        return q[:i] + rng.choice(ZH_PARTICLES) + q[i:]
    words = q.split(" ")
    i = rng.randrange(len(words) + 1)
    return " ".join(words[:i] + [rng.choice(EN_FILLERS)] + words[i:])


def perturb(q: str, rng: random.Random, lang: str, pool: list[str], edits: int) -> str:
    for _ in range(edits):
        kind = rng.randrange(4)
        q = (typo(q, rng, lang, pool) if kind == 0 else punctuation(q, rng, lang) if kind == 1
             else swap(q, rng, lang) if kind == 2 else particle(q, rng, lang))
    return q


def build(data: Path, size: int, seed: int) -> tuple[list[str], list[int], list[int], list[tuple[str, str]]]:
    """Shuffled questions; for each, its original's index and its number of edits (0 for an original)."""
    rng = random.Random(seed)
    base = originals(data)
    pool = [c for lang, q in base if lang == "zh" for c in q if IS_CJK.match(c)]
    rows = [(q, i, 0) for i, (_, q) in enumerate(base)]
    while len(rows) < size:
        i = rng.randrange(len(base))
        edits = rng.choice((1, 2))
        rows.append((perturb(base[i][1], rng, base[i][0], pool, edits), i, edits))
    rng.shuffle(rows)
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], base


def near_identical(a: str, b: str) -> bool:
    a, b = normalize(a), normalize(b)
    return a == b or Levenshtein.distance(a, b) <= NEAR_IDENTICAL * max(len(a), len(b))


def evaluate(threshold: float, questions, group, edits, base) -> dict:
    before = rss_mb()
    reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    found = find_duplicates(enumerate(questions), threshold)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    grown_mb = peak_mb() - before
    flagged = {(max(a, b), min(a, b)) for a, b, _, _ in found}
    first_with_text: dict[str, int] = {}
    for i, q in enumerate(questions):
        first_with_text.setdefault(normalize(q), i)
    first = [first_with_text[normalize(q)] for q in questions]
    original_at = {g: i for i, (g, e) in enumerate(zip(group, edits)) if e == 0}

    def linked(a: int, b: int) -> bool:
        ra, rb = first[a], first[b]
        return ra == rb or (max(a, b), min(a, b)) in flagged or (max(ra, rb), min(ra, rb)) in flagged

    recall: Counter = Counter()
    for i, (g, e) in enumerate(zip(group, edits)):
        if e:
            lang, original = base[g]
            o = original_at[g]
            recall[lang, e, "planted"] += 1
            recall[lang, e, "found"] += linked(i, o)
            recall[lang, e, "reachable"] += jaccard(questions[i], original) >= threshold
    near_cache: dict[tuple[int, int], bool] = {}
    false_pairs, falsely_flagged = 0, set()
    for a, b in flagged:
        ga, gb = group[a], group[b]
        if ga == gb:
            continue
        key = (min(ga, gb), max(ga, gb))
        if key not in near_cache:
            near_cache[key] = near_identical(base[ga][1], base[gb][1])
        if not near_cache[key]:
            false_pairs += 1
            falsely_flagged.update((a, b))
    return {"threshold": threshold, "seconds": seconds, "cpu": cpu, "rss_mb": grown_mb, "pairs": len(found),
            "false_pairs": false_pairs, "falsely_flagged": len(falsely_flagged), "size": len(questions),
            "recall": recall}


def corpus_pairs(base, threshold: float, show: int) -> tuple[int, int]:
    """Pairs of distinct corpus questions at or above the threshold, and how many are near-identical."""
    found = list(find_duplicates(((i, q) for i, (_, q) in enumerate(base)), threshold))
    near = [near_identical(base[a][1], base[b][1]) for a, b, _, _ in found]
    for (a, b, similarity, _), is_near in list(zip(found, near))[:show]:
        print(f"  {similarity:.2f} {'near-identical' if is_near else 'different    '}  {base[b][1]}  |  {base[a][1]}")
    return len(found), sum(near)


def compare(questions: list[str], threshold: float) -> None:
    """The same questions through datasketch's MinHashLSH (a query and an insert per question) and through
    rapidfuzz's all-pairs cdist (on at most 10,000 of them: its time scales with the square), against
    find_duplicates."""
    import zlib

    import numpy as np
    from datasketch import MinHash, MinHashLSH
    from rapidfuzz import fuzz, process

    from qa.dedup import DEFAULT_NUM_PERM, lsh_params, shingles

    n = len(questions)
    start = time.perf_counter()
    find_duplicates(enumerate(questions), threshold)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    sketches = MinHash.bulk([sorted(shingles(q)) for q in questions], num_perm=DEFAULT_NUM_PERM,
                            hashfunc=lambda s: zlib.crc32(s.encode()))
    lsh = MinHashLSH(num_perm=DEFAULT_NUM_PERM, params=lsh_params(threshold, DEFAULT_NUM_PERM))
    for i, sketch in enumerate(sketches):
        lsh.query(sketch)
        lsh.insert(i, sketch, check_duplication=False)
    datasketch_lsh = time.perf_counter() - start
    normalized = [normalize(q) for q in questions[:10_000]]
    start = time.perf_counter()
    matrix = process.cdist(normalized, normalized, scorer=fuzz.ratio, score_cutoff=80, dtype=np.uint8, workers=-1)
    all_pairs = time.perf_counter() - start
    del matrix
    m = len(normalized)
    print(f"{n} questions: find_duplicates {ours:.1f} s; datasketch MinHash.bulk + MinHashLSH query/insert "
          f"{datasketch_lsh:.1f} s (candidates only, before any check); rapidfuzz cdist fuzz.ratio on {m}: "
          f"{all_pairs:.1f} s, about {all_pairs * (100_000 / m) ** 2 / 60:.0f} min for 100,000")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--thresholds", default=str(DEFAULT_THRESHOLD),
                        help="comma-separated thresholds, each a full run")
    parser.add_argument("--show", type=int, default=0, help="print this many corpus pairs above the threshold")
    parser.add_argument("--compare", type=int, default=0,
                        help="also time datasketch's MinHashLSH and rapidfuzz's cdist on this many questions")
    args = parser.parse_args(argv)
    jieba.setLogLevel(60)
    questions, group, edits, base = build(args.data, args.size, args.seed)
    if args.compare:
        compare(questions[:args.compare], float(args.thresholds.split(",")[0]))
        return 0
    planted = sum(1 for e in edits if e)
    print(f"{len(questions)} questions: {len(base)} originals ({sum(1 for l, _ in base if l == 'zh')} zh, "
          f"{sum(1 for l, _ in base if l == 'en')} en), {planted} planted copies")
    print("| threshold | seconds | CPU seconds | peak RSS growth MB | flagged pairs | recall zh 1 edit | zh 2 edits | en 1 edit "
          "| en 2 edits | recall all (reachable) | false flags (share of flagged pairs) | questions falsely "
          "flagged | distinct corpus pairs flagged (near-identical) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for threshold in (float(t) for t in args.thresholds.split(",")):
        r = evaluate(threshold, questions, group, edits, base)
        rc = r["recall"]
        cells = [f"{rc[lang, e, 'found'] / rc[lang, e, 'planted']:.3f}" for lang in ("zh", "en") for e in (1, 2)]
        found = sum(v for k, v in rc.items() if k[2] == "found")
        reachable = sum(v for k, v in rc.items() if k[2] == "reachable")
        pairs, near = corpus_pairs(base, threshold, args.show)
        print(f"| {threshold:.2f} | {r['seconds']:.1f} | {r['cpu']:.1f} | {r['rss_mb']:.0f} | {r['pairs']} | {' | '.join(cells)} "
              f"| {found / planted:.3f} ({reachable / planted:.3f}) "
              f"| {r['false_pairs']} ({r['false_pairs'] / max(r['pairs'], 1):.2%}) "
              f"| {r['falsely_flagged']} ({r['falsely_flagged'] / r['size']:.2%}) | {pairs} ({near}) |")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
