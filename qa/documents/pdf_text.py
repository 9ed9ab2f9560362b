"""Turn a PDF's page-by-page lines into clean text: running headers and footers dropped, hyphenation undone, paragraphs rebuilt.

PDF text comes as lines as laid out on the page. This module, which knows nothing of
pypdf, makes prose of them:

- a line among the first or last three of a page that recurs (digits aside, so "Page 7"
  and "Page 8" match) on at least half the pages, and on two or more, is a running
  header or footer and goes, unless that would leave its page without text (pages that
  each hold one near-identical line, "Slide 1", "Slide 2", are content, not headers);
- "exam-" at a line end followed by "ple" becomes "example", unless the document writes
  "exam-ple" with its hyphen elsewhere (a real compound: "well-known"); before a capital
  or a digit ("COVID-" / "19") the hyphen stays and the line joins without a space;
- a line ends its paragraph when it is clearly shorter than the page's full lines, or a
  little shorter and ends a sentence, or the next line starts a list item; other lines join
  with a space (none next to a Chinese character); paragraphs are separated by a blank
  line, and a paragraph that runs on to the next page joins across the page break.

`clean_pages` returns the text and each page's `(start, end)` in it (start == end for a
page left without text).
"""

from __future__ import annotations

import math
import re
from collections import Counter

from prompts.language import CJK_RANGES

WINDOW = 3  # lines at the top and at the bottom of a page where running headers and footers are looked for
_DIGITS = re.compile(r"\d+")
_CJK = re.compile(f"[{CJK_RANGES}\u3000-\u303f\uff00-\uffef]")
_HYPHENATED_END = re.compile(r"([^\W\d_]+)[-\u2010]$")
_WORD_START = re.compile(r"[^\W\d_]+")
_COMPOUND = re.compile(r"[^\W\d_]+[-\u2010][^\W\d_]+")
_SENTENCE_END = re.compile("[.!?:;。！？：；…][\"'”’」』）)]*$")
_LIST_ITEM = re.compile(r"(?:[•●○■□◆▪‣∙·*–—-]|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)]|[一二三四五六七八九十]+、)\s")


def running_lines(pages: list[list[str]]) -> set[str]:
    """Keys (digits as "#", spaces collapsed) of lines that recur at the top or bottom of most pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        counts.update({_key(line) for line in lines[:WINDOW] + lines[-WINDOW:]} - {""})
    needed = max(2, math.ceil(len(pages) / 2))
    return {key for key, count in counts.items() if count >= needed}


def _key(line: str) -> str:
    return _DIGITS.sub("#", " ".join(line.split())).casefold()


def drop_running_lines(lines: list[str], running: set[str]) -> list[str]:
    """`lines` without the running headers and footers among its first and last WINDOW non-blank ones; all of
    them when every non-blank line would go (a page's only text is not a header)."""
    if not running:
        return lines
    filled = [i for i, line in enumerate(lines) if line]
    drop = {i for i in filled[:WINDOW] + filled[-WINDOW:] if _key(lines[i]) in running}
    if len(drop) == len(filled):
        return lines
    return [line for i, line in enumerate(lines) if i not in drop] if drop else lines


def _width(line: str) -> int:
    """Display width, about: a CJK character (3 bytes in UTF-8) counts 2, ASCII 1."""
    return len(line) if line.isascii() else (len(line) + len(line.encode("utf-8"))) // 2


def _full_width(lines: list[str]) -> int:
    """The width of a full line on this page: the 80th percentile of its line widths."""
    widths = sorted(_width(line) for line in lines)
    return widths[int(0.8 * (len(widths) - 1))] if widths else 0


class _Joiner:
    def __init__(self, pages: list[str]):
        self.pages = pages
        self._compounds: set[str] | None = None
        self.parts: list[str] = []
        self.length = 0
        self.prev: str | None = None  # the last line written, None at a paragraph start
        self.prev_ends_paragraph = True

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)

    def add(self, line: str, ends_paragraph: bool) -> tuple[int, int]:
        """Write one line; returns where its text landed."""
        prev = self.prev
        if prev is not None and self.prev_ends_paragraph:
            self.write("\n\n")
        elif prev is not None:
            line = self._continue(prev, line)
        start = self.length
        self.write(line)
        self.prev, self.prev_ends_paragraph = line, ends_paragraph
        return start, self.length

    def _continue(self, prev: str, line: str) -> str:
        """The text that follows `prev` in the same paragraph: a space, nothing, or a hyphen undone."""
        if prev.endswith("\u00ad"):
            self._unwrite(1)
            return line
        hyphen = _HYPHENATED_END.search(prev[-64:]) if prev[-1] in "-\u2010" else None
        if hyphen and line[:1].islower():
            after = _WORD_START.match(line)
            if f"{hyphen.group(1)}-{after.group()}".casefold() not in self.compounds:
                self._unwrite(1)
            return line
        if hyphen and (line[:1].isupper() or line[:1].isdigit()):
            return line
        if _CJK.match(prev[-1]) or _CJK.match(line[0]):
            return line
        self.write(" ")
        return line

    def _unwrite(self, n: int) -> None:
        last = self.parts[-1]
        self.parts[-1] = last[:-n]
        self.length -= n

    def text(self) -> str:
        return "".join(self.parts)

    @property
    def compounds(self) -> set[str]:
        """Hyphenated words written inside a line anywhere in the document (found once, when first needed)."""
        if self._compounds is None:
            self._compounds = {word.casefold().replace("\u2010", "-")
                               for page in self.pages if "-" in page or "\u2010" in page
                               for word in _COMPOUND.findall(page)}
        return self._compounds


def clean_pages(pages: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """One text from the pages' extracted text, and each page's span in it."""
    page_lines = [[line.strip() for line in page.strip().split("\n")] for page in pages]
    running = running_lines([[line for line in lines if line] for lines in page_lines])
    page_lines = [drop_running_lines(lines, running) for lines in page_lines]
    joiner = _Joiner(pages)
    spans: list[tuple[int, int]] = []
    all_widths = [line for lines in page_lines for line in lines if line]
    doc_full = _full_width(all_widths)
    for lines in page_lines:
        filled = [line for line in lines if line]
        full = _full_width(filled) if len(filled) >= 8 else doc_full  # few lines say little about the page
        start = end = None
        for i, line in enumerate(lines):
            if not line:  # a blank line ends a paragraph
                joiner.prev_ends_paragraph = True
                continue
            nxt = next((later for later in lines[i + 1:i + 2] if later), None)
            at = joiner.add(line, _ends_paragraph(line, nxt, full))
            start = at[0] if start is None else start
            end = at[1]
        spans.append((joiner.length, joiner.length) if start is None else (start, end))
    # undoing a hyphen at the foot of a page takes one character back from that page's end
    for i in range(len(spans) - 2, -1, -1):
        if spans[i][1] > spans[i + 1][0]:
            spans[i] = (min(spans[i][0], spans[i + 1][0]), spans[i + 1][0])
    return joiner.text(), spans


def _ends_paragraph(line: str, nxt: str | None, full: int) -> bool:
    width = _width(line)
    if width < 0.7 * full:
        return True
    if nxt is not None and _LIST_ITEM.match(nxt):
        return True
    return width < 0.93 * full and bool(_SENTENCE_END.search(line[-8:]))
