"""What the reply readers share: the pair and result types and markdown emphasis unwrapping."""

from __future__ import annotations

from dataclasses import dataclass, field

Pair = dict[str, str]


@dataclass
class ParseResult:
    pairs: list[Pair] = field(default_factory=list)
    #: "json", "table", "numbered-labels", "list-labels", "labels", or "none" when no pair was found.
    shape: str = "none"
    #: Questions found without an answer.
    dropped: int = 0

    def add(self, question: str, answer: str) -> None:
        """A pair when both are there; a question without an answer is counted in `dropped`."""
        if question and answer:
            self.pairs.append(make_pair(question, answer))
        elif question:
            self.dropped += 1


def make_pair(question: str, answer: str) -> Pair:
    return {"question": question, "answer": answer}


def unwrap(value: str) -> str:
    """The value trimmed, without markdown emphasis wrapped around all of it."""
    value = value.strip()
    for mark in ("**", "__", "*"):
        inner = value[len(mark):-len(mark)]
        if value.startswith(mark) and value.endswith(mark) and inner.strip() and mark not in inner:
            return inner.strip()
    return value
