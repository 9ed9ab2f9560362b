"""The labelled-lines reader of `qa.parse`: "Question 1:", "Q:", "问题一：", "答：" and their kin.

Every pattern here is anchored or possessive, so matching a line costs time linear
in it whatever it holds (long runs of "- ", spaces or digits included).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

from qa.parse.common import ParseResult, make_pair, unwrap

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                   "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_LIST_MARKER = r"(?:[-*+•]\s+|\(?\d+[.)、．]\s*|[（(]\d+[)）]\s*|\#{1,6}\s+|>\s*)"
_LABEL = re.compile(rf"""
    ^\s*+(?P<lead>\*\*|__)?(?P<marker>(?>{_LIST_MARKER}*))
    (?P<open>\*\*|__)?\s*+
    (?:(?P<question>question|q|问题|问|提问)|(?P<answer>answer|ans|a|答案|回答|答))
    \s*+(?:\#\s*+)?
    (?:(?P<number>\d++|[零〇一二两三四五六七八九十百千]++)(?P<numsep>[.．、)）]|\s?[-–—](?=\s))?)?
    (?(numsep)\s*+(?P<sep_close>\*\*|__)?
     |\s*+(?P<close>\*\*|__)?\s*+(?:(?P<colon>[:：])\s*+(?P<close_after>\*\*|__)?|$))
    """, re.I | re.X)
_SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_QUESTION_LINE = re.compile(
    rf"^\s*+(?P<lead>\*\*|__)?(?P<marker>(?>{_LIST_MARKER}*))(?P<text>.*[?？](?:\*\*|__)?)\s*$")
_CLOSING = re.compile(r"""^\s*+[*_>]*+\s*+(?:
    希望(?:这些|以上|上述|此|本|我的|这个|这份|对你|对您|能|可以|你|您|有所)|以上(?:是|就是|便是|为|即|均|都|这些|所有|问答|问题|内容|回答|答案|[，,:：])|
    上述(?:问答|问题|内容|回答|答案|所有|[，,])|如果(?:您|你)?(?:需要|还|想|有|对)|如需|如有|若需|若有|请告诉我|请随时|
    欢迎(?:继续|随时|提问|再|您|你|进一步)|祝你|祝您|需要我|要不要我|是否需要|还需要(?:我|其他|更多|什么)|还有其他|
    有任何(?:问题|疑问|其他|需要)|祝学习|学习愉快|这些问[题答](?:对|涵盖|覆盖|可以|能|有助|都|均|基于|根据|旨在)|
    注[:：]|注意[:：]|备注[:：]|说明[:：]|总结(?:一下|[:：，,])
    |(?:I\ hope|hope\ (?:this|these|that|it)|let\ me\ know|feel\ free|if\ you(?:'d|\ need|\ want|\ would|\ have)|
    these\ (?:questions|pairs|q\s*&\s*as?)|these\ are\ (?:the\ |some\ )?(?:questions|pairs|q)|
    the\ (?:above\ (?:questions|pairs|answers|q)|questions\ above)|i(?:'ve|\ have)\ (?:created|generated|written|made|prepared|included|provided|tried|kept)|
    would\ you\ like|do\ you\ (?:want|need)|shall\ i|should\ i|want\ me\ to|anything\ else|happy\ to|
    is\ there\ anything|please\ let\ me|good\ luck|enjoy|happy\ (?:studying|learning|reading)|
    all\ (?:of\ )?(?:the\ |these\ )?(?:answers|questions|pairs)|each\ (?:answer|question))\b
    |note[:：])
    """, re.I | re.X)
_EXCLAMATION = re.compile(r"[^\n]{1,40}[!！]")
_TAIL_LINE_CHARS, _TAIL_LINES = 80, 3  # what may follow a closing remark: a few short lines


@dataclass
class _Block:
    kind: str  # "question" or "answer"
    number: int | None
    lines: list[str]
    listed: bool = False
    strip_close: str = ""

    def text(self) -> str:
        first, rest = self.lines[0].strip(), textwrap.dedent("\n".join(self.lines[1:]))
        if self.strip_close and first.endswith(self.strip_close):
            first = first[:-len(self.strip_close)]
        body = "\n".join(line.rstrip() for line in [first, *rest.split("\n")])
        return unwrap(body)


def _number(text: str | None) -> int | None:
    if not text:
        return None
    if len(text) > 18:
        return None  # no list runs that long: a run of digits, not a label's number
    if text.isdigit():
        return int(text)
    total = current = 0
    for char in text:
        if char in _CHINESE_UNITS:
            total += (current or 1) * _CHINESE_UNITS[char]
            current = 0
        else:
            current = _CHINESE_DIGITS[char]
    return total + current


def _label(line: str) -> _Block | None:
    found = _LABEL.match(line)
    if not found:
        return None
    word = found["question"] or found["answer"]
    colon_group = "colon" if found["colon"] else "numsep" if found["numsep"] else None
    colon = found[colon_group] if colon_group else None
    opens = found["lead"] or found["open"]
    closes = found["close"] or found["close_after"] or found["sep_close"]
    # "A: **Ada** and Bob": bold after the colon belongs to the answer unless the label opened it.
    content = line[found.end() if opens or not colon_group else found.end(colon_group):]
    if not colon and (len(word) == 1 and not found["number"] or content.strip()):
        return None
    if len(word) == 1 and colon and colon.strip() in "-–—":
        return None  # "Q3 - 5M" in an answer is a quarter, not a label
    return _Block("question" if found["question"] else "answer", _number(found["number"]), [content],
                  listed=bool(found["marker"].strip()) and not found["marker"].strip().startswith("#"),
                  strip_close=opens if opens and not closes else "")


_INLINE = re.compile(r"""
    (?<=[\s。．.!！?？;；])(?<!\s\s)\s*+
    (?:\*\*|__)?(?P<word>question|answer|q|a|问题|答案|问|答)\s*+
    (?P<number>\d++|[零〇一二两三四五六七八九十百千]++)?\s*+(?:\*\*|__)?\s*+[:：]
    """, re.I | re.X)


def _split_inline(line: str) -> list[str]:
    """A labelled line holding its twin too ("Question 1: Who? Answer 1: Ada.") as one line per label.

    Only the label that must come next splits: after a question, its answer (same
    number, or unnumbered right after "?"); after an answer, the next question (number
    + 1, or unnumbered and asking something). A stray "A:" inside a question stays put.
    """
    head = _label(line)
    if head is None:
        return [line]
    kind, number, start, parts = head.kind, head.number, 0, []
    last_mark = max(line.rfind("?"), line.rfind("？"))
    for found in _INLINE.finditer(line, len(line) - len(head.lines[0])):
        twin = "answer" if found["word"].lower() in {"answer", "a", "答案", "答"} else "question"
        twin_number = _number(found["number"])
        before_at = found.start() - 1
        while before_at >= 0 and line[before_at].isspace():
            before_at -= 1
        before = line[before_at] if before_at >= 0 else ""
        expected = (twin != kind) and (
            (twin == "answer" and (twin_number == number if number is not None else twin_number is None
                                   and before in "?？"))
            or (twin == "question" and (twin_number == number + 1 if number is not None else twin_number is None
                                        and last_mark >= found.end())))
        if expected:
            parts.append(line[start:found.start()].rstrip())
            start = found.start() + len(found.group()) - len(found.group().lstrip())
            kind, number = twin, twin_number
    return parts + [line[start:]]


def _blocks(text: str) -> list[_Block]:
    """The question and answer blocks in order; text outside them is dropped."""
    lines = [part for line in text.split("\n") for part in _split_inline(line)]
    labels = [_label(line) for line in lines]
    blocks: list[_Block] = []
    current: _Block | None = None
    for index, line in enumerate(lines):
        block = labels[index]
        if block is None and (current is None or current.kind == "answer"):
            block = _implicit_question(line, lines, labels, index)
        if block is not None:
            current = block
            blocks.append(block)
        elif _SEPARATOR.match(line) or _HEADING.match(line):
            current = None
        elif current is not None:
            current.lines.append(line)
    return blocks


def _implicit_question(line: str, lines: list[str], labels: list, index: int) -> _Block | None:
    """An unlabelled line ending in "?" whose next non-blank line is an answer label."""
    found = _QUESTION_LINE.match(line)
    if not found:
        return None
    following = next((at for at in range(index + 1, len(lines)) if lines[at].strip()), None)
    if following is None or labels[following] is None or labels[following].kind != "answer":
        return None
    return _Block("question", None, [found["text"]], listed=bool(found["marker"].strip()),
                  strip_close=found["lead"] or "")


def _without_closing(block: _Block) -> None:
    """Cut a closing remark ("Let me know if…", "希望这些…", a last short "Enjoy!") off the reply's last answer.

    Only the answer's tail goes: a line after its first that starts like a closing
    remark and is followed by at most a few short lines, or a last short line ending
    in "!" after a blank line. A closing-like line with more answer after it stays.
    """
    lines = block.lines
    cut, after = None, 0  # the earliest closing line with only a short tail after it; non-blank lines after
    for at in range(len(lines) - 1, 0, -1):
        if after > _TAIL_LINES:
            break
        stripped = lines[at].strip()
        if _CLOSING.match(lines[at]):
            cut = at
        elif len(stripped) > _TAIL_LINE_CHARS:
            break  # more answer: no closing remark before it
        after += bool(stripped)
    if cut is not None:
        del lines[cut:]
        return
    last = len(lines) - 1
    while last > 0 and not lines[last].strip():
        last -= 1
    if last > 1 and not lines[last - 1].strip() and _EXCLAMATION.fullmatch(lines[last].strip()):
        del lines[last:]


def _read_labels_pairs(blocks: list[_Block]) -> tuple[list[tuple[_Block, str]], int]:
    """(question, answer) in order, and how many questions are still waiting; linear in the blocks.

    An answer goes to the earliest waiting question with its number, else to the latest waiting one.
    """
    waiting: list[_Block] = []  # in order; answered ones are skipped lazily
    by_number: dict[int, list[_Block]] = {}
    done: set[int] = set()  # id() of answered questions
    heads: dict[int, int] = {}  # per number, how many of by_number[number] are known answered
    answered: list[tuple[_Block, str]] = []
    for block in blocks:
        if block.kind == "question":
            waiting.append(block)
            if block.number is not None:
                by_number.setdefault(block.number, []).append(block)
            continue
        while waiting and id(waiting[-1]) in done:
            waiting.pop()
        if not waiting:
            continue
        question = waiting[-1]
        if block.number is not None and block.number in by_number:
            same, head = by_number[block.number], heads.get(block.number, 0)
            while head < len(same) and id(same[head]) in done:
                head += 1
            heads[block.number] = head
            if head < len(same):
                question = same[head]
        answer = block.text()
        if answer:
            done.add(id(question))
            answered.append((question, answer))
    return answered, sum(1 for block in waiting if id(block) not in done)


def read_labels(text: str) -> ParseResult:
    blocks = _blocks(text)
    if blocks and blocks[-1].kind == "answer":
        _without_closing(blocks[-1])
    answered, left = _read_labels_pairs(blocks)
    pairs = [make_pair(asked, answer) for asked, answer in ((q.text(), a) for q, a in answered) if asked]
    questions = [question for question, _ in answered]
    if not questions:
        shape = "labels"
    elif sum(q.listed for q in questions) * 2 > len(questions):
        shape = "list-labels"
    elif sum(q.number is not None for q in questions) * 2 > len(questions):
        shape = "numbered-labels"
    else:
        shape = "labels"
    return ParseResult(pairs, shape, left + len(answered) - len(pairs))
