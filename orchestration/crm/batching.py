"""Split export records into API-sized batches."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def batches(items: Sequence[T], size: int, key: Callable[[T], Hashable]) -> list[list[T]]:
    """Batches of at most `size` items, in order, never two items with the same key in one.

    CRM batch APIs reject a batch that names one record twice; the second item of a key goes
    to a later batch (the k-th occurrence of a key into the k-th round of batches).
    """
    if size < 1:
        raise ValueError(f"batch size must be positive, not {size}")
    rounds: list[list[T]] = []
    seen: dict[Hashable, int] = {}
    for item in items:
        item_key = key(item)
        occurrence = seen.get(item_key, 0)
        seen[item_key] = occurrence + 1
        if occurrence == len(rounds):
            rounds.append([])
        rounds[occurrence].append(item)
    return [chunk[start : start + size] for chunk in rounds for start in range(0, len(chunk), size)]
