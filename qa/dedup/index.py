"""The incremental duplicate index: MinHash signatures in bulk, LSH bands as sorted arrays, exact Jaccard checks, .npz files."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from itertools import chain
from pathlib import Path

import numpy as np
from datasketch import MinHash
from scipy.sparse import csr_array

from qa.dedup.results import Duplicates, Key, Match, empty
from qa.dedup.text import LATIN_NGRAM, normalize, shingles_of_normalized

DEFAULT_THRESHOLD = 0.7  # bench/README.md, "Duplicate questions": planted near-duplicates found and false flags
MIN_THRESHOLD = 0.5  # below it almost every pair of questions sharing a topic becomes a candidate
DEFAULT_NUM_PERM = 64
_SEED = 1
_CANDIDATE_RECALL = 0.98  # chance that a pair at exactly the threshold shares a band
_CHUNK = 8192  # questions indexed together
_SIGNATURE_BATCH = 1024  # questions hashed together: bounds the (shingles x permutations) scratch array
_PAIR_CHUNK = 20_000  # candidate pairs checked together: bounds the gathered sparse rows (~20 MB)
_FORMAT_VERSION = 1
_U64 = np.uint64


def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows): the most rows per band (fewest dissimilar candidates) that still make a pair at
    exactly `threshold` a candidate with probability >= 0.98 within `num_perm` permutations."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold ** rows) ** bands >= _CANDIDATE_RECALL:
            return bands, rows
    return num_perm, 1


def _fmix(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finalizer (32 or 64 bits), as datasketch mixes input hashes before permuting them."""
    if h.dtype == np.uint32:
        s1, m1, s2, m2, s3 = 16, 0x85EBCA6B, 13, 0xC2B2AE35, 16
    else:
        s1, m1, s2, m2, s3 = 33, 0xFF51AFD7ED558CCD, 33, 0xC4CEB9FE1A85EC53, 33
    t = h.dtype.type
    h = h ^ (h >> t(s1))
    h = h * t(m1)
    h = h ^ (h >> t(s2))
    h = h * t(m2)
    return h ^ (h >> t(s3))


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices starts[i], starts[i]+1, …, starts[i]+counts[i]-1 for every i, concatenated."""
    total = int(counts.sum())
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


class DuplicateIndex:
    """Questions indexed for duplicate look-ups: grows with `add`, shrinks with `remove`, persists with `save`."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM):
        if not MIN_THRESHOLD <= threshold <= 1.0:
            raise ValueError(f"threshold must be between {MIN_THRESHOLD} and 1")
        self.threshold = threshold
        self.num_perm = num_perm
        self.bands, self.rows = lsh_params(threshold, num_perm)
        a, b = MinHash(num_perm=num_perm, seed=_SEED, scheme="affine32").permutations
        self._a, self._b = a.astype(np.uint32), b.astype(np.uint32)
        self._vocabulary: dict[str, int] = {}  # shingle -> column
        self._vocabulary_hashes: list[int] = []  # column -> CRC-32 of the shingle, the MinHash input
        self._ids: list[Key | None] = []  # slot -> id; None once removed
        self._slot: dict[Key, int] = {}
        self._text: dict[str, list[int]] = {}  # normalized text -> live slots with it, the first one indexed
        self._text_of: list[str] = []  # slot -> normalized text
        self._values = np.empty(0, np.int32)  # the slots' sorted shingle columns end to end, with spare room
        self._offsets = [0]  # slot -> its columns are _values[_offsets[slot]:_offsets[slot + 1]]
        self._signatures = np.empty((0, num_perm), np.uint32)  # slot -> signature (rows of copies unused)
        self._band_keys = [np.empty(0, _U64) for _ in range(self.bands)]  # per band, sorted
        self._band_slots = [np.empty(0, np.int64) for _ in range(self.bands)]

    def __len__(self) -> int:
        return len(self._slot)

    def __contains__(self, key: Key) -> bool:
        return key in self._slot

    def signatures(self, columns: list[list[int]]) -> np.ndarray:
        """MinHash signatures of non-empty lists of shingle columns: datasketch's affine32 values, many at once."""
        out = np.empty((len(columns), self.num_perm), np.uint32)
        vocabulary = np.array(self._vocabulary_hashes, np.uint32)
        for begin in range(0, len(columns), _SIGNATURE_BATCH):
            group = columns[begin:begin + _SIGNATURE_BATCH]
            hashes = _fmix(vocabulary[_flatten(group)])
            permuted = hashes[:, None] * self._a[None, :] + self._b[None, :]  # wraps modulo 2**32
            starts = np.cumsum([0] + [len(c) for c in group[:-1]])
            out[begin:begin + len(group)] = np.minimum.reduceat(permuted, starts, axis=0)
        return out

    def add(self, items: Iterable[tuple[Key, str]]) -> Duplicates:
        """Index (id, question) pairs in order and return the new ones' duplicates among the questions
        indexed before each (earlier in `items` included). An id indexed already is replaced."""
        found, chunk, keys = [], [], set()
        for key, question in items:
            if key in keys or len(chunk) == _CHUNK:  # an id given twice: index the first before the second
                found.append(self._add_chunk(chunk))
                chunk, keys = [], set()
            chunk.append((key, question))
            keys.add(key)
        if chunk:
            found.append(self._add_chunk(chunk))
        if not found:
            return empty()
        return Duplicates(*(np.concatenate([getattr(d, f) for d in found])
                            for f in ("ids", "others", "similarity", "exact")))

    def query(self, question: str) -> list[Match]:
        """The indexed questions this one duplicates, most similar first, without indexing it."""
        text, columns = self._prepare(question)
        if text in self._text:
            return [Match(self._ids[self._text[text][0]], 1.0, True)]
        if not len(columns):
            return []
        slots = self._candidates(self._band_rows(self.signatures([columns])), np.zeros(1, np.int64))[1]
        similarity = self._jaccard(_rows([columns], len(self._vocabulary_hashes)), np.zeros(len(slots), np.int64),
                                   slots)
        keep = np.flatnonzero(similarity >= self.threshold)
        keep = keep[np.argsort(-similarity[keep], kind="stable")]
        return [Match(self._ids[slots[i]], float(similarity[i]), False) for i in keep]

    def remove(self, keys: Iterable[Key]) -> None:
        """Forget these ids (pairs deleted, or edited before they are added again); unknown ids are ignored."""
        dropped, promoted = [], {}
        for key in keys:
            slot = self._slot.pop(key, None)
            if slot is None:
                continue
            self._ids[slot] = None
            same = self._text.get(self._text_of[slot])
            if same is None or same[0] != slot:  # an empty question, or a copy that was never banded
                if same:
                    same.remove(slot)
                continue
            same.pop(0)
            original = next((old for old, new in promoted.items() if new == slot), slot)
            if same:  # the next copy of this text stands for it now, under the same signature
                self._signatures[same[0]] = self._signatures[slot]
                promoted[original] = same[0]
            else:
                promoted.pop(original, None)
                dropped.append(original)
                del self._text[self._text_of[slot]]
        if not dropped and not promoted:
            return
        old, new = np.array(list(promoted), np.int64), np.array(list(promoted.values()), np.int64)
        order = np.argsort(old)
        old, new = old[order], new[order]
        for band in range(self.bands):
            slots = self._band_slots[band]
            if len(old):
                where = np.searchsorted(old, slots).clip(max=len(old) - 1)
                hit = old[where] == slots
                slots[hit] = new[where[hit]]
            keep = ~np.isin(slots, dropped)
            self._band_keys[band], self._band_slots[band] = self._band_keys[band][keep], slots[keep]

    def _prepare(self, question: str) -> tuple[str, list[int]]:
        """(normalized text, sorted shingle columns); new shingles join the vocabulary."""
        text = normalize(question)
        found = shingles_of_normalized(text)
        columns = [*map(self._vocabulary.get, found)]
        if None in columns:
            for shingle in found:
                if shingle not in self._vocabulary:
                    self._vocabulary[shingle] = len(self._vocabulary_hashes)
                    self._vocabulary_hashes.append(zlib.crc32(shingle.encode()))
            columns = [*map(self._vocabulary.__getitem__, found)]
        columns.sort()
        return text, columns

    def _add_chunk(self, chunk: list[tuple[Key, str]]) -> Duplicates:
        exact_pairs: list[tuple[int, int]] = []
        new_slots: list[int] = []  # slots that stand for a text not indexed before
        new_columns: list[list[int]] = []
        all_columns: list[list[int]] = []
        self.remove([key for key, _ in chunk if key in self._slot])  # replaced: indexed again below
        for key, question in chunk:
            text, columns = self._prepare(question)
            slot = len(self._ids)
            self._ids.append(key)
            self._slot[key] = slot
            self._text_of.append(text)
            all_columns.append(columns)
            if not text:
                continue
            same = self._text.setdefault(text, [])
            if same:
                exact_pairs.append((slot, same[0]))
            else:
                new_slots.append(slot)
                new_columns.append(columns)
            same.append(slot)
        self._store_columns(all_columns)
        self._grow_signatures(len(self._ids))
        new = np.array(new_slots, np.int64)
        self._signatures[new] = self.signatures(new_columns)
        later, earlier = self._candidates(self._band_rows(self._signatures[new]), new)
        similarity = self._jaccard(self._matrix(), later, earlier)
        near = similarity >= self.threshold
        later, earlier, similarity = later[near], earlier[near], similarity[near]
        self._insert_bands(new)
        exact = np.array(exact_pairs, np.int64).reshape(-1, 2)
        return Duplicates(self._keys(np.concatenate([exact[:, 0], later])),
                          self._keys(np.concatenate([exact[:, 1], earlier])),
                          np.concatenate([np.ones(len(exact), np.float64), similarity]).astype(np.float64),
                          np.concatenate([np.ones(len(exact), bool), np.zeros(len(later), bool)]))

    def _keys(self, slots: np.ndarray) -> np.ndarray:
        out = np.empty(len(slots), object)
        out[:] = [self._ids[s] for s in slots.tolist()]
        return out

    def _band_rows(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per band and signature: its rows folded together and mixed."""
        keys = np.zeros((len(signatures), self.bands), _U64)
        for band in range(self.bands):
            for row in range(band * self.rows, (band + 1) * self.rows):
                keys[:, band] = keys[:, band] * _U64(0x9E3779B97F4A7C15) + signatures[:, row].astype(_U64)
        return _fmix(keys)

    def _candidates(self, keys: np.ndarray, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(later, earlier) slot pairs that share a band: new signatures against the index and against
        each other (a new slot pairs only with smaller ones), each pair once."""
        if not len(slots):
            return np.empty(0, np.int64), np.empty(0, np.int64)
        codes = []
        for band in range(self.bands):
            known_keys, known_slots = self._band_keys[band], self._band_slots[band]
            lo = np.searchsorted(known_keys, keys[:, band], "left")
            counts = np.searchsorted(known_keys, keys[:, band], "right") - lo
            codes.append(self._code(np.repeat(slots, counts), known_slots[_expand(lo, counts)]))
            order = np.lexsort((slots, keys[:, band]))
            sorted_keys, sorted_slots = keys[order, band], slots[order]
            run = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
            run_start = np.flatnonzero(run)[np.cumsum(run) - 1]
            before = np.arange(len(sorted_keys)) - run_start
            codes.append(self._code(np.repeat(sorted_slots, before), sorted_slots[_expand(run_start, before)]))
        pairs = np.sort(np.concatenate(codes)) if codes else np.empty(0, _U64)
        pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if len(pairs) else pairs
        return (pairs >> _U64(32)).astype(np.int64), (pairs & _U64(0xFFFFFFFF)).astype(np.int64)

    @staticmethod
    def _code(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
        return (later.astype(_U64) << _U64(32)) | earlier.astype(_U64)

    def _jaccard(self, rows: csr_array, which: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Exact Jaccard of each row `rows[which[i]]` (0/1 shingle columns) with the indexed slot `slots[i]`."""
        out = np.empty(len(slots), np.float64)
        matrix = self._matrix()
        for start in range(0, len(slots), _PAIR_CHUNK):
            a = rows[which[start:start + _PAIR_CHUNK]]
            b = matrix[slots[start:start + _PAIR_CHUNK]]
            common = np.diff(a.multiply(b).tocsr().indptr)
            sizes = np.diff(a.indptr) + np.diff(b.indptr)
            out[start:start + a.shape[0]] = common / np.maximum(sizes - common, 1)
        return out

    def _store_columns(self, columns: list[list[int]]) -> None:
        end = self._offsets[-1]
        for c in columns:
            self._offsets.append(self._offsets[-1] + len(c))
        if self._offsets[-1] > len(self._values):  # doubling: amortized O(1) per shingle
            grown = np.empty(max(self._offsets[-1], 2 * len(self._values)), np.int32)
            grown[:end] = self._values[:end]
            self._values = grown
        self._values[end:self._offsets[-1]] = _flatten(columns)

    def _columns(self, slot: int) -> np.ndarray:
        return self._values[self._offsets[slot]:self._offsets[slot + 1]]

    def _matrix(self) -> csr_array:
        """Every slot's shingles as a 0/1 sparse matrix, one row per slot."""
        width = max(len(self._vocabulary_hashes), 1)
        nnz = self._offsets[-1]
        matrix = csr_array((np.ones(nnz, np.int8), self._values[:nnz], np.array(self._offsets, np.int64)),
                           shape=(len(self._offsets) - 1, width))
        matrix.has_sorted_indices = True
        return matrix

    def _insert_bands(self, slots: np.ndarray) -> None:
        if not len(slots):
            return
        keys = self._band_rows(self._signatures[slots])
        for band in range(self.bands):
            order = np.argsort(keys[:, band], kind="stable")
            where = np.searchsorted(self._band_keys[band], keys[order, band], "right")
            self._band_keys[band] = np.insert(self._band_keys[band], where, keys[order, band])
            self._band_slots[band] = np.insert(self._band_slots[band], where, slots[order])

    def _grow_signatures(self, size: int) -> None:
        if size > len(self._signatures):  # doubling: amortized O(1) per question
            grown = np.empty((max(size, 2 * len(self._signatures), 1024), self.num_perm), np.uint32)
            grown[:len(self._signatures)] = self._signatures
            self._signatures = grown

    def save(self, path: str | Path) -> None:
        """Write the index to one .npz file; ids must be all int or all str."""
        live = [slot for slot, key in enumerate(self._ids) if key is not None]
        keys = [self._ids[s] for s in live]
        kind = "int" if all(isinstance(k, int) for k in keys) else "str"
        if kind == "str" and not all(isinstance(k, str) for k in keys):
            raise TypeError("ids must be all int or all str to be saved")
        vocabulary = sorted(self._vocabulary, key=self._vocabulary.__getitem__)
        meta = {"version": _FORMAT_VERSION, "threshold": self.threshold, "num_perm": self.num_perm,
                "latin_ngram": LATIN_NGRAM, "ids": kind}
        columns = [self._columns(s) for s in live]
        with open(path, "wb") as file:
            np.savez(file, meta=np.array(json.dumps(meta)), vocabulary=np.array(vocabulary, dtype=str),
                     ids=np.array(keys, dtype=np.int64 if kind == "int" else str),
                     text=np.array([self._text_of[s] for s in live], dtype=str),
                     lengths=np.array([len(c) for c in columns], np.int64),
                     columns=np.concatenate(columns) if columns else np.empty(0, np.int64),
                     signatures=self._signatures[live])

    @classmethod
    def load(cls, path: str | Path) -> DuplicateIndex:
        """Read an index `save` wrote; the bands are rebuilt from the stored signatures, nothing is re-hashed."""
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            if meta.get("version") != _FORMAT_VERSION or meta.get("latin_ngram") != LATIN_NGRAM:
                raise ValueError(f"{path} was written by another version of qa.dedup: rebuild it from the questions")
            index = cls(meta["threshold"], meta["num_perm"])
            vocabulary = data["vocabulary"].tolist()
            index._vocabulary = {shingle: i for i, shingle in enumerate(vocabulary)}
            index._vocabulary_hashes = [zlib.crc32(s.encode()) for s in vocabulary]
            index._ids = data["ids"].tolist()
            index._slot = {key: slot for slot, key in enumerate(index._ids)}
            index._text_of = data["text"].tolist()
            index._values = data["columns"].astype(np.int32)
            index._offsets = [0, *np.cumsum(data["lengths"]).tolist()]
            index._signatures = data["signatures"].copy()
        new_slots = []
        for slot, text in enumerate(index._text_of):
            if text:
                same = index._text.setdefault(text, [])
                if not same:
                    new_slots.append(slot)
                same.append(slot)
        index._insert_bands(np.array(new_slots, np.int64))
        return index


def _flatten(lists: list[list[int]]) -> np.ndarray:
    return np.fromiter(chain.from_iterable(lists), np.int32, sum(len(x) for x in lists))


def _rows(columns: list[list[int]], width: int) -> csr_array:
    """A 0/1 sparse matrix with one row per sorted list of columns."""
    indptr = np.zeros(len(columns) + 1, np.int64)
    np.cumsum([len(c) for c in columns], out=indptr[1:])
    indices = _flatten(columns)
    matrix = csr_array((np.ones(len(indices), np.int8), indices, indptr), shape=(len(columns), width))
    matrix.has_sorted_indices = True
    return matrix
