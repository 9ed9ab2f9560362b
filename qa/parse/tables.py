"""The markdown-table reader of `qa.parse`: a header naming a question and an answer column, then rows."""

from __future__ import annotations

import re

from qa.parse.common import ParseResult, unwrap

_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
_QUESTION_HEADERS = {"question", "questions", "q", "问题", "问", "题目", "提问"}
_ANSWER_HEADERS = {"answer", "answers", "a", "答案", "答", "回答"}
_PIPE = re.compile(r"(?<!\\)\|")
_BREAK = re.compile(r"<br\s*/?>", re.I)


def _cells(line: str) -> list[str]:
    line = line.strip()
    cells = _PIPE.split(line)
    if line.startswith("|"):
        cells = cells[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        cells = cells[:-1]
    return [unwrap(_BREAK.sub("\n", cell.replace("\\|", "|"))) for cell in cells]


def _column(header: list[str], names: set[str]) -> int | None:
    for index, cell in enumerate(header):
        name = cell.casefold()
        if name in names or any(name.startswith(known) for known in names if len(known) > 1):
            return index
    return None


def read_table(text: str) -> ParseResult:
    """Rows of every table whose header names both columns; each line is read once."""
    result = ParseResult(shape="table")
    lines = text.split("\n")
    rule_at = 1
    while rule_at < len(lines):
        if "-" not in lines[rule_at] or not _TABLE_RULE.match(lines[rule_at]):
            rule_at += 1
            continue
        header = _cells(lines[rule_at - 1])
        question_at, answer_at = _column(header, _QUESTION_HEADERS), _column(header, _ANSWER_HEADERS)
        rule_at += 1
        if question_at is None or answer_at is None:
            continue
        while rule_at < len(lines) and "|" in lines[rule_at]:
            line = lines[rule_at]
            rule_at += 1
            if "-" in line and _TABLE_RULE.match(line):
                continue
            cells = _cells(line)
            if len(cells) > len(header) and answer_at == len(header) - 1:
                cells[answer_at:] = ["|".join(cells[answer_at:])]
            question = cells[question_at] if question_at < len(cells) else ""
            answer = cells[answer_at] if answer_at < len(cells) else ""
            result.add(question, answer)
    return result
