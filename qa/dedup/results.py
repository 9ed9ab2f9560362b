"""What duplicate detection returns: pairs of ids (a later question, the earlier one it duplicates) and views of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Union

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

Key = Union[int, str]


@dataclass(frozen=True, slots=True)
class Match:
    """An indexed question that another one duplicates."""
    id: Key
    similarity: float  # exact Jaccard of the shingle sets
    exact: bool  # the same text after normalization


@dataclass
class Duplicates:
    """Duplicate pairs: `ids[i]` duplicates the earlier indexed `others[i]`."""
    ids: np.ndarray  # object array of ids
    others: np.ndarray
    similarity: np.ndarray  # float64
    exact: np.ndarray  # bool

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple[Key, Key, float, bool]]:
        """(id, earlier id it duplicates, similarity, exact) for each pair."""
        return zip(self.ids.tolist(), self.others.tolist(), self.similarity.tolist(), self.exact.tolist())

    def by_id(self) -> dict[Key, list[Match]]:
        """For each id that duplicates earlier ones, those ones, most similar first."""
        out: dict[Key, list[Match]] = {}
        for key, other, similarity, exact in self:
            out.setdefault(key, []).append(Match(other, similarity, exact))
        for matches in out.values():
            matches.sort(key=lambda m: -m.similarity)
        return out

    def neighbours(self) -> dict[Key, list[Key]]:
        """For each flagged id, every id it is paired with, earlier or later."""
        out: dict[Key, list[Key]] = {}
        for key, other, _, _ in self:
            out.setdefault(key, []).append(other)
            out.setdefault(other, []).append(key)
        return out

    def groups(self) -> list[list[Key]]:
        """Connected groups of duplicates, two or more ids each, in first-seen order."""
        seen = dict.fromkeys(np.column_stack([self.others, self.ids]).ravel().tolist())
        if not seen:
            return []
        number = {key: i for i, key in enumerate(seen)}
        a = np.fromiter((number[k] for k in self.ids.tolist()), np.int64, len(self.ids))
        b = np.fromiter((number[k] for k in self.others.tolist()), np.int64, len(self.ids))
        graph = csr_array((np.ones(len(a), np.int8), (a, b)), shape=(len(number), len(number)))
        _, labels = connected_components(graph, directed=False)
        groups: dict[int, list[Key]] = {}
        for key, label in zip(seen, labels.tolist()):
            groups.setdefault(label, []).append(key)
        return list(groups.values())


def empty() -> Duplicates:
    return Duplicates(np.empty(0, object), np.empty(0, object), np.empty(0, np.float64), np.empty(0, bool))
