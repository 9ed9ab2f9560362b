"""Cut a document's text into chunks of at most `max_size` at the strongest boundary that fits, with optional overlap.

`chunk_text(text, max_size=..., overlap=..., measure=len)` returns `Chunk`s whose
`text == text[start:end]`. Whole paragraphs are packed together while they fit; a
paragraph that does not fit an empty chunk is cut at sentences, a sentence that does not
fit at words (or CJK characters), and only a word longer than a chunk at characters
(never inside a combining sequence). A chunk never starts or ends with whitespace, and
without overlap the text between two chunks is whitespace only. When the next paragraph
(or sentence) does not fit the rest of a chunk the chunk ends there, unless it is less
than half full and that unit must be cut anyway, so a heading is not left alone.

`measure` counts size in any unit: characters by default, tokens when the caller passes a
tokenizer-based counter (`lambda s: len(tok(s, add_special_tokens=False).input_ids)`).
Each sentence is measured once (the words of an over-long one once more) and a chunk's
size is the sum of its pieces and the whitespace between them, so the cost stays linear.
For `len` the sum is exact. For a tokenizer it is close but not a bound (a joint can
tokenize into one token more than its parts), so each finished chunk is measured once
whole, and should it be over, its last pieces move on to the next chunk: chunks stay
within `max_size` by `measure` itself, at about twice the tokenizing of the text in all.

With `overlap` > 0 each chunk after the first starts with the tail of the one before, at
most `overlap` in size, starting at a sentence where one fits (else at a word), and never
so long that the chunk's new text would not fit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qa.documents.segments import char_spans, paragraph_spans, sentence_spans, word_spans

PARAGRAPH, SENTENCE, WORD, CHARACTER = 3, 2, 1, 0  # the boundary in front of a piece


@dataclass(frozen=True, slots=True)
class Chunk:
    """One chunk: `text == document[start:end]`; `size` is `measure(text)` (for `len`, its length)."""

    index: int
    start: int
    end: int
    text: str
    size: int


@dataclass(slots=True)
class _Piece:
    start: int
    end: int
    size: int
    level: int


@dataclass(slots=True)
class _Unit:
    """A paragraph or sentence to place whole if it fits, else piece by piece."""

    start: int
    size: int
    parts: list  # of _Unit or _Piece


def chunk_text(text: str, *, max_size: int, overlap: int = 0,
               measure: Callable[[str], int] = len) -> list[Chunk]:
    """Chunks of `text`, each at most `max_size` by `measure` unless one character alone is larger."""
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    if not 0 <= overlap < max_size:
        raise ValueError("overlap must be at least 0 and less than max_size")
    return _Packer(text, max_size, overlap, measure).run()


class _Packer:
    def __init__(self, text: str, max_size: int, overlap: int, measure: Callable[[str], int]):
        self.text, self.max, self.overlap = text, max_size, overlap
        self.exact = measure is len
        self.measure = measure
        self._gaps: dict[str, int] = {}
        self.chunks: list[Chunk] = []
        self.current: list[_Piece] = []
        self.size = 0
        self.fresh = 0  # pieces in the current chunk that are not overlap

    def size_of(self, start: int, end: int) -> int:
        return end - start if self.exact else self.measure(self.text[start:end])

    def gap(self, start: int, end: int) -> int:
        if self.exact:
            return end - start
        between = self.text[start:end]
        size = self._gaps.get(between)
        if size is None:
            size = self._gaps[between] = self.measure(between) if between else 0
        return size

    # -- building units --------------------------------------------------------------

    def paragraph(self, start: int, end: int) -> _Unit | _Piece:
        if self.exact and not self.overlap and end - start <= self.max:
            return _Piece(start, end, end - start, PARAGRAPH)  # fits, and no overlap will look inside
        parts = [self.sentence(a, b, SENTENCE) for a, b in sentence_spans(self.text, start, end)]
        _first_level(parts[0], PARAGRAPH)
        return _Unit(start, self.total(parts), parts)

    def sentence(self, start: int, end: int, level: int) -> _Unit | _Piece:
        size = self.size_of(start, end)
        if size <= self.max:
            return _Piece(start, end, size, level)
        words = [self.word(a, b) for a, b in word_spans(self.text, start, end)]
        _first_level(words[0], level)
        return _Unit(start, self.total(words), words)

    def word(self, start: int, end: int) -> _Unit | _Piece:
        size = self.size_of(start, end)
        if size <= self.max:
            return _Piece(start, end, size, WORD)
        pieces = [_Piece(a, b, self.size_of(a, b), CHARACTER)
                  for a, b in char_spans(self.text, start, end, self.max, None if self.exact else self.measure)]
        pieces[0].level = WORD
        return _Unit(start, self.total(pieces), pieces)

    def total(self, parts: list) -> int:
        size, prev_end = 0, None
        for part in parts:
            if prev_end is not None:
                size += self.gap(prev_end, part.start)
            size += part.size
            prev_end = _end(part)
        return size

    # -- packing ---------------------------------------------------------------------

    def run(self) -> list[Chunk]:
        for start, end in paragraph_spans(self.text):
            self.place(self.paragraph(start, end))
        while self.current:
            self.emit()
        return self.chunks

    def fits(self, unit) -> bool:
        return self.size + self.gap(self.current[-1].end, unit.start) + unit.size <= self.max

    def place(self, unit) -> None:
        if self.current and self.fits(unit):
            self.add_all(unit)
        elif self.fresh and (unit.size <= self.max or self.size * 2 >= self.max):
            self.flush(unit)
            self.place(unit)  # again, in the chunk that now starts with the overlap or the pieces carried over
        elif isinstance(unit, _Piece) or (unit.size <= self.max and not self.current):
            self.add_all(unit)
        else:
            for part in unit.parts:
                self.place(part)

    def add_all(self, unit) -> None:
        if isinstance(unit, _Unit):
            for part in unit.parts:
                self.add_all(part)
            return
        if self.current:
            self.size += self.gap(self.current[-1].end, unit.start)
        self.size += unit.size
        self.current.append(unit)
        self.fresh += 1

    def flush(self, upcoming) -> None:
        """End the current chunk before `upcoming`; seed the next with the overlap tail, sized so
        that `upcoming` (or its first piece, when it is cut anyway) still fits after it."""
        previous = self.emit()
        if self.current or not self.overlap:  # pieces carried over start the next chunk instead
            return
        need = upcoming.size if upcoming.size <= self.max else _first_piece(upcoming).size
        room = self.max - need - self.gap(previous[-1].end, upcoming.start)
        for piece in self.tail(previous, min(self.overlap, room)):
            self.add_all(piece)
        self.fresh = 0

    def tail(self, pieces: list[_Piece], limit: int) -> list[_Piece]:
        """The longest tail within `limit`, starting at a sentence if any does, never the whole chunk."""
        best_sentence = best_any = None
        size = 0
        for i in range(len(pieces) - 1, 0, -1):
            size += pieces[i].size + (self.gap(pieces[i].end, pieces[i + 1].start) if i + 1 < len(pieces) else 0)
            if size > limit:
                break
            best_any = i
            if pieces[i].level >= SENTENCE:
                best_sentence = i
        start = best_sentence if best_sentence is not None else best_any
        return [] if start is None else pieces[start:]

    def emit(self) -> list[_Piece]:
        """Write the current chunk. A measure other than `len` checks the chunk as a whole once:
        should the joined text measure more than its pieces did (tokens that split at a joint),
        the last pieces are carried over into the next chunk until it fits."""
        pieces, carry = self.current, []
        size = self.size
        if not self.exact:
            size = self.measure(self.text[pieces[0].start:pieces[-1].end])
            while size > self.max and len(pieces) > 1:
                carry.insert(0, pieces.pop())
                size = self.measure(self.text[pieces[0].start:pieces[-1].end])
        start, end = pieces[0].start, pieces[-1].end
        self.chunks.append(Chunk(len(self.chunks), start, end, self.text[start:end], size))
        self.current, self.size, self.fresh = [], 0, 0
        for piece in carry:
            self.add_all(piece)
        return pieces


def _end(part) -> int:
    while isinstance(part, _Unit):
        part = part.parts[-1]
    return part.end


def _first_piece(part) -> _Piece:
    while isinstance(part, _Unit):
        part = part.parts[0]
    return part


def _first_level(part, level: int) -> None:
    _first_piece(part).level = level
