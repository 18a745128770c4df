"""Near-duplicate search: MinHash signatures of character n-grams and an LSH index (datasketch).

Character n-grams need no word splitting, so Chinese, Japanese and code work like English. Each row is
shingled into the 32-bit rolling hashes of its n-grams (numpy, no Python loop per character) and datasketch
turns those into a MinHash; the LSH index proposes earlier rows that may be similar, and the estimated
Jaccard similarity of the two signatures decides. Only signatures are kept (num_perm x 4 bytes a row), never
the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_BASE = 1_000_003  # multiplier of the rolling n-gram hash (numpy is imported when hashing starts)


def ngram_hashes(text: str, n: int) -> Any:
    """The 32-bit hashes (a numpy uint32 array) of every n-character window of `text` (the whole text when
    shorter)."""
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    count = len(codes) - n + 1
    if count <= 1:
        value = 0
        for code in codes.tolist():
            value = (value * _BASE + code) & 0xFFFFFFFF
        return np.array([value], dtype=np.uint32)
    base = np.uint32(_BASE)
    hashes = np.zeros(count, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for k in range(n):
            hashes = hashes * base + codes[k : k + count]
    return hashes  # repeats do not change a minimum: no need to make them unique


def _as_is(values: Any) -> Any:
    return values


def lsh_params(threshold: float, num_perm: int, recall: float = 0.985) -> tuple[int, int]:
    """(bands, rows per band): the most rows per band (fewest needless candidates) that still make a pair at
    the threshold a candidate with probability >= `recall` (datasketch's own choice balances false positives
    against false negatives, and at 0.7 misses about a quarter of the pairs just above it)."""
    for rows in range(num_perm, 0, -1):
        bands = num_perm // rows
        if 1 - (1 - threshold**rows) ** bands >= recall:
            return bands, rows
    return num_perm, 1


@dataclass(frozen=True, slots=True)
class NearMatch:
    row: int  # the earlier row (index in audit order) this one is most similar to
    similarity: float


class NearDuplicateIndex:
    """Feed rows in source order with `add(row, text)`; each answer names the earlier row it nearly repeats.

    The signatures are datasketch MinHashes; the LSH banding is datasketch's (`MinHashLSH`'s band ranges and
    big-endian band keys) but its buckets are plain dicts from a band key to the first row filed under it
    (a list once a second row shares it): `MinHashLSH`'s storage keeps a set per key, and nearly every key
    is unique, which cost 6.5 KB a row (650 MB at 100k rows) and a query plus an insert per band."""

    def __init__(self, threshold: float, ngram: int = 5, num_perm: int = 64) -> None:
        from datasketch import LeanMinHash, MinHash

        self._lean = LeanMinHash
        self.threshold = threshold
        self.ngram = ngram
        bands, rows = lsh_params(threshold, num_perm)
        self.hashranges = [(i * rows, (i + 1) * rows) for i in range(bands)]
        self.tables: list[dict[bytes, Any]] = [{} for _ in range(bands)]
        # The values are hashes already: the whole array goes in as one batch item that hashes to itself,
        # so datasketch applies its permutations to it at once (a Python call per n-gram was half the audit).
        self.blank = MinHash(num_perm=num_perm, hashfunc=_as_is)
        self.signatures: dict[int, Any] = {}

    def signature(self, text: str) -> Any:
        """The MinHash of `text`, in one reused object (a new MinHash per row re-parses its permutations):
        valid until the next call; `add` keeps a LeanMinHash copy."""
        minhash = self.blank
        minhash.clear()
        minhash.update_batch([ngram_hashes(text, self.ngram)])
        return minhash

    def add(self, row: int, text: str) -> NearMatch | None:
        """Index `row`; the most similar earlier row at or above the threshold (the earliest on a tie)."""
        minhash = self.signature(text)
        best: NearMatch | None = None
        for other in self._file(row, minhash):
            similarity = minhash.jaccard(self.signatures[other])
            if similarity < self.threshold:
                continue
            if (
                best is None
                or similarity > best.similarity
                or (similarity == best.similarity and other < best.row)
            ):
                best = NearMatch(other, similarity)
        self.signatures[row] = self._lean(minhash)
        return best

    def _file(self, row: int, minhash: Any) -> set[int]:
        """File `row` under each band key of its signature; the earlier rows that share a band (candidates)."""
        width = minhash.hashvalues.itemsize
        raw = minhash.hashvalues.byteswap().tobytes()  # big-endian band keys, as MinHashLSH makes them
        found: set[int] = set()
        for (start, end), table in zip(self.hashranges, self.tables, strict=True):
            key = raw[start * width : end * width]
            earlier = table.get(key)
            if earlier is None:
                table[key] = row
            elif isinstance(earlier, list):
                found.update(earlier)
                earlier.append(row)
            else:
                found.add(earlier)
                table[key] = [earlier, row]
        return found
