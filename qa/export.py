"""Write QA pairs as JSON, JSON Lines or CSV text for download.

Each pair is written with whatever of question, answer, grounded, support and
evidence it has. The CSV always has those five columns, is quoted where needed,
starts with a byte-order mark so spreadsheet programs read Chinese as UTF-8, and
puts an apostrophe before any cell that starts with = + - @ (or a tab or carriage
return), so that a spreadsheet shows the text instead of running it as a formula.
"""

from __future__ import annotations

import csv
import io
import json

CSV_COLUMNS = ("question", "answer", "grounded", "support", "evidence")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def to_json(pairs: list[dict]) -> str:
    return json.dumps(pairs, ensure_ascii=False, indent=2)


def to_jsonl(pairs: list[dict]) -> str:
    return "".join(json.dumps(pair, ensure_ascii=False) + "\n" for pair in pairs)


def to_csv(pairs: list[dict]) -> str:
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for pair in pairs:
        writer.writerow([_cell(pair.get(column)) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
