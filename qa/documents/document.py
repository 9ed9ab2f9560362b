"""What a reader returns: a document's text, its kind, page count, warnings and the character spans of its pages or blocks."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

DocumentKind = Literal["txt", "md", "pdf", "docx"]
SpanKind = Literal["page", "paragraph", "table"]


@dataclass(frozen=True, slots=True)
class Span:
    """One page (PDF), paragraph or table (DOCX, text) of the document: `text[start:end]`, numbered from 1."""

    kind: SpanKind
    number: int
    start: int
    end: int


@dataclass(frozen=True)
class DocumentText:
    """A document read into one string.

    `text` has "\\n" line ends and paragraphs separated by a blank line. `spans` are in
    order and do not overlap: pages for a PDF (a page may be empty: start == end),
    paragraphs and tables for a DOCX, paragraphs for text and Markdown. `pages` is the
    PDF's page count, else None. `encoding` is what a text file was decoded as (None for
    PDF and DOCX). `warnings` are sentences to show the user: the document was read, but
    something about it deserves a look (pages with almost no text, a guessed encoding).
    """

    text: str
    kind: DocumentKind
    spans: tuple[Span, ...] = ()
    pages: int | None = None
    encoding: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def chars(self) -> int:
        return len(self.text)

    @cached_property
    def _index(self) -> tuple[list[Span], list[int]]:
        filled = [span for span in self.spans if span.end > span.start]
        return filled, [span.start for span in filled]

    def span_at(self, offset: int) -> Span | None:
        """The span holding character `offset` (a chunk's start, say), or None in the gap between spans."""
        filled, starts = self._index
        i = bisect_right(starts, offset) - 1
        return filled[i] if i >= 0 and offset < filled[i].end else None

    def page_at(self, offset: int) -> int | None:
        """The PDF page (from 1) holding character `offset`; None for other kinds or between pages."""
        span = self.span_at(offset)
        return span.number if span is not None and span.kind == "page" else None
