"""Numbers in seed cells: ASCII, or the full-width forms dbt's `clean_number` reads as ASCII."""

from __future__ import annotations

import re

FULL_WIDTH_NUMBER_CHARACTERS = "０１２３４５６７８９＋－．−"
ASCII_NUMBER_CHARACTERS = "0123456789+-.-"
"""What the dbt macro `clean_number` (macros/text.sql) translates before its cast, character
for character: full-width digits, plus, minus and full stop (U+FF10-FF19, U+FF0B, U+FF0D,
U+FF0E: what NFKC makes of them), and U+2212 MINUS SIGN. Japanese input methods type these."""

_TO_ASCII = str.maketrans(FULL_WIDTH_NUMBER_CHARACTERS, ASCII_NUMBER_CHARACTERS)

# [0-9], not \d: Python's \d matches every script's digits, which DuckDB's cast refuses.
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
INTEGER = re.compile(r"[+-]?[0-9]+")


def ascii_number_text(text: str) -> str:
    """`text` with full-width digits, signs and full stops made ASCII, as `clean_number` does."""
    return text.translate(_TO_ASCII)


def not_a_number_message(text: str, kind: str) -> str:
    """Why `text` (not matching the number pattern after `ascii_number_text`) is not `kind`."""
    if not ascii_number_text(text).isascii():
        return (
            f"{text!r} is not {kind}: write it with the digits 0-9 (full-width digits are fine too)"
        )
    return f"{text!r} is not {kind}"
