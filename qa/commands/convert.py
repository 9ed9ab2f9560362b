"""`python -m qa convert`: alpaca records to ChatGLM's context/target (or any export format), with or without the explanation format.

    python -m qa convert alpaca.json chatglm.jsonl                # context "Instruction: …\\nInput: …\\nAnswer: ", target
    python -m qa convert alpaca.json chatglm.jsonl --explain      # target " EXPLAIN: <explanation> CONCLUSION: <output>"

The input is alpaca JSON Lines or a JSON array (instruction, input, output, optional system;
an `explanation` or `evidence` field holds the reasoning for --explain). Records already in
the explanation format keep their explanation with --explain and give only their conclusion
without it. The records are written by qa/export's writers, so a converted file is the same
as an export of the same pairs.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

from llms.errors import LLMError
from qa.export import FORMATS, ExportOptions, ExportPair, write_export
from qa.export import shapes

_MARK = "CONCLUSION:"


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("convert", help="alpaca records to ChatGLM context/target (or another format)",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("source", help="alpaca file: JSON Lines or a JSON array")
    parser.add_argument("out", help="file to write")
    parser.add_argument("--to", choices=sorted(FORMATS), default="chatglm", help="output format (default chatglm)")
    parser.add_argument("--explain", action="store_true",
                        help="targets in the explanation format: \" EXPLAIN: <explanation> CONCLUSION: <output>\"")


def split_explained(output: str) -> tuple[str | None, str]:
    """(explanation, conclusion) of an output in the explanation format; (None, output) otherwise."""
    head, mark, tail = output.rpartition(_MARK)
    if not mark or "EXPLAIN:" not in head:
        return None, output
    return head.split("EXPLAIN:", 1)[1].strip(), tail.strip()


def to_pair(record: dict, explain: bool) -> ExportPair:
    """An alpaca record as the pair the export writers read; with `explain`, its answer in the explanation format."""
    for key in ("instruction", "output"):
        if not isinstance(record.get(key), str):
            raise ValueError(f"an alpaca record needs a text field {key!r}")
    explanation, answer = split_explained(record["output"])
    evidence = explanation if explanation is not None else str(record.get("explanation") or record.get("evidence") or "")
    pair: ExportPair = {"question": record["instruction"], "answer": answer, "chunk": str(record.get("input") or ""),
                        "evidence": evidence}
    if record.get("system"):
        pair["system"] = str(record["system"])
    if explain:  # the explain writer's own shaping of the answer
        pair["answer"] = shapes.explain(pair, ExportOptions())["output"]
    return pair


def read_alpaca(path: Path) -> Iterator[dict]:
    text = path.read_text(encoding="utf-8-sig")
    if text.lstrip().startswith("["):
        yield from json.loads(text)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: not valid JSON ({exc.msg})") from None


def run(args) -> int:
    source = Path(args.source)
    try:
        pairs = [to_pair(record, args.explain and args.to != "explain") for record in read_alpaca(source)]
        options = ExportOptions(with_input=True, system="" if any("system" in p for p in pairs) else None)
        written = write_export(pairs, args.to, args.out, options)
    except (OSError, ValueError, LLMError) as exc:
        print(f"error: {source}: {getattr(exc, 'message', None) or exc}", file=sys.stderr)
        return 2
    print(f"{len(pairs)} records written to {', '.join(map(str, written))}")
    return 0
