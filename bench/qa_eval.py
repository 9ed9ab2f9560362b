"""Measure the reply parser and the grounding check on human QA pairs from ../shared/data.

Parser: each paragraph's human pairs (questions deduplicated, first answer) are
rendered as a perfect model reply in every shape `qa.parse` reads, some with a
preamble or a closing remark, then parsed back; a pair counts as recovered when
question and answer both match exactly after trimming. The truncated-JSON shape
cuts the reply inside the last answer, so only the pairs before it are expected.

Grounding: supported answers are the human answers against their own paragraph,
verbatim and lightly rephrased by templates (the question turned into a statement,
"It was …", a final "。", list items swapped); unsupported ones are answers from
other paragraphs and answers with a number, date or name changed (names found by
capitals in English and by jieba's part-of-speech tags in Chinese). Answers to another
question of the same paragraph are reported too, for information: they are in
the source, so text matching alone cannot flag them.

Run from the repository root: `python -m bench.qa_eval` (options: --help).
Everything is seeded: the same data gives the same table.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path

import jieba

from bench.qa_eval_grounding import eval_grounding, flagged_rate, grounding_cases, grounding_speed, verdict_rate
from qa.grounding import ground
from qa.parse import parse_reply

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {"zh": "cmrc2018_dev.json", "en": "squad_dev_sample.json"}
PREAMBLES = {
    "en": ["Here are the question-answer pairs based on the text:", "Sure! Here are some questions and answers:",
           "Certainly. Based on the passage, I wrote the following pairs.", "Below are questions about the text."],
    "zh": ["好的，以下是根据文本生成的问答对：", "以下是问答对：", "根据您提供的文本，我生成了以下问题和答案。",
           "当然可以！"],
}
CLOSINGS = {
    "en": ["Let me know if you'd like more questions!", "I hope these questions help you review the text.",
           "These questions cover the main facts of the passage.", "Feel free to ask for a different format.",
           "Note: All answers are taken directly from the text.", "If you need more pairs, just tell me.",
           "Would you like me to create more questions?", "Good luck with your studies!"],
    "zh": ["希望这些问题对你有帮助！", "以上问答对均根据原文生成。", "如需更多问题，请告诉我。",
           "如果你还需要其他形式的问题，请随时告诉我。", "注：所有答案均直接摘自原文。",
           "这些问题涵盖了文本的主要信息。", "需要我再生成一些问题吗？"],
}
CHINESE_NUMERALS = "零一二三四五六七八九"


def load(data: Path, lang: str) -> list[dict]:
    """[{"context", "pairs": [(question, answer)]}] for one corpus."""
    raw = json.loads((data / CORPORA[lang]).read_text(encoding="utf-8"))
    paragraphs = []
    for article in raw["data"]:
        for paragraph in article["paragraphs"]:
            seen, pairs, starts = set(), [], {}
            for qa in paragraph["qas"]:
                question, answer = qa["question"].strip(), qa["answers"][0]["text"].strip() if qa["answers"] else ""
                if question and answer and question not in seen:
                    seen.add(question)
                    pairs.append((question, answer))
                    starts[question] = qa["answers"][0].get("answer_start", -1)
            if pairs:
                paragraphs.append({"context": paragraph["context"], "pairs": pairs, "starts": starts})
    return paragraphs


def chinese_number(n: int) -> str:
    if n < 10:
        return CHINESE_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (CHINESE_NUMERALS[tens] if tens > 1 else "") + "十" + (CHINESE_NUMERALS[ones] if ones else "")


# -- reply shapes: each renders [(question, answer)] as a perfect model reply --------------

def _lines(template: str, pairs, rng, number=str) -> str:
    gap = rng.choice(["\n", "\n\n"])
    return gap.join(template.format(n=number(n), q=q, a=a) for n, (q, a) in enumerate(pairs, 1))


def _mixed_chinese(pairs, rng) -> str:
    blocks = []
    for n, (q, a) in enumerate(pairs, 1):
        label = [rng.choice([str(n), chinese_number(n)]) for _ in range(2)]
        colon = [rng.choice([":", "：", "： ", ": "]) for _ in range(2)]
        blocks.append(f"问题{label[0]}{colon[0]}{q}\n答案{label[1]}{colon[1]}{a}")
    return "\n".join(blocks)


def _table(pairs, rng, header, numbered) -> str:
    def cell(text):
        return text.replace("|", "\\|")
    rows = [f"| {'# | ' if numbered else ''}{header[0]} | {header[1]} |",
            f"|{'---|' if numbered else ''}---|---|"]
    rows += [f"| {f'{n} | ' if numbered else ''}{cell(q)} | {cell(a)} |" for n, (q, a) in enumerate(pairs, 1)]
    return "\n".join(rows)


JSON_KEYS = [("question", "answer"), ("q", "a"), ("问题", "答案"), ("instruction", "output"), ("input", "output")]


def _json_objects(pairs, rng, indent):
    keys = rng.choice(JSON_KEYS)
    return json.dumps([{keys[0]: q, keys[1]: a} for q, a in pairs], ensure_ascii=False, indent=indent)


def _sloppy_json(pairs, rng) -> str:
    """Smart quotes, unescaped quotes inside strings and trailing commas, as models write them."""
    quote = rng.choice([('"', '"'), ("“", "”")])
    keys = rng.choice(JSON_KEYS)

    def string(text):
        return f"{quote[0]}{text}{quote[1]}"
    objects = [f"  {{{string(keys[0])}: {string(q)}, {string(keys[1])}: {string(a)},}}," for q, a in pairs]
    return "[\n" + "\n".join(objects) + "\n]"


def _truncated_json(pairs, rng) -> str:
    text = json.dumps([{"question": q, "answer": a} for q, a in pairs], ensure_ascii=False, indent=2)
    answer_at = text.rindex('"answer": "') + len('"answer": "')
    return text[:answer_at + rng.randrange(len(json.dumps(pairs[-1][1], ensure_ascii=False)) - 1)]


def _multiline(pairs, rng, context):
    """Answers of two paragraphs or with a bullet list: the answer, then the sentence it came from."""
    blocks, expected = [], []
    for n, (q, a) in enumerate(pairs, 1):
        sentence = next((s.strip() for s in re.split(r"(?<=[.!?])\s+|(?<=[。！？])", context) if a in s), a)
        answer = a + rng.choice([f"\n\n{sentence}", f"\n- {sentence}\n- ({len(a)} chars)"])
        blocks.append(f"Question {n}: {q}\nAnswer {n}: {answer}")
        expected.append((q, answer))
    return "\n\n".join(blocks), expected


def _as_is(render):
    """A renderer whose reply holds the pairs unchanged."""
    return lambda pairs, rng, context: (render(pairs, rng, context), pairs)


SHAPES = {
    "Question N: / Answer N:": _as_is(lambda p, r, c: _lines("Question {n}: {q}\nAnswer {n}: {a}", p, r)),
    "问题一： / 答案一：": _as_is(lambda p, r, c: _lines("问题{n}：{q}\n答案{n}：{a}", p, r, chinese_number)),
    "问题1： mixed numerals and colons": _as_is(lambda p, r, c: _mixed_chinese(p, r)),
    "Q1: / A1:": _as_is(lambda p, r, c: _lines("Q{n}: {q}\nA{n}: {a}", p, r)),
    "Q: / A:": _as_is(lambda p, r, c: _lines("Q: {q}\nA: {a}", p, r)),
    "问： / 答：": _as_is(lambda p, r, c: _lines("问：{q}\n答：{a}", p, r)),
    "**Question N:** bold": _as_is(lambda p, r, c: _lines("**Question {n}:** {q}\n**Answer {n}:** {a}", p, r)),
    "**Q:** bold": _as_is(lambda p, r, c: _lines("**Q:** {q}\n**A:** {a}", p, r)),
    "**问题N**： bold": _as_is(lambda p, r, c: _lines("**问题{n}**：{q}\n**答案{n}**：{a}", p, r)),
    "1. Question: / Answer: list": _as_is(lambda p, r, c: _lines("{n}. Question: {q}\n   Answer: {a}", p, r)),
    "1. **问题**： / - **答案**： list": _as_is(lambda p, r, c: _lines("{n}. **问题**：{q}\n   - **答案**：{a}", p, r)),
    "### Question N headings": _as_is(lambda p, r, c: _lines("### Question {n}\n{q}\n\n### Answer {n}\n{a}", p, r)),
    "table: # / Question / Answer columns": _as_is(lambda p, r, c: _table(p, r, ("Question", "Answer"), True)),
    "table: 问题 / 答案 columns": _as_is(lambda p, r, c: _table(p, r, ("问题", "答案"), False)),
    "JSON fenced": _as_is(lambda p, r, c: "```json\n" + _json_objects(p, r, 2) + "\n```"),
    "JSON bare": _as_is(lambda p, r, c: _json_objects(p, r, None)),
    "JSON sloppy (smart quotes, raw quotes, trailing commas)": _as_is(lambda p, r, c: _sloppy_json(p, r)),
    "JSON truncated mid-answer": lambda p, r, c: (_truncated_json(p, r), p[:-1]),
    "pairs on one line (Question N: … Answer N: …)": _as_is(
        lambda p, r, c: _lines("Question {n}: {q} Answer {n}: {a}", p, r)),
    "--- separators": _as_is(lambda p, r, c: "\n\n---\n\n".join(f"Q: {q}\nA: {a}" for q, a in p)),
    "multi-line answers": lambda p, r, c: _multiline(p, r, c),
}


def render(shape: str, paragraph: dict, lang: str, seed: str) -> tuple[str, list[tuple[str, str]]]:
    """The reply text and the pairs a perfect parser gives back."""
    rng = random.Random(seed)
    reply, expected = SHAPES[shape](paragraph["pairs"], rng, paragraph["context"])
    if rng.random() < 0.5:
        reply = rng.choice(PREAMBLES[lang]) + rng.choice(["\n", "\n\n"]) + reply
    if rng.random() < 0.5 and not shape.startswith("JSON truncated"):
        reply = reply + rng.choice(["\n", "\n\n"]) + rng.choice(CLOSINGS[lang])
    return reply, expected


def eval_parser(corpora: dict[str, list[dict]]) -> list[tuple[str, str, int, int, int, int]]:
    rows = []
    for shape in SHAPES:
        for lang, paragraphs in corpora.items():
            expected_total = found_total = matched_total = failures = 0
            for index, paragraph in enumerate(paragraphs):
                if shape.startswith("JSON truncated") and len(paragraph["pairs"]) < 2:
                    continue
                reply, expected = render(shape, paragraph, lang, f"{lang}:{index}:{shape}")
                got = [(p["question"], p["answer"]) for p in parse_reply(reply).pairs]
                matched = sum((Counter(expected) & Counter(got)).values())
                expected_total, found_total, matched_total = (expected_total + len(expected),
                                                               found_total + len(got), matched_total + matched)
                failures += matched != len(expected) or matched != len(got)
            rows.append((shape, lang, expected_total, found_total, matched_total, failures))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="folder with the corpora")
    parser.add_argument("--zh-paragraphs", type=int, default=0,
                        help="use every k-th Chinese paragraph only (0 = all)")
    parser.add_argument("--threshold", type=float, default=0.6, help="grounding threshold to report")
    parser.add_argument("--sweep", default="0.3,0.4,0.5,0.6,0.7,0.8,0.9", help="thresholds for the sweep table")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--show-failures", type=int, default=0, help="print up to N failing parses per shape")
    parser.add_argument("--show-grounding", default="", metavar="CATEGORY:N",
                        help="print N wrong verdicts of the grounding cases whose name starts with CATEGORY")
    parser.add_argument("--speed", type=int, default=0, metavar="PAIRS",
                        help="also time grounding PAIRS mixed answers against their chunks (5 runs)")
    parser.add_argument("--no-parser", action="store_true", help="skip the parser table")
    args = parser.parse_args(argv)
    jieba.setLogLevel(logging.WARNING)
    data = Path(args.data)
    if not data.is_dir():
        print(f"no data folder at {data}", file=sys.stderr)
        return 2
    corpora = {lang: load(data, lang) for lang in CORPORA}
    if args.zh_paragraphs:
        corpora["zh"] = corpora["zh"][::args.zh_paragraphs]
    for lang, paragraphs in corpora.items():
        print(f"{lang}: {len(paragraphs)} paragraphs, {sum(len(p['pairs']) for p in paragraphs)} pairs")

    started = time.perf_counter()
    rows = [] if args.no_parser else eval_parser(corpora)
    if not args.no_parser:
        print(f"\nParser ({time.perf_counter() - started:.1f} s)\n")
        print("| shape | lang | expected pairs | parsed pairs | recall | precision | replies not exact |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for shape, lang, expected, found, matched, failures in rows:
        print(f"| {shape} | {lang} | {expected} | {found} | {matched / max(expected, 1):.4f} "
              f"| {matched / max(found, 1):.4f} | {failures} |")
    if args.show_failures:
        _show_failures(corpora, args.show_failures)

    thresholds = sorted({args.threshold, *(float(t) for t in args.sweep.split(","))})
    started = time.perf_counter()
    results, per_pair = eval_grounding(corpora, args.seed)
    print(f"\nGrounding at threshold {args.threshold} ({time.perf_counter() - started:.1f} s, "
          f"{per_pair:.2f} ms per pair)\n")
    print("| case | lang | answers | not grounded | of which unverifiable |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (category, lang), verdicts in results.items():
        print(f"| {category} | {lang} | {len(verdicts)} | {flagged_rate(verdicts, args.threshold):.4f} "
              f"| {verdict_rate(verdicts, 'unverifiable'):.4f} |")
    print("\nGoals, both languages pooled\n")
    print("| goal | answers | rate | target |")
    print("| --- | ---: | ---: | --- |")
    for label, prefix, target in (("supported answers flagged (false alarms)", "supported:", "≤ 0.02"),
                                  ("unsupported answers flagged", "unsupported:", "≥ 0.97"),
                                  ("other question's answer flagged", "other question", "≥ 0.6"),
                                  ("short answers not called grounded", "short:", "—")):
        pooled = [v for (c, _), by_lang in results.items() if c.startswith(prefix) for v in by_lang]
        print(f"| {label} | {len(pooled)} | {flagged_rate(pooled, args.threshold):.4f} | {target} |")
    print("\nFlagged rate by threshold, both languages (supported: lower is better; the others: higher)\n")
    print("| case | " + " | ".join(str(t) for t in thresholds) + " |")
    print("| --- |" + " ---: |" * len(thresholds))
    for category in dict.fromkeys(category for category, _ in results):
        verdicts = [v for (c, _), by_lang in results.items() if c == category for v in by_lang]
        print(f"| {category} | " + " | ".join(f"{flagged_rate(verdicts, t):.4f}" for t in thresholds) + " |")
    if args.speed:
        runs = [grounding_speed(corpora, args.speed, seed) for seed in range(5)]
        pairs, chunks, _ = runs[0]
        times = sorted(seconds for _, _, seconds in runs)
        print(f"\nGrounding {pairs} pairs against their {chunks} chunks: median {times[2]:.3f} s, "
              f"best {times[0]:.3f} s, worst {times[-1]:.3f} s (5 runs)")
    if args.show_grounding:
        _show_grounding(corpora, args.show_grounding, args.threshold, args.seed)
    return 0


def _show_failures(corpora, limit: int) -> None:
    for shape in SHAPES:
        shown = 0
        for lang, paragraphs in corpora.items():
            for index, paragraph in enumerate(paragraphs):
                if shown >= limit or (shape.startswith("JSON truncated") and len(paragraph["pairs"]) < 2):
                    continue
                reply, expected = render(shape, paragraph, lang, f"{lang}:{index}:{shape}")
                got = [(p["question"], p["answer"]) for p in parse_reply(reply).pairs]
                if Counter(got) != Counter(expected):
                    shown += 1
                    print(f"\n--- {shape} [{lang} #{index}]\n{reply}\n>>> missing: "
                          f"{list((Counter(expected) - Counter(got)).elements())}\n>>> extra: "
                          f"{list((Counter(got) - Counter(expected)).elements())}")


def _show_grounding(corpora, spec: str, threshold: float, seed: int) -> None:
    category, _, count = spec.rpartition(":")
    supported = category.startswith("supported")
    for lang, paragraphs in corpora.items():
        shown = 0
        for name, cases in grounding_cases(paragraphs, lang, seed).items():
            if not name.startswith(category):
                continue
            for index, question, answer in cases:
                [result] = ground([{"question": question, "answer": answer}], paragraphs[index]["context"], threshold)
                if result["grounded"] == supported or shown >= int(count or 5):
                    continue
                shown += 1
                print(f"\n--- {name} [{lang} #{index}] {result['verdict']} {result['support']}\nQ: {question}\nA: {answer}"
                      f"\nevidence: {result['evidence']}\nreasons: {[r['message'] for r in result['reasons']]}")


if __name__ == "__main__":
    sys.exit(main())
