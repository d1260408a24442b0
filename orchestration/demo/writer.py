"""Writing the demo Parquet files: fixed row groups, activity parts, removal of earlier runs."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .schemas import ACTIVITY_SCHEMA

# Most activity rows in one `demo_activities_<part>.parquet` file.
PART_ROWS = 5_000_000
# Parquet row group size. Row groups are cut at fixed row counts, so the files are byte-identical
# whatever chunk size was used to generate them.
ROW_GROUP_ROWS = 1_000_000
COMPRESSION = "zstd"


class ActivityPartWriter:
    """Writes `demo_activities_<part>.parquet` files of at most `part_rows` rows.

    Row groups are cut at fixed row counts from a buffer, so the bytes written do not depend on
    how the rows were chunked when they were generated.
    """

    def __init__(self, folder: Path, part_rows: int, row_group_rows: int) -> None:
        self.folder = folder
        self.part_rows = max(1, int(part_rows))
        self.row_group_rows = max(1, min(int(row_group_rows), self.part_rows))
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.writer: pq.ParquetWriter | None = None
        self.rows_in_part = 0
        self.parts = 0
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.buffer.append(table)
            self.buffered += table.num_rows
        self._drain(final=False)

    def close(self) -> int:
        self._drain(final=True)
        if self.writer is None:  # no rows at all: still write one (empty) file
            self._open()
        self._close_part()
        return self.rows

    def _drain(self, final: bool) -> None:
        while self.buffered:
            if self.writer is not None and self.rows_in_part >= self.part_rows:
                self._close_part()
            need = min(self.row_group_rows, self.part_rows - self.rows_in_part)
            if self.buffered < need and not final:
                return
            size = min(need, self.buffered)
            table = pa.concat_tables(self.buffer)
            rest = table.slice(size)
            self.buffer = [rest] if rest.num_rows else []
            self.buffered -= size
            if self.writer is None:
                self._open()
            assert self.writer is not None
            self.writer.write_table(table.slice(0, size).combine_chunks(), row_group_size=size)
            self.rows_in_part += size
            self.rows += size

    def _open(self) -> None:
        path = self.folder / f"demo_activities_{self.parts:04d}.parquet"
        self.writer = pq.ParquetWriter(path, ACTIVITY_SCHEMA, compression=COMPRESSION)
        self.parts += 1
        self.rows_in_part = 0

    def _close_part(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None
        self.rows_in_part = 0


def write_table(path: Path, table: pa.Table) -> int:
    """Write one whole table as a Parquet file; returns its row count."""
    pq.write_table(
        table.combine_chunks(), path, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS
    )
    return table.num_rows


def remove_demo_files(folder: Path) -> None:
    """Delete the `demo_*` files of an earlier run; any other file in the folder is kept."""
    for path in sorted(folder.glob("demo_*")):
        if path.is_file():
            path.unlink()
