"""Read one seed CSV into trimmed rows with their line numbers, or say why it cannot be read."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..vocabulary import trim
from .problems import SeedProblem
from .schema import OPTIONAL_SEEDS, SEED_COLUMNS, seed_label


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
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return unusable(line, "(file)", "is not UTF-8 text; save the file as UTF-8 CSV")

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
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            problems.append(SeedProblem(file, 1, column, "column appears twice in the header"))
        seen.add(column)
    for column in required:
        if column not in seen:
            problems.append(
                SeedProblem(
                    file,
                    1,
                    column,
                    f"required column is missing (expected columns: {', '.join(required)})",
                )
            )
    if problems:
        return Seed(name, file, [], usable=False), problems

    rows: list[SeedRow] = []
    for line, record in records[1:]:
        if len(record) > len(header):
            problems.append(
                SeedProblem(
                    file,
                    line,
                    "(row)",
                    f"row has {len(record)} values but the header has {len(header)} columns "
                    "(a comma inside a value needs double quotes)",
                )
            )
            continue
        values = {
            column: trim(cell)
            for column, cell in zip(header, record, strict=False)
            if column  # a blank header cell names no column
        }
        if not any(values.values()):
            problems.append(SeedProblem(file, line, "(row)", "row is empty; delete it"))
            continue
        rows.append(SeedRow(file, line, values))
    return Seed(name, file, rows, usable=True), problems
