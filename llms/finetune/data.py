"""Training examples from files of every exported format, or from any iterable of records, and the train/eval split.

Each record becomes an `Example`: an optional system prompt, the user's text and the
answer the model should learn. Formats (the shapes qa/export writes):

| format | record |
| --- | --- |
| alpaca, explain | instruction, input, output, [system] (input joined to the instruction on a new line) |
| sharegpt | conversations [{from: human/gpt, value}], [system] |
| openai | messages [{role: system/user/assistant, content}] |
| chatglm | context, target |
| chatglm-ptuning | content, summary |
| jsonl / json | question, answer (qapair's plain export) |

A file is JSON Lines or one JSON array; its format is detected from the first record's
keys unless named. Multi-turn conversations train on their last assistant turn with the
earlier turns as history.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

FORMATS = ("alpaca", "explain", "sharegpt", "openai", "chatglm", "chatglm-ptuning", "jsonl")
_SHAREGPT_ROLES = {"human": "user", "user": "user", "gpt": "assistant", "assistant": "assistant",
                   "system": "system", "observation": "observation", "function_call": "assistant"}


class DataError(ValueError):
    """A training file or record that cannot be read; the message names the file, line and field."""


@dataclass
class Example:
    """One training example: the conversation before the answer, and the answer."""
    messages: list[dict]  # [{"role": "system"|"user"|"assistant", "content"}], ending with a user turn
    answer: str
    source: str = ""  # the passage the answer came from, when known (for the grounded share in eval)
    meta: dict = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return self.messages[-1]["content"]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, record: dict) -> "Example":
        return cls(record["messages"], record["answer"], record.get("source", ""), record.get("meta") or {})


def detect_format(record: dict) -> str:
    """The export format a record is in, judged by its keys."""
    keys = set(record)
    if "messages" in keys:
        return "openai"
    if "conversations" in keys:
        return "sharegpt"
    if {"instruction", "output"} <= keys:
        return "explain" if str(record.get("output", "")).lstrip().startswith("EXPLAIN:") else "alpaca"
    if {"context", "target"} <= keys:
        return "chatglm"
    if {"content", "summary"} <= keys:
        return "chatglm-ptuning"
    if {"question", "answer"} <= keys:
        return "jsonl"
    raise DataError(f"a record with keys {sorted(keys)} is in none of the formats {', '.join(FORMATS)}")


def to_example(record: dict, format: str | None = None) -> Example:
    """One record of `format` (detected when None) as an Example."""
    if not isinstance(record, dict):
        raise DataError(f"a record must be a JSON object, not {type(record).__name__}")
    format = format or detect_format(record)
    try:
        return _CONVERTERS[format](record)
    except KeyError as exc:
        raise DataError(f"a {format} record needs the field {exc.args[0]!r}") from None
    except (TypeError, AttributeError) as exc:
        raise DataError(f"a {format} record has a field of the wrong type ({exc})") from None


def _system(record: dict) -> list[dict]:
    system = record.get("system")
    return [{"role": "system", "content": str(system)}] if system else []


def _alpaca(record: dict) -> Example:
    text = record["instruction"] + (f"\n{record['input']}" if record.get("input") else "")
    return Example(_system(record) + [{"role": "user", "content": text}], record["output"],
                   source=record.get("input") or "")


def _turns(messages: list[dict], record: dict) -> Example:
    if not messages or messages[-1]["role"] != "assistant":
        raise DataError("a conversation must end with an assistant turn")
    history = messages[:-1]
    if not history or history[-1]["role"] not in ("user", "observation"):
        raise DataError("the last assistant turn must follow a user turn")
    return Example(history, messages[-1]["content"])


def _sharegpt(record: dict) -> Example:
    messages = [{"role": _SHAREGPT_ROLES[turn["from"]], "content": turn["value"]} for turn in record["conversations"]]
    return _turns(_system(record) + messages, record)


def _openai(record: dict) -> Example:
    return _turns([{"role": m["role"], "content": m["content"]} for m in record["messages"]], record)


def _chatglm(record: dict) -> Example:
    return Example([{"role": "user", "content": record["context"]}], record["target"])


def _ptuning(record: dict) -> Example:
    return Example([{"role": "user", "content": record["content"]}], record["summary"])


def _plain(record: dict) -> Example:
    return Example(_system(record) + [{"role": "user", "content": record["question"]}], record["answer"],
                   source=record.get("chunk") or "")


_CONVERTERS = {"alpaca": _alpaca, "explain": _alpaca, "sharegpt": _sharegpt, "openai": _openai,
               "chatglm": _chatglm, "chatglm-ptuning": _ptuning, "jsonl": _plain, "json": _plain}


def read_records(path: str | Path) -> Iterator[dict]:
    """The JSON records of a JSON Lines file or of a file holding one JSON array."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig") as file:
            head = file.read(1)
            while head.isspace():
                head = file.read(1)
            if head == "[":
                file.seek(0)
                records = json.load(file)
                yield from records
                return
            file.seek(0)
            for number, line in enumerate(file, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise DataError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc})") from None


def read_examples(path: str | Path, format: str | None = None) -> list[Example]:
    """Every example of a file; `format` is detected from the first record when None."""
    examples = []
    for number, record in enumerate(read_records(path), 1):
        try:
            format = format or detect_format(record)
            examples.append(to_example(record, format))
        except DataError as exc:
            raise DataError(f"{path}: record {number}: {exc}") from None
    if not examples:
        raise DataError(f"{path}: no records")
    return examples


def examples_from(records: Iterable[dict | Example], format: str | None = None) -> list[Example]:
    """Examples from an iterable of records (any format, or qapair's pair dicts) or of Examples."""
    out = []
    for number, record in enumerate(records, 1):
        if isinstance(record, Example):
            out.append(record)
            continue
        try:
            out.append(to_example(record, format))
        except DataError as exc:
            raise DataError(f"record {number}: {exc}") from None
    return out


def split(examples: list[Example], eval_share: float, seed: int, min_eval: int = 1) -> tuple[list, list]:
    """(train, eval): a seeded shuffle, `eval_share` of it held out (at least `min_eval` when there are 2 or more;
    none when eval_share is 0)."""
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    held = 0 if eval_share <= 0 or len(examples) < 2 else max(min_eval, round(len(examples) * eval_share))
    held = min(held, len(examples) - 1)
    return [examples[i] for i in order[held:]], [examples[i] for i in order[:held]]


def write_examples(examples: Iterable[Example], path: Path) -> int:
    """Write examples as JSON Lines (the run's own copy of its data); how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as file:
        for example in examples:
            file.write(json.dumps(example.to_json(), ensure_ascii=False) + "\n")
            count += 1
    return count


def load_saved(path: Path) -> list[Example]:
    return [Example.from_json(record) for record in read_records(path)]


def fingerprint(examples: Iterable[Example]) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps(example.to_json(), ensure_ascii=False, sort_keys=True).encode())
    return digest.hexdigest()[:16]
