"""Read one seed CSV into trimmed rows with their line numbers, or say why it cannot be read."""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..vocabulary import trim
from .problems import SeedProblem
from .schema import OPTIONAL_SEED_COLUMNS, OPTIONAL_SEEDS, SEED_COLUMNS, seed_columns, seed_label


@dataclass(frozen=True)
class SeedRow:
    """One data row of a seed: its file, CSV line and trimmed values by (lower-cased) column."""

    file: str
    line: int
    values: dict[str, str]

    def text(self, column: str) -> str:
        """The trimmed value, original case."""
        return self.values.get(column, "")

    def key(self, column: str) -> str:
        """The trimmed, lower-cased value used for comparisons."""
        return self.values.get(column, "").lower()


@dataclass
class Seed:
    """The readable rows of one seed file."""

    name: str
    file: str
    rows: list[SeedRow]
    usable: bool
    """False when the file is missing, unreadable or lacks a required column."""


def read_seed(seeds_dir: Path, name: str) -> tuple[Seed, list[SeedProblem]]:
    """The seed `name` under `seeds_dir`, and the problems that kept rows (or all of it) out."""
    file = seed_label(name)
    path = seeds_dir / f"{name}.csv"
    required = SEED_COLUMNS[name]
    problems: list[SeedProblem] = []

    def unusable(line: int, column: str, message: str) -> tuple[Seed, list[SeedProblem]]:
        problems.append(SeedProblem(file, line, column, message))
        return Seed(name, file, [], usable=False), problems

    if not path.is_file():
        if name in OPTIONAL_SEEDS:
            return Seed(name, file, [], usable=True), problems
        return unusable(1, "(file)", "required seed file is missing")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return unusable(1, "(file)", f"cannot be read: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return unusable(line, "(file)", not_utf8_message(raw))

    # A quoted value may span lines, so each record keeps the line it starts on.
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for record in reader:
            records.append((start, record))
            start = reader.line_num + 1
    except csv.Error as exc:
        return unusable(start, "(file)", f"cannot be read as CSV: {exc}")

    if not records or not any(trim(cell) for cell in records[0][1]):
        return unusable(1, "(header)", f"the header row is missing; expected {', '.join(required)}")

    header = [trim(cell).lower() for cell in records[0][1]]
    problems.extend(header_problems(name, header))
    if problems:
        return Seed(name, file, [], usable=False), problems

    rows: list[SeedRow] = []
    for line, record in records[1:]:
        if not any(trim(cell) for cell in record):
            problems.append(SeedProblem(file, line, "(row)", "row is empty; delete it"))
            continue
        # A row may stop before optional columns it leaves blank (a row written before the
        # file gained them): dbt loads the missing cells as blanks. Nothing else may be short.
        optional = set(OPTIONAL_SEED_COLUMNS.get(name, ()))
        if len(record) < len(header) and set(header[len(record) :]) <= optional:
            record = record + [""] * (len(header) - len(record))
        if len(record) != len(header):
            # dbt cannot load a row with more values than the header has columns.
            fix = (
                "a comma inside a value needs double quotes"
                if len(record) > len(header)
                else "each column needs a value, blank or not: add the missing commas"
            )
            problems.append(
                SeedProblem(
                    file,
                    line,
                    "(row)",
                    f"row has {len(record)} values but the header has {len(header)} columns "
                    f"({fix})",
                )
            )
            continue
        values = {column: trim(cell) for column, cell in zip(header, record, strict=True)}
        rows.append(SeedRow(file, line, values))
    return Seed(name, file, rows, usable=True), problems


def not_utf8_message(raw: bytes) -> str:
    """Why a seed's bytes cannot be read, naming Excel's Japanese default when it fits."""
    try:
        raw.decode("cp932")
    except UnicodeDecodeError:
        guess = ""
    else:
        guess = ' (it looks like Shift-JIS/CP932, what Excel saves as "CSV (Comma delimited)")'
    return (
        f"is not UTF-8 text{guess}; save it as UTF-8: in Excel choose "
        '"CSV UTF-8 (Comma delimited) (*.csv)", in an editor the encoding UTF-8'
    )


def header_problems(name: str, header: list[str]) -> Iterator[SeedProblem]:
    """Problems of a seed's (trimmed, lower-cased) header: line 1, one per column at fault.

    dbt loads a seed into a table of fixed columns, by position: a column it does not know, a
    missing one or a moved one would fail the build, or load values into the wrong column.
    """
    file = seed_label(name)
    allowed = seed_columns(name)
    # The optional columns the file has count as expected; the others are in the README.
    shown = [c for c in allowed if c in SEED_COLUMNS[name] or c in header]
    expected = f"expected columns, in this order: {', '.join(shown)}"
    seen: set[str] = set()
    faults = 0
    for index, column in enumerate(header, start=1):
        message = None
        if not column:
            message = "a column without a name in the header; delete the whole column"
            column = f"(column {index})"
        elif column in seen:
            message = "column appears twice in the header"
        elif column not in allowed:
            close = difflib.get_close_matches(column, allowed, n=1)
            guess = f"did you mean {close[0]}? " if close else ""
            message = f"unknown column; {guess}a seed has no other columns ({expected})"
        seen.add(column)
        if message:
            faults += 1
            yield SeedProblem(file, 1, column, message)
    for column in SEED_COLUMNS[name]:
        if column not in seen:
            faults += 1
            yield SeedProblem(file, 1, column, f"required column is missing ({expected})")
    in_order = [column for column in allowed if column in seen]
    if not faults and header != in_order:
        yield SeedProblem(
            file,
            1,
            "(header)",
            "the columns are out of order; dbt loads seed columns by position, so a moved "
            f"column would be read as another one. Put them in this order: {', '.join(in_order)}",
        )
