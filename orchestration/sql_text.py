"""Quoting for the few identifiers and file paths the loader must put into DuckDB SQL text."""

from __future__ import annotations


def sql_ident(name: str) -> str:
    """A double-quoted identifier; any embedded double quote is doubled."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: str) -> str:
    """A single-quoted string literal; any embedded single quote is doubled."""
    return "'" + value.replace("'", "''") + "'"
