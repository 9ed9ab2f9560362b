"""The JSON reader of `qa.parse`: strict JSON first, else a forgiving reader that always advances."""

from __future__ import annotations

import json
import re

from qa.parse.common import ParseResult, unwrap

_QUESTION_KEYS = ("question", "q", "问题", "问", "query", "prompt", "instruction", "input")
_ANSWER_KEYS = ("answer", "a", "答案", "答", "回答", "response", "output")
_FENCE = re.compile(r"```[ \t]*(?:json[l5]?)?[ \t]*\n(.*?)(?:\n[ \t]*```|\Z)", re.S | re.I)
_BRACKET = re.compile(r"[\[{]")
_NEXT = re.compile(r"\s*(.?)", re.S)  # the next character that is not whitespace ("" at the end)
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
MAX_DEPTH = 64  # deeper brackets are read as plain text, so nesting never exhausts the stack


def read_json(text: str) -> ParseResult:
    result = ParseResult(shape="json")
    fenced = [block for block in _FENCE.findall(text) if block.lstrip()[:1] in ("[", "{")]
    for block in fenced or [text]:
        for value in _json_values(block):
            _collect_pairs(value, result, 0)
    return result


def _json_values(text: str):
    """Every JSON value in the text from its first bracket on, read leniently.

    The lenient reader finds each value's extent first; strict JSON then reads just that
    slice, and wins when it reads it. (Strict decoding of the whole text at every bracket
    would cost time quadratic in the reply: each failure counts lines from the start.)
    """
    found = _BRACKET.search(text)
    while found:
        start = found.start()
        reader = _LenientJSON(text, start)
        value, end = reader.value(), max(reader.at, start + 1)
        try:
            strict, used = json.JSONDecoder().raw_decode(text[start:end])
            value, end = strict, start + used
        except (json.JSONDecodeError, RecursionError):
            pass
        yield value
        found = _BRACKET.search(text, end)


def _collect_pairs(value, result: ParseResult, depth: int) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(value, list):
        for item in value:
            _collect_pairs(item, result, depth + 1)
    elif isinstance(value, dict):
        keys = {str(key).strip().casefold(): item for key, item in value.items()}
        question_key = next((key for key in _QUESTION_KEYS if key in keys), None)
        if question_key is None:
            for item in value.values():
                _collect_pairs(item, result, depth + 1)
            return
        question = _as_text(keys[question_key])
        if question_key == "instruction" and _as_text(keys.get("input")):
            question += "\n" + _as_text(keys["input"])
        answer = _as_text(next((keys[key] for key in _ANSWER_KEYS if key in keys), None))
        result.add(question, answer)


def _as_text(value, depth: int = 0) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(_as_text(item, depth + 1) for item in value) if depth < MAX_DEPTH else ""
    if isinstance(value, (dict, bool)):
        try:
            return json.dumps(value, ensure_ascii=False)
        except (RecursionError, ValueError):
            return ""
    return unwrap(str(value))


class _Incomplete:
    """Marks a value cut off by the end of the text."""


_INCOMPLETE = _Incomplete()
_OPENING_QUOTES = {'"': '"”', "“": '”"', "”": '”"', "'": "'’", "‘": "’'"}


class _LenientJSON:
    """A forgiving JSON reader for what models write (see `qa.parse`).

    Every step consumes at least one character or returns to a caller that does, and
    no step looks further ahead than the next non-blank character, so reading is
    linear in the text. A closer that does not match (a "}" inside "[") ends the
    value it interrupts, as a model's stray brace would.
    """

    def __init__(self, text: str, at: int):
        self.text, self.at, self.depth = text, at, 0

    def _skip(self, extra: str = "") -> None:
        while self.at < len(self.text) and (self.text[self.at].isspace() or self.text[self.at] in extra):
            self.at += 1

    def _peek(self) -> str:
        return self.text[self.at] if self.at < len(self.text) else ""

    def _next_char(self, at: int) -> tuple[str, int]:
        """The first non-blank character at or after `at`, and where it is."""
        found = _NEXT.match(self.text, at)
        return found.group(1), found.start(1)

    def value(self):
        self._skip()
        char = self._peek()
        if not char:
            return _INCOMPLETE
        if char in "[{" and self.depth >= MAX_DEPTH:
            self.at += 1  # too deep: the bracket is text
            return self._bare(",]}\n", key=False)
        if char == "[":
            return self._nested(self._array)
        if char == "{":
            return self._nested(self._object)
        if char in _OPENING_QUOTES:
            return self._string(key=False)
        return self._bare(",]}\n", key=False)

    def _nested(self, read):
        self.depth += 1
        try:
            return read()
        finally:
            self.depth -= 1

    def _array(self) -> list:
        self.at += 1
        items = []
        while True:
            self._skip(",")
            char = self._peek()
            if char in ("]", ""):
                self.at += char == "]"
                return items
            if char == "}":  # a stray brace: the array ends here, the brace is left to its object
                return items
            before = self.at
            item = self.value()
            if item is _INCOMPLETE:
                return items
            if self.at == before:  # nothing read: step over the character that stopped us
                self.at += 1
                continue
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
            if char == "]":  # a stray bracket: the object ends here
                return members
            key = self._string(key=True) if char in _OPENING_QUOTES else self._bare(":：}]", key=True)
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
        except (ValueError, RecursionError):
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
        if code == "u" and _HEX4.fullmatch(self.text, self.at, self.at + 4):
            self.at += 4
            return chr(int(self.text[self.at - 4:self.at], 16))
        return {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(code, code)

    def _closes(self, key: bool) -> bool:
        """Whether the quote just read ends the string, judged by what follows it."""
        char, at = self._next_char(self.at)
        if not char or char in ":：" or (not key and char in "]}"):
            return True
        if key or char != ",":
            return False
        after_comma, _ = self._next_char(at + 1)
        return not after_comma or after_comma in "\"“”'‘[]{}"
