"""What every export reads: one QA pair with its provenance (`ExportPair`), the options of an export, the `source` object.

Storage, the chat page and tests all hand the writers plain dicts of this shape, so a
database row, a /ask result and a literal in a test are exported the same way.

Every field of `source` is always present and always of one type, because `datasets`
(like pyarrow) fixes each column's type from the first 10 MB of a JSON Lines file: a
score that is null for the first 30,000 pairs and a number later would make the file
unloadable. So an unknown text is "", unknown offsets are 0, and a measure that was not
taken (grounding not checked, pair not rated) is -1.0 with `grounded` false.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Required, TypedDict

NOT_MEASURED = -1.0
SOURCE_FIELDS = ("document", "chunk_start", "chunk_end", "model", "prompt", "grounded", "support", "score")


class ExportPair(TypedDict, total=False):
    """One QA pair as the writers read it; only question and answer are required."""
    question: Required[str]
    answer: Required[str]
    evidence: str  # the span of the chunk that supports the answer ("" when none)
    chunk: str  # the source chunk's text (for a pair from one pasted passage: the passage)
    document: str  # the document's name
    chunk_start: int  # where the chunk lies in its document (character offsets)
    chunk_end: int
    model: str  # the model that wrote the pair
    prompt: str  # the name of the prompt that asked for it
    grounded: bool | None  # the grounding verdict; None when not checked
    support: float | None  # the grounding support, 0..1
    score: float | None  # the judge's rating; None when not rated
    system: str  # a system prompt for this pair's training record (overrides ExportOptions.system)


@dataclass(frozen=True)
class ExportOptions:
    """How an export is shaped; the defaults give the bare format."""
    provenance: bool = False  # each record also carries `source`
    with_input: bool = False  # the chunk goes into the prompt: alpaca/explain `input`, chatglm "Input:", else after the question
    system: str | None = None  # when not None (even ""), records with a system slot carry it


def source(pair: ExportPair) -> dict:
    """The provenance object: document, chunk offsets, model, prompt name, grounded, support, score."""
    get = pair.get
    start = get("chunk_start")
    start = 0 if start is None else int(start)
    end = get("chunk_end")
    grounded = get("grounded")
    support = get("support")
    score = get("score")
    return {
        "document": get("document") or "",
        "chunk_start": start,
        "chunk_end": start + len(get("chunk") or "") if end is None else int(end),
        "model": get("model") or "",
        "prompt": get("prompt") or "",
        "grounded": grounded is True or bool(grounded),
        "support": NOT_MEASURED if grounded is None or support is None else float(support),
        "score": NOT_MEASURED if score is None else float(score),
    }


def prompt_with_input(pair: ExportPair, options: ExportOptions) -> str:
    """The question, followed on a new line by the chunk when the export asks for it (LLaMA-Factory joins
    alpaca's instruction and input the same way)."""
    chunk = options.with_input and pair.get("chunk")
    return f"{pair['question']}\n{chunk}" if chunk else pair["question"]


def input_of(pair: ExportPair, options: ExportOptions) -> str:
    """The chunk when the export asks for it, else ""."""
    return (pair.get("chunk") or "") if options.with_input else ""


def system_of(pair: ExportPair, options: ExportOptions) -> str | None:
    """The record's system prompt: None when the export has no system slot, else the pair's own or the export's."""
    if options.system is None:
        return None
    return pair.get("system") or options.system

