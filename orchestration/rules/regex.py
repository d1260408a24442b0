"""Whether a `regex` operator value runs in DuckDB's RE2 engine, which lacks some `re` features."""

from __future__ import annotations

import re


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot run in DuckDB's RE2 engine (as a case-insensitive search), or None."""
    unsupported = _re2_unsupported(pattern)
    if unsupported:
        return f"regex {pattern!r} uses {unsupported}, which DuckDB's RE2 engine does not support"
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"invalid regex {pattern!r}: {exc}"
    return None


def _re2_unsupported(pattern: str) -> str | None:
    """The first construct Python's `re` accepts but RE2 rejects, by name."""
    i = 0
    in_class = False
    length = len(pattern)
    while i < length:
        char = pattern[i]
        if char == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not in_class and nxt in "123456789" and nxt:
                return f"a backreference (\\{nxt})"
            if nxt == "Z":
                return "\\Z (use $)"
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            i += 1
            continue
        if char == "[":
            in_class = True
            i += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":  # a literal ] first in the class
                i += 1
            continue
        if char == "(" and pattern[i + 1 : i + 2] == "?":
            rest = pattern[i + 2 :]
            if rest.startswith(("=", "!")):
                return f"a lookahead ((?{rest[0]})"
            if rest.startswith(("<=", "<!")):
                return f"a lookbehind ((?{rest[:2]})"
            if rest.startswith("P="):
                return "a named backreference ((?P=)"
            if rest.startswith(">"):
                return "an atomic group ((?>)"
            if rest.startswith("("):
                return "a conditional group ((?()"
            i += 2
            continue
        if char in "*+?" and pattern[i + 1 : i + 2] == "+":
            return f"a possessive quantifier ({char}+)"
        i += 1
    return None
