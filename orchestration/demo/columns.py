"""Arrow column builders (strings by index, padded digits, timestamps); microsecond time units."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

DAY_US = 86_400_000_000
SECOND_US = 1_000_000


def take_strings(
    values: list[str] | pa.Array, indices: np.ndarray, mask: np.ndarray | None = None
) -> pa.Array:
    """Strings by index; `mask` True gives null."""
    strings = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    return pc.take(strings, pa.array(indices.astype(np.int64), mask=mask))


def digit_strings(values: np.ndarray, width: int = 0) -> pa.Array:
    """Integers as decimal strings, left-padded with zeros to `width` (0: no padding)."""
    text = pc.cast(pa.array(values.astype(np.int64)), pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def concat_strings(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*parts, "")


def base36_strings(values: np.ndarray, width: int) -> pa.Array:
    """Non-negative integers as fixed-width upper-case base-36 strings."""
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    remaining = values.astype(np.int64).copy()
    chars = np.empty((len(remaining), width), dtype=np.uint8)
    for position in range(width - 1, -1, -1):  # loop over character positions, not rows
        chars[:, position] = alphabet[remaining % 36]
        remaining //= 36
    return pc.cast(pa.array(chars.view(f"S{width}").ravel()), pa.string())


def timestamps(us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Microseconds since the epoch as a naive timestamp column; `mask` True gives null."""
    return pa.array(us.astype(np.int64), type=pa.timestamp("us"), mask=mask)


def floor_to_second(us: np.ndarray) -> np.ndarray:
    us = us.astype(np.int64)
    return us - np.mod(us, SECOND_US)


def month_index(us: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of each microsecond timestamp."""
    return us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
