"""Exact and near-duplicate questions across a dataset: MinHash LSH over character shingles, checked by exact Jaccard.

A question is normalized (NFKC, case folded, punctuation and symbols dropped, single
spaces, none beside a Chinese character) and cut into shingles: every CJK character on
its own, and the character 3-grams of every other run (Latin words with their spaces,
digits). Two questions are near-duplicates when the Jaccard similarity of their shingle
sets reaches the threshold, exact duplicates when their normalized texts are equal.

Candidates come from MinHash LSH: signatures are datasketch's affine32 MinHash (the same
values as `datasketch.MinHash(num_perm, seed=1)`), computed for thousands of questions at
once with numpy, and banded so that a pair at exactly the threshold shares a band with
probability >= 0.98. Bands are sorted arrays, so a batch of questions finds its
candidates with a few sorts and binary searches instead of one Python call per band and
question (datasketch's `MinHashLSH` took 24 s for the candidates of 100,000 questions here,
this whole module 7 s: bench/README.md, "Duplicate questions", which also has the
measurements behind the shingles and the default threshold). Every candidate is then checked with the exact Jaccard of the two
shingle sets, so the LSH's false positives never reach the caller.

Exact copies of a question are represented by the first one indexed: a later copy is
matched to it (exact) and to nothing else, and questions similar to that text are matched
to it, so a text repeated k times costs k - 1 pairs, not k²/2. `Duplicates.groups()` puts
them all together. `DuplicateIndex` is incremental (`add` returns only the new
questions' duplicates) and `save`/`load` keep it in one .npz file (no pickle).
"""

from __future__ import annotations

from collections.abc import Iterable

from qa.dedup.index import DEFAULT_NUM_PERM, DEFAULT_THRESHOLD, MIN_THRESHOLD, DuplicateIndex, lsh_params
from qa.dedup.results import Duplicates, Key, Match
from qa.dedup.text import LATIN_NGRAM, jaccard, normalize, shingles

__all__ = ["DEFAULT_NUM_PERM", "DEFAULT_THRESHOLD", "LATIN_NGRAM", "MIN_THRESHOLD", "DuplicateIndex", "Duplicates",
           "Key", "Match", "find_duplicates", "jaccard", "lsh_params", "normalize", "shingles"]


def find_duplicates(items: Iterable[tuple[Key, str]], threshold: float = DEFAULT_THRESHOLD,
                    num_perm: int = DEFAULT_NUM_PERM) -> Duplicates:
    """Duplicates among all (id, question) pairs, in one pass through a fresh index."""
    return DuplicateIndex(threshold, num_perm).add(items)
