"""Serialized records as UTF-8 byte chunks of about 64 KiB: JSON Lines, a JSON array, CSV, plain lines.

Each writer takes an iterable and yields as it goes, holding one chunk at a time, so a
web response and a file can both stream an export of any size in bounded memory.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

CHUNK_CHARS = 1 << 16
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "replace")  # a lone surrogate becomes "?" instead of ending the download


def joined(pieces: Iterable[str]) -> Iterator[bytes]:
    """Strings gathered into chunks of about CHUNK_CHARS characters, encoded."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield _encode("".join(buffer))
            buffer.clear()
            size = 0
    if buffer:
        yield _encode("".join(buffer))


def json_lines(records: Iterable[dict]) -> Iterator[bytes]:
    """One JSON object per line; non-ASCII text stays readable."""
    return joined(_dumps(record) + "\n" for record in records)


def json_array(records: Iterable[dict]) -> Iterator[bytes]:
    """A JSON array, one object per line: `[]` for no records, valid JSON for any number."""
    def pieces() -> Iterator[str]:
        separator = "[\n"
        for record in records:
            yield separator
            yield _dumps(record)
            separator = ",\n"
        yield "[]\n" if separator == "[\n" else "\n]\n"
    return joined(pieces())


def csv_rows(header: Iterable[str], rows: Iterable[Iterable], bom: bool = True) -> Iterator[bytes]:
    """CSV with a header, quoted where needed, every cell spreadsheet-safe; a byte-order mark first so
    spreadsheet programs read the file as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_cell(value) for value in row])
        if buffer.tell() >= CHUNK_CHARS:
            yield _encode(buffer.getvalue())
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield _encode(buffer.getvalue())


def text_lines(lines: Iterable[str]) -> Iterator[bytes]:
    """One line per string; line breaks inside a string become spaces."""
    return joined(" ".join(line.splitlines()) + "\n" for line in lines)


def spreadsheet_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: "" for None, true/false for booleans, numbers as they are, and
    an apostrophe before any text that starts with = + - @ (or a tab or carriage return), so it never runs
    as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
