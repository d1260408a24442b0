"""Deterministic random draws: counter-based uniforms, categorical picks, weighted sampling."""

from __future__ import annotations

import numpy as np

# SplitMix64 constants (Steele, Lea and Flood): the golden-ratio increment and the two multipliers.
_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_SPLITMIX_MULTIPLIER_1 = np.uint64(0xBF58476D1CE4E5B9)
_SPLITMIX_MULTIPLIER_2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a uint64 array (wrapping arithmetic)."""
    z = values + _GOLDEN_GAMMA
    z ^= z >> np.uint64(30)
    z *= _SPLITMIX_MULTIPLIER_1
    z ^= z >> np.uint64(27)
    z *= _SPLITMIX_MULTIPLIER_2
    z ^= z >> np.uint64(31)
    return z


class CounterRandom:
    """Counter-based random numbers: a pure function of (seed, stream, key).

    Activity rows are keyed by (contact, segment, sequence), so every value is the same whichever
    chunk of contacts generates it: output does not depend on the chunk size.
    """

    def __init__(self, seed: int) -> None:
        base = _splitmix64(np.array([seed & 0xFFFF_FFFF_FFFF_FFFF], dtype=np.uint64))
        streams = np.arange(1, 65, dtype=np.uint64) * _GOLDEN_GAMMA
        self._salts = _splitmix64(_splitmix64(base ^ streams))

    def uniform(self, key: np.ndarray, stream: int) -> np.ndarray:
        """Uniform floats in the open interval (0, 1)."""
        hashed = _splitmix64(key ^ self._salts[stream])
        # The top 53 bits, centred in their bucket: never exactly 0 (log-safe) nor 1.
        return ((hashed >> np.uint64(11)).astype(np.float64) + 0.5) * (1.0 / (1 << 53))

    def normal(self, key: np.ndarray, stream1: int, stream2: int) -> np.ndarray:
        """Standard normal draws (Box-Muller)."""
        u1 = self.uniform(key, stream1)
        u2 = self.uniform(key, stream2)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def cdf_table(table: np.ndarray | list) -> np.ndarray:
    """Cumulative distribution per row of a weight table; an all-zero row always picks column 0."""
    weights = np.asarray(table, dtype=np.float64)
    weights = np.atleast_2d(weights)
    sums = weights.sum(axis=1, keepdims=True)
    weights = np.where(sums > 0, weights / np.where(sums > 0, sums, 1.0), 0.0)
    weights[sums[:, 0] <= 0, 0] = 1.0
    cdf = np.cumsum(weights, axis=1)
    cdf[:, -1] = 1.0
    return cdf


def pick_category(draws: np.ndarray, cdf: np.ndarray, group: np.ndarray | int) -> np.ndarray:
    """Categorical draw per row from the row's group distribution (loop over groups only)."""
    if np.ndim(group) == 0:
        return np.searchsorted(cdf[int(group)], draws, side="right").astype(np.int64)
    picked = np.zeros(len(draws), dtype=np.int64)
    for group_index in range(cdf.shape[0]):
        mask = group == group_index
        if mask.any():
            picked[mask] = np.searchsorted(cdf[group_index], draws[mask], side="right")
    return picked


def percentile_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each value as a fraction in (0, 1); ties are broken by position."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.arange(len(values))
    return (ranks + 0.5) / max(len(values), 1)


def choose_weighted(rng: np.random.Generator, log_weight: np.ndarray, count: int) -> np.ndarray:
    """Mask of `count` rows sampled by weight without replacement (Gumbel top-k).

    A -inf log weight is never chosen.
    """
    keys = log_weight + rng.gumbel(size=len(log_weight))
    eligible = int(np.isfinite(keys).sum())
    count = min(count, eligible)
    chosen = np.zeros(len(log_weight), dtype=bool)
    if count > 0:
        chosen[np.argpartition(-keys, count - 1)[:count]] = True
    return chosen
