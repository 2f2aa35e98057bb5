"""Retrieval from a memory stream: recency + importance + relevance (Park et al. 2023, 4.1).

score = a_rec * recency + a_imp * importance + a_rel * relevance, each term min-max normalised
over the candidates. recency = decay ** (hours since last access), decay 0.995; relevance is the
cosine between unit embeddings. When a term is constant over the candidates (max == min) it is
set to 0.5 for all of them, so it cannot change the ranking. An unrated record (its importance
rating failed) gets no importance term (0), the rated ones are normalised among themselves: the
failure costs it rank rather than lending it an invented rating. Ties in the total score go to
the lower (older) id. Everything is vectorised; retrieved records get their last access set to now.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simsocial.mind.memory import MemoryStream, Record

DECAY = 0.995
EINSUM_ROWS = 4096


@dataclass(frozen=True, slots=True)
class Weights:
    """The three weights of the retrieval score (all 1 in the paper)."""

    recency: float = 1.0
    importance: float = 1.0
    relevance: float = 1.0


def minmax(x: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant vector becomes 0.5 everywhere."""
    lo, hi = float(x.min()), float(x.max())
    if hi - lo <= 0.0:
        return np.full_like(x, 0.5, dtype=np.float64)
    return (x - lo) / (hi - lo)


def importance_term(imp: np.ndarray) -> np.ndarray:
    """Min-max over the rated records; 0 for unrated ones (NaN importance)."""
    rated = ~np.isnan(imp)
    if rated.all():
        return minmax(imp)
    term = np.zeros(imp.shape[0], dtype=np.float64)
    if rated.any():
        term[rated] = minmax(imp[rated])
    return term


def relevance_of(emb: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosines of unit rows with a unit query. Large streams use a single-threaded einsum: the
    product is bound by reading the matrix, and BLAS's second thread can wake milliseconds late
    when the other core is busy; small ones use BLAS, whose call overhead is lower."""
    if emb.shape[0] >= EINSUM_ROWS:
        return np.einsum("nd,d->n", emb, query)
    return emb @ query


def scores(
    stream: MemoryStream,
    query: np.ndarray,
    now: float,
    weights: Weights = Weights(),
    decay: float = DECAY,
    candidates: np.ndarray | list[int] | None = None,
) -> np.ndarray:
    """Retrieval scores for a unit-norm query: of every record, or of `candidates` (by id,
    in that order, normalised over them only)."""
    if candidates is None:
        idx: slice | np.ndarray = slice(None)
    else:
        idx = np.asarray(candidates, dtype=np.int64)
    last, imp, emb = stream.last_access[idx], stream.importance[idx], stream.embeddings[idx]
    if last.shape[0] == 0:
        return np.zeros(0)
    recency = np.exp(np.log(decay) * np.maximum(now - last, 0.0))  # = decay ** hours, faster
    relevance = relevance_of(emb, np.asarray(query, dtype=np.float32).reshape(-1))
    return (
        weights.recency * minmax(recency)
        + weights.importance * importance_term(imp)
        + weights.relevance * minmax(relevance.astype(np.float64))
    )


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k largest values, best first, ties to the lower index."""
    k = min(k, values.shape[0])
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k < values.shape[0]:
        part = np.argpartition(-values, k - 1)[:k]
        cut = values[part].min()
        part = np.flatnonzero(values >= cut)  # keep every tie at the cut, then order
    else:
        part = np.arange(values.shape[0])
    order = np.lexsort((part, -values[part]))
    return part[order][:k]


def retrieve(
    stream: MemoryStream,
    query: np.ndarray,
    now: float,
    k: int = 10,
    weights: Weights = Weights(),
    decay: float = DECAY,
    candidates: np.ndarray | list[int] | None = None,
) -> list[Record]:
    """The k best records (among `candidates` if given), best first; last access becomes now."""
    picked = top_k(scores(stream, query, now, weights, decay, candidates), k)
    ids = picked if candidates is None else np.asarray(candidates, dtype=np.int64)[picked]
    stream.touch(ids, now)
    return [stream.records[int(i)] for i in ids]
