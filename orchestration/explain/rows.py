"""Rows of the build database as dicts, and its numbers as exact or plain decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import duckdb

ZERO = Decimal("0.00")

Params = list[Any] | dict[str, Any] | None


def fetch_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> list[dict]:
    """Every row of a query, each as a dict by column name."""
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> dict | None:
    """The first row of a query as a dict, or None."""
    rows = fetch_rows(con, sql, params)
    return rows[0] if rows else None


def seed_number(value: Any) -> Decimal | None:
    """A seed number (double) as an exact 2-decimal value, for display next to points."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"))


def plain_number(value: Any) -> str:
    """1.0 -> '1', 2.5 -> '2.5' (window days, counts, limits)."""
    if value is None:
        return ""
    return format(Decimal(str(value)).normalize(), "f")
