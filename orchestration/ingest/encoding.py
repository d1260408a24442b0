"""Landing text files that are not UTF-8: which encoding they are in, and a UTF-8 copy to read.

DuckDB reads UTF-8 only. Excel on Japanese Windows saves "CSV (Comma delimited)" as Shift-JIS
(CP932), and "Unicode Text" as UTF-16: such files are re-encoded to a UTF-8 copy (same lines,
so quarantine line numbers still point into the original). Anything else is refused with how
to save the file as UTF-8.
"""

from __future__ import annotations

import codecs
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

_BLOCK = 1 << 20
SAVE_AS_UTF8 = (
    'save it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited) (*.csv)"; in an editor: '
    "encoding UTF-8) and put it in the landing folder again"
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Text decoded from CP932 is taken for Japanese (not another 8-bit encoding read wrongly) when it
# has kana, or two CJK ideographs in a row: bytes of Latin-1 or Windows-1252 text decode to
# isolated ideographs and half-width katakana, never to full-width kana (lead bytes 0x82/0x83).
_JAPANESE = re.compile(r"[\u3041-\u30ff]|[\u4e00-\u9fff]{2}")


@dataclass(frozen=True)
class TextEncoding:
    """What a landing text file is encoded in, as far as reading it needs to know."""

    name: str
    """`utf-8`, `cp932`, `utf-16`, or `unknown`."""
    first_bad_line: int | None = None
    """The first line that is not UTF-8 (None for UTF-8 and UTF-16 files)."""

    @property
    def readable(self) -> bool:
        """Whether the loader can read the file (directly, or through a UTF-8 copy)."""
        return self.name != "unknown"

    def problem(self) -> str:
        """Why an `unknown` file is not loaded, and how to fix it."""
        return (
            f"is not UTF-8 text (line {self.first_bad_line} is in another encoding, e.g. "
            f"Windows-1252 or Latin-1); {SAVE_AS_UTF8}"
        )


def detect_encoding(path: Path) -> TextEncoding:
    """Read `path` once in blocks: UTF-8, else UTF-16 (by its BOM), else CP932 if it is
    Japanese text that decodes cleanly, else unknown (with the first line that is not UTF-8)."""
    with path.open("rb") as handle:
        start = handle.read(2)
    if start in _UTF16_BOMS:
        return TextEncoding("utf-16")
    bad_line = _first_undecodable_line(path, "utf-8")
    if bad_line is None:
        return TextEncoding("utf-8")
    if _first_undecodable_line(path, "cp932") is None and _looks_japanese(path):
        return TextEncoding("cp932", bad_line)
    return TextEncoding("unknown", bad_line)


def write_utf8_copy(path: Path, encoding: TextEncoding, target: Path) -> Path:
    """Re-encode `path` from `encoding` to UTF-8 at `target` (line breaks kept as they are)."""
    with (
        path.open("r", encoding=encoding.name, newline="") as source,
        target.open("w", encoding="utf-8", newline="") as copy,
    ):
        shutil.copyfileobj(source, copy, _BLOCK)
    return target


def _first_undecodable_line(path: Path, encoding: str) -> int | None:
    """The line of the first byte `encoding` cannot decode, or None when all of it decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines_before = 0
    with path.open("rb") as handle:
        while True:
            block = handle.read(_BLOCK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                # `exc.object` is this block after the bytes of a character the previous block
                # split (never a line break): the lines before the bad byte are counted in it.
                return lines_before + exc.object[: exc.start].count(b"\n") + 1
            if not block:
                return None
            lines_before += block.count(b"\n")


def _looks_japanese(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("cp932")()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if _JAPANESE.search(decoder.decode(block)):
                return True
    return False
