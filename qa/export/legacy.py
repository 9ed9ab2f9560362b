"""The chat page's JSON, JSON Lines and CSV texts of a few pairs, whole strings, kept for their callers.

Each pair is written with whatever of question, answer, grounded, support and evidence it
has; the CSV has those five columns and uses the streamed writers' spreadsheet-safe cells
and byte-order mark. New code streams with `qa.export.stream_export` instead.
"""

from __future__ import annotations

import json

from qa.export.streams import csv_rows

CSV_COLUMNS = ("question", "answer", "grounded", "support", "evidence")


def to_json(pairs: list[dict]) -> str:
    return json.dumps(pairs, ensure_ascii=False, indent=2)


def to_jsonl(pairs: list[dict]) -> str:
    return "".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in pairs)


def to_csv(pairs: list[dict]) -> str:
    rows = ([pair.get(column) for column in CSV_COLUMNS] for pair in pairs)
    return b"".join(csv_rows(CSV_COLUMNS, rows)).decode("utf-8")
