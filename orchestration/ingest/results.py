"""What loading did: per-file results and the summary of one pass over the landing folder."""

from __future__ import annotations

from dataclasses import dataclass, field


class LandingFileError(Exception):
    """A landing file that cannot be loaded at all (unreadable, or a required column missing)."""


@dataclass
class FileResult:
    """What loading one landing file did."""

    entity: str
    path: str
    status: str  # loaded | skipped | error
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    encoding: str | None = None
    """The encoding a file that is not UTF-8 was read from (`cp932`, `utf-16`), else None."""


@dataclass
class IngestSummary:
    """What one pass over the landing folder did."""

    files: list[FileResult] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    """Files loaded by an earlier run that are no longer in the landing folder."""

    def _sum(self, attr: str, status: str | None = None) -> int:
        return sum(getattr(f, attr) for f in self.files if status is None or f.status == status)

    @property
    def rows_read(self) -> int:
        return self._sum("rows_read")

    @property
    def rows_loaded(self) -> int:
        return self._sum("rows_loaded")

    @property
    def rows_quarantined(self) -> int:
        return self._sum("rows_quarantined")

    @property
    def files_loaded(self) -> int:
        return sum(1 for f in self.files if f.status == "loaded")

    @property
    def files_skipped(self) -> int:
        return sum(1 for f in self.files if f.status == "skipped")

    @property
    def file_errors(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "error"]

    def describe(self) -> str:
        text = (
            f"landing: {self.files_loaded} file(s) loaded, {self.files_skipped} unchanged, "
            f"{len(self.file_errors)} failed; rows read {self.rows_read:,}, "
            f"loaded {self.rows_loaded:,}, quarantined {self.rows_quarantined:,}"
        )
        for failed in self.file_errors:
            text += f"\n  ! {failed.path}: {failed.error}"
        for converted in (f for f in self.files if f.encoding):
            text += f"\n  {converted.path}: not UTF-8, read as {converted.encoding}"
        if self.missing_files:
            text += "\n" + missing_files_notice(self.missing_files)
        return text


def missing_files_notice(paths: list[str]) -> str:
    """What a deleted landing file means, and how to retract its rows."""
    return (
        f"  {len(paths)} landing file(s) loaded earlier are no longer in the landing folder: "
        + ", ".join(paths[:5])
        + (" ..." if len(paths) > 5 else "")
        + ". Their rows stay loaded and scored (a landing folder may be cleaned up after "
        "loading); to retract a file's rows, put back a file of the same name holding only "
        "the header line"
    )
