"""Turn a chat model's reply into question-answer pairs, whatever shape the model chose.

Three readers try every reply and the one that finds the most pairs wins (ties go
to JSON, then tables, then labels):

- JSON: an array or objects, fenced or bare, keyed question/answer, q/a, 问题/答案,
  instruction/output or input/output. Broken JSON is read leniently: trailing or
  missing commas, smart or single quotes, unescaped quotes inside strings, and a
  reply cut off mid-array (the complete objects before the cut are kept).
- Markdown tables whose header names a question and an answer column.
- Labelled lines: "Question 1:", "Q1:", "Q:", "问题一：", "问题1：", "问：" and their
  answer twins (full- or half-width colon; after a number also "1.", "1)", "1、"),
  bold or not, as headings, or nested in a numbered or bulleted list. An answer
  goes to the waiting question with its number, else to the latest one. A line
  ending in "?" right before an answer label needs no label of its own.

A pair needs both a question and an answer. A question left without an answer
(or with an empty one, or whose JSON object was cut off) is never a pair; it is
counted in `ParseResult.dropped` and otherwise ignored. Answers keep their text
verbatim, paragraphs and lists included, less surrounding whitespace, the indent
they share and markdown emphasis wrapped around the whole value. Text before the
first question, "---" separators, headings and "<think>" blocks are not part of
any pair, nor is a closing remark after the last answer: a line starting like
one ("Let me know…", "希望…", "Note:") or a last short line ending in "!".
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass, field

Pair = dict[str, str]


@dataclass
class ParseResult:
    pairs: list[Pair] = field(default_factory=list)
    #: "json", "table", "numbered-labels", "list-labels", "labels", or "none" when no pair was found.
    shape: str = "none"
    #: Questions found without an answer.
    dropped: int = 0


def parse_pairs(reply: str) -> list[Pair]:
    """`[{"question", "answer"}]` from a model's reply; [] when it holds none."""
    return parse_reply(reply).pairs


