"""Turn a chat model's reply into question-answer pairs, whatever shape the model chose.

Three readers try every reply and the one that finds the most pairs wins (ties go
to JSON, then tables, then labels):

- JSON (`qa.parse.jsonish`): an array or objects, fenced or bare, keyed question/answer,
  q/a, 问题/答案, instruction/output or input/output. Broken JSON is read leniently:
  trailing or missing commas, smart or single quotes, unescaped quotes inside strings,
  stray brackets and braces, and a reply cut off mid-array (the complete objects before
  the cut are kept).
- Markdown tables (`qa.parse.tables`) whose header names a question and an answer column.
- Labelled lines (`qa.parse.labels`): "Question 1:", "Q1:", "Q:", "问题一：", "问题1：",
  "问：" and their answer twins (full- or half-width colon; after a number also "1.",
  "1)", "1、"), bold or not, as headings, or nested in a numbered or bulleted list. An
  answer goes to the waiting question with its number, else to the latest one. A line
  ending in "?" right before an answer label needs no label of its own.

A pair needs both a question and an answer. A question left without an answer
(or with an empty one, or whose JSON object was cut off) is never a pair; it is
counted in `ParseResult.dropped` and otherwise ignored. Answers keep their text
verbatim, paragraphs and lists included, less surrounding whitespace, the indent
they share and markdown emphasis wrapped around the whole value. Text before the
first question, "---" separators, headings and reasoning blocks ("<think>…</think>";
an unclosed one runs to the end of the reply, a lone "</think>" closes one opened
before the reply began) are not part of any pair, nor is a closing remark after the
last answer ends: a trailing line starting like one ("Let me know…", "希望这些…",
"Note:") or a last short line ending in "!".

Every step runs in time linear in the reply (no regex backtracks over a line more
than a bounded number of times, the JSON reader always advances), so any reply,
however malformed, parses promptly.
"""

from __future__ import annotations

import re

from qa.parse.common import Pair, ParseResult
from qa.parse.jsonish import read_json
from qa.parse.labels import read_labels
from qa.parse.tables import read_table

__all__ = ["Pair", "ParseResult", "parse_pairs", "parse_reply", "strip_reasoning"]


_TAG = re.compile(r"<(/?)(?:think|thinking|reasoning)>", re.I)


def parse_pairs(reply: str) -> list[Pair]:
    """`[{"question", "answer"}]` from a model's reply; [] when it holds none."""
    return parse_reply(reply).pairs


def parse_reply(reply: str) -> ParseResult:
    """The pairs in a reply, which shape they came in, and how many questions lacked an answer."""
    text = strip_reasoning((reply or "").replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    results = [read_json(text), read_table(text), read_labels(text)]
    best = max(results, key=lambda result: len(result.pairs))
    if not best.pairs:
        return ParseResult([], "none", max(result.dropped for result in results))
    return best


def strip_reasoning(text: str) -> str:
    """The text less its reasoning blocks, in one pass over its tags.

    "<think>…</think>" goes; a "</think>" before any opening closes a block the chat
    template opened, so everything before it goes; an opening never closed runs to the
    end (the reply stopped while reasoning: its drafts are not answers). Also
    <thinking> and <reasoning>.
    """
    kept: list[str] = []
    at, inside, seen = 0, False, False
    for tag in _TAG.finditer(text):
        closing = bool(tag.group(1))
        if not closing and not inside:
            kept.append(text[at:tag.start()])
            inside = True
        elif closing and inside:
            inside = False
        elif closing and not seen:
            kept.clear()  # close-only: the block began before the reply did
        elif not closing:
            continue  # an opening inside a block
        else:
            kept.append(text[at:tag.start()])  # a stray closer: drop the tag alone
        seen = True
        at = tag.end()
    if not inside:
        kept.append(text[at:])
    return "".join(kept)