def parse_reply(reply: str) -> ParseResult:
    """The pairs in a reply, which shape they came in, and how many questions lacked an answer."""
    text = _THINKING.sub("", (reply or "").replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff"))
    results = [_read_json(text), _read_table(text), _read_labels(text)]
    best = max(results, key=lambda result: len(result.pairs))
    if not best.pairs:
        return ParseResult([], "none", max(result.dropped for result in results))
    return best


_THINKING = re.compile(r"<think>.*?</think>", re.S)


def _pair(question: str, answer: str) -> Pair:
    return {"question": question, "answer": answer}


def _unwrap(value: str) -> str:
    """The value trimmed, without markdown emphasis wrapped around all of it."""
    value = value.strip()
    for mark in ("**", "__", "*"):
        inner = value[len(mark):-len(mark)]
        if value.startswith(mark) and value.endswith(mark) and inner.strip() and mark not in inner:
            return inner.strip()
    return value


# -- JSON -----------------------------------------------------------------------------

_QUESTION_KEYS = ("question", "q", "问题", "问", "query", "prompt", "instruction", "input")
_ANSWER_KEYS = ("answer", "a", "答案", "答", "回答", "response", "output")
_FENCE = re.compile(r"```[ \t]*(?:json[l5]?)?[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S | re.I)


def _read_json(text: str) -> ParseResult:
    result = ParseResult(shape="json")
    fenced = [block for block in _FENCE.findall(text) if block.lstrip()[:1] in ("[", "{")]
    for block in fenced or [text]:
        for value in _json_values(block):
            _collect_pairs(value, result)
    return result


def _json_values(text: str):
    """Every JSON value in the text from its first bracket on, read leniently."""
    start = _next_bracket(text, 0)
    while start is not None:
        try:
            value, end = json.JSONDecoder().raw_decode(text, start)
        except json.JSONDecodeError:
            reader = _LenientJSON(text, start)
            value, end = reader.value(), reader.at
        yield value
        start = _next_bracket(text, end)


def _next_bracket(text: str, start: int) -> int | None:
    found = re.compile(r"[\[{]").search(text, start)
    return found.start() if found else None


def _collect_pairs(value, result: ParseResult) -> None:
    if isinstance(value, list):
        for item in value:
            _collect_pairs(item, result)
    elif isinstance(value, dict):
        keys = {str(key).strip().casefold(): item for key, item in value.items()}
        question_key = next((key for key in _QUESTION_KEYS if key in keys), None)
        if question_key is None:
            for item in value.values():
                _collect_pairs(item, result)
            return
        question = _as_text(keys[question_key])
        if question_key == "instruction" and _as_text(keys.get("input")):
            question += "\n" + _as_text(keys["input"])
        answer = _as_text(next((keys[key] for key in _ANSWER_KEYS if key in keys), None))
        if question and answer:
            result.pairs.append(_pair(question, answer))
        elif question:
            result.dropped += 1


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(_as_text(item) for item in value)
    if isinstance(value, (dict, bool)):
        return json.dumps(value, ensure_ascii=False)
    return _unwrap(str(value))


class _Incomplete:
    """Marks a value cut off by the end of the text."""


_INCOMPLETE = _Incomplete()
_OPENING_QUOTES = {'"': '"”', "“": '”"', "”": '”"', "'": "'’", "‘": "’'"}


class _LenientJSON:
    """A forgiving JSON reader for what models write: see the module docstring."""

    def __init__(self, text: str, at: int):
        self.text, self.at = text, at

    def _skip(self, extra: str = "") -> None:
        while self.at < len(self.text) and (self.text[self.at].isspace() or self.text[self.at] in extra):
            self.at += 1

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def value(self):
        self._skip()
        char = self._peek()
        if char == "[":
            return self._array()
        if char == "{":
            return self._object()
        if char in _OPENING_QUOTES:
            return self._string(key=False)
        if not char:
            return _INCOMPLETE
        return self._bare(",]}\n", key=False)

    def _array(self) -> list:
        self.at += 1
        items = []
        while True:
            self._skip(",")
            if self._peek() in ("]", ""):
                self.at += self._peek() == "]"
                return items
            item = self.value()
            if item is _INCOMPLETE:
                return items
            items.append(item)

    def _object(self):
        self.at += 1
        members = {}
        while True:
            self._skip(",")
            char = self._peek()
            if char == "}":
                self.at += 1
                return members
            if not char:
                return members or _INCOMPLETE
            key = self._string(key=True) if char in _OPENING_QUOTES else self._bare(":：}", key=True)
            self._skip()
            if key is _INCOMPLETE or self._peek() not in (":", "："):
                return members or _INCOMPLETE
            self.at += 1
            item = self.value()
            if item is _INCOMPLETE:
                return members or _INCOMPLETE
            members[key] = item

    def _bare(self, stops: str, key: bool):
        """An unquoted key, or a number, literal or unquoted word as a value."""
        start = self.at
        while self.at < len(self.text) and self.text[self.at] not in stops:
            self.at += 1
        token = self.text[start:self.at].strip()
        if self.at == len(self.text):
            return _INCOMPLETE
        if key:
            return token
        try:
            return json.loads(token)
        except ValueError:
            return token

    def _string(self, key: bool):
        closers = _OPENING_QUOTES[self.text[self.at]]
        self.at += 1
        chars = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and self.at + 1 < len(self.text):
                chars.append(self._escape())
                continue
            self.at += 1
            if char in closers and self._closes(key):
                return "".join(chars)
            chars.append(char)
        return _INCOMPLETE

    def _escape(self) -> str:
        code = self.text[self.at + 1]
        self.at += 2
        if code == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", self.text[self.at:self.at + 4]):
            self.at += 4
            return chr(int(self.text[self.at - 4:self.at], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(code, code)

    def _closes(self, key: bool) -> bool:
        """Whether the quote just read ends the string, judged by what follows it."""
        rest = self.text[self.at:].lstrip()
        if not rest or rest[0] in ":：" or (not key and rest[0] in "]}"):
            return True
        if key or rest[0] != ",":
            return False
        after_comma = rest[1:].lstrip()
        return not after_comma or after_comma[0] in "\"“”'‘[]{}"


# -- markdown tables ---------------------------------------------------------------------

_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$|^\s*\|\s*:?-+:?\s*\|\s*$")
_QUESTION_HEADERS = {"question", "questions", "q", "问题", "问", "题目", "提问"}
_ANSWER_HEADERS = {"answer", "answers", "a", "答案", "答", "回答"}


def _cells(line: str) -> list[str]:
    line = line.strip()
    cells = re.split(r"(?<!\\)\|", line)
    if line.startswith("|"):
        cells = cells[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        cells = cells[:-1]
    return [_unwrap(re.sub(r"<br\s*/?>", "\n", cell.replace("\\|", "|"), flags=re.I)) for cell in cells]


def _column(header: list[str], names: set[str]) -> int | None:
    for index, cell in enumerate(header):
        name = cell.casefold()
        if name in names or any(name.startswith(known) for known in names if len(known) > 1):
            return index
    return None


def _read_table(text: str) -> ParseResult:
    result = ParseResult(shape="table")
    lines = text.split("\n")
    for rule_at in range(1, len(lines)):
        if not _TABLE_RULE.match(lines[rule_at]):
            continue
        header = _cells(lines[rule_at - 1])
        question_at, answer_at = _column(header, _QUESTION_HEADERS), _column(header, _ANSWER_HEADERS)
        if question_at is None or answer_at is None:
            continue
        for line in lines[rule_at + 1:]:
            if "|" not in line:
                break
            cells = _cells(line)
            if len(cells) > len(header) and answer_at == len(header) - 1:
                cells[answer_at:] = ["|".join(cells[answer_at:])]
            question = cells[question_at] if question_at < len(cells) else ""
            answer = cells[answer_at] if answer_at < len(cells) else ""
            if question and answer:
                result.pairs.append(_pair(question, answer))
            elif question:
                result.dropped += 1
    return result


# -- labelled lines ----------------------------------------------------------------------

_CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
                   "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_LIST_MARKER = r"(?:[-*+•]\s+|\(?\d+[.)、．]\s*|[（(]\d+[)）]\s*|\#{1,6}\s+|>\s*)"
_LABEL = re.compile(rf"""
    ^\s*(?P<lead>\*\*|__)?(?P<marker>{_LIST_MARKER}*)
    (?P<open>\*\*|__)?\s*
    (?:(?P<question>question|q|问题|问|提问)|(?P<answer>answer|ans|a|答案|回答|答))
    \s*(?:\#\s*)?(?P<number>\d+|[零〇一二两三四五六七八九十百千]+)?\s*
    (?P<close>\*\*|__)?\s*
    (?:(?P<colon>[:：]|(?<=[\d零〇一二两三四五六七八九十百千])(?:[.．、)）]|\s?[-–—](?=\s)))
       \s*(?P<close_after>\*\*|__)?|$)
    """, re.I | re.X)
_SEPARATOR = re.compile(r"^\s*(?:-{3,}|\*{3,}|_{3,}|={3,})\s*$")
_HEADING = re.compile(r"^\s*#{1,6}\s")
_QUESTION_LINE = re.compile(
    rf"^\s*(?P<lead>\*\*|__)?(?P<marker>{_LIST_MARKER}*)(?P<text>.*[?？](?:\*\*|__)?)\s*$")
_CLOSING = re.compile(r"""^\s*[*_>]*\s*(?:
    希望|以上|上述|如果(?:您|你)?(?:需要|还|想|有|对)|如需|如有|若需|若有|请告诉我|请随时|欢迎|祝你|祝您|
    需要我|要不要我|是否需要|还需要|还有其他|有任何|祝学习|学习愉快|
    这些问[题答]|注[:：]|注意[:：]|备注|说明[:：]|总结|
    I\ hope|hope\ (?:this|these|that|it)|let\ me\ know|feel\ free|if\ you(?:'d|\ need|\ want|\ would|\ have)|
    these\ (?:questions|pairs|q\s*&\s*as?|are)|the\ (?:above|questions\ above)|note[:：]|i(?:'ve|\ have)\ |
    would\ you\ like|do\ you\ (?:want|need)|shall\ i|should\ i|want\ me\ to|anything\ else|happy\ to|
    is\ there\ anything|please\ let\ me|good\ luck|in\ summary|enjoy|happy\ (?:studying|learning|reading)|
    all\ (?:of\ )?(?:the\ |these\ )?(?:answers|questions|pairs)|each\ (?:answer|question))
    """, re.I | re.X)


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
        return _unwrap(body)


def _number(text: str | None) -> int | None:
    if not text:
        return None
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
    opens, closes = found["lead"] or found["open"], found["close"] or found["close_after"]
    # "A: **Ada** and Bob": bold after the colon belongs to the answer unless the label opened it.
    content = line[found.end() if opens else found.end("colon") if found["colon"] else found.end():]
    if not found["colon"] and (len(word) == 1 and not found["number"] or content.strip()):
        return None
    if len(word) == 1 and found["colon"] and found["colon"].strip() in "-–—":
        return None  # "Q3 - 5M" in an answer is a quarter, not a label
    return _Block("question" if found["question"] else "answer", _number(found["number"]), [content],
                  listed=bool(found["marker"].strip()) and not found["marker"].strip().startswith("#"),
                  strip_close=opens if opens and not closes else "")


_INLINE = re.compile(r"""
    (?<=[\s。．.!！?？;；])\s*
    (?:\*\*|__)?(?P<word>question|answer|q|a|问题|答案|问|答)\s*
    (?P<number>\d+|[零〇一二两三四五六七八九十百千]+)?\s*(?:\*\*|__)?\s*[:：]
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
    for found in _INLINE.finditer(line, len(line) - len(head.lines[0])):
        twin = "answer" if found["word"].lower() in {"answer", "a", "答案", "答"} else "question"
        twin_number = _number(found["number"])
        before = line[:found.start()].rstrip()[-1:]
        expected = (twin != kind) and (
            (twin == "answer" and (twin_number == number if number is not None else twin_number is None
                                   and before in "?？"))
            or (twin == "question" and (twin_number == number + 1 if number is not None else twin_number is None
                                        and re.search(r"[?？]", line[found.end():]) is not None)))
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
    """Cut closing remarks ("Let me know if…", "希望…", a last short "Enjoy!") off the reply's last answer."""
    for at in range(1, len(block.lines)):
        if _CLOSING.match(block.lines[at]):
            del block.lines[at:]
            return
    last = len(block.lines) - 1
    while last > 0 and not block.lines[last].strip():
        last -= 1
    if last > 1 and not block.lines[last - 1].strip() and re.fullmatch(r"[^\n]{1,40}[!！]", block.lines[last].strip()):
        del block.lines[last:]


def _read_labels(text: str) -> ParseResult:
    blocks = _blocks(text)
    if blocks and blocks[-1].kind == "answer":
        _without_closing(blocks[-1])
    waiting: list[_Block] = []
    answered: list[tuple[_Block, str]] = []
    for block in blocks:
        if block.kind == "question":
            waiting.append(block)
            continue
        if not waiting:
            continue
        question = next((q for q in waiting if block.number is not None and q.number == block.number), waiting[-1])
        answer = block.text()
        if answer:
            waiting.remove(question)
            answered.append((question, answer))
    pairs = [_pair(question.text(), answer) for question, answer in answered if question.text()]
    questions = [question for question, _ in answered]
    if not questions:
        shape = "labels"
    elif sum(q.listed for q in questions) * 2 > len(questions):
        shape = "list-labels"
    elif sum(q.number is not None for q in questions) * 2 > len(questions):
        shape = "numbered-labels"
    else:
        shape = "labels"
    return ParseResult(pairs, shape, len(waiting) + len(answered) - len(pairs))
