"""CRM contact exports as they are (HubSpot, Salesforce, any CSV) into a landing contacts file.

An export's headers are its CRM's labels, in the language of whoever exported it. Each source
has a profile: for each landing column (contract §1) the headers that mean it, English and
Japanese. Headers are compared after Unicode NFKC folding (full-width letters and spaces), trim
and case folding. Every other column stays a property under its own header, so rules can test
it by name. Files saved by Excel in Japan (CP932 / Shift-JIS, UTF-8 with a BOM, UTF-16) are read
in their encoding (ingest/encoding.py); the landing file is always UTF-8.

Where the headers come from (checked, not guessed): HubSpot's English headers are those of a real
"all properties" contacts export (Record ID first); the Japanese ones are HubSpot's Japanese
labels (knowledge.hubspot.com/ja, the import mapper). Salesforce: the Lead object's field labels
and API names (developer.salesforce.com field reference), report headers ("Company / Account"),
and Japanese labels from Salesforce's Japanese help. Labels an admin renamed, or ones listed here
as unconfirmed in the README, are mapped with `--map "header=column"`.
"""

from __future__ import annotations

import csv
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..vocabulary import trim
from .encoding import detect_encoding

SOURCES = ("hubspot", "salesforce", "csv")

# Landing column -> the headers that mean it in each source's exports.
_HUBSPOT: dict[str, tuple[str, ...]] = {
    "contact_id": ("Record ID", "レコードID", "Contact ID", "hs_object_id"),
    "email": ("Email", "Eメール", "email"),
    "first_name": ("First Name", "名", "firstname"),
    "last_name": ("Last Name", "姓", "lastname"),
    "job_title": ("Job Title", "役職", "jobtitle"),
    "company": ("Company Name", "会社名", "company"),
    "industry": ("Industry", "industry"),
    "employee_count": ("Number of Employees", "numemployees"),
    "annual_revenue": ("Annual Revenue", "年間売上高", "annualrevenue"),
    "country": ("Country/Region", "country"),
    "original_source": ("Original Source", "hs_analytics_source"),
    "lifecycle_stage": ("Lifecycle Stage", "ライフサイクルステージ", "lifecyclestage"),
    "email_opt_out": ("Unsubscribed from all email", "hs_email_optout"),
    "created_at": ("Create Date", "作成日", "createdate"),
    "updated_at": ("Last Modified Date", "lastmodifieddate"),
}
_SALESFORCE: dict[str, tuple[str, ...]] = {
    "contact_id": ("Lead ID", "Id"),
    "email": ("Email", "メール"),
    "first_name": ("First Name", "FirstName", "名"),
    "last_name": ("Last Name", "LastName", "姓"),
    "job_title": ("Title", "役職"),
    "company": ("Company / Account", "Company", "会社名"),
    "industry": ("Industry", "業種"),
    "employee_count": ("Employees", "No. of Employees", "NumberOfEmployees", "従業員数"),
    "annual_revenue": ("Annual Revenue", "AnnualRevenue", "年間売上"),
    "country": ("Country",),
    "original_source": ("Lead Source", "LeadSource", "リードソース"),
    "lifecycle_stage": ("Lead Status", "Status", "リード状況"),
    "email_opt_out": ("Email Opt Out", "HasOptedOutOfEmail", "メール送信除外"),
    "created_at": ("Create Date", "Created Date", "CreatedDate", "作成日"),
    "updated_at": ("Last Modified Date", "LastModifiedDate"),
}
LANDING_CONTACT_COLUMNS = tuple(_HUBSPOT)
"""The contract's contact columns (§1); every other column is a property under its header."""
PROFILES: dict[str, Mapping[str, tuple[str, ...]]] = {
    "hubspot": _HUBSPOT,
    "salesforce": _SALESFORCE,
    "csv": {"contact_id": ("contact_id",)},
}

TIMESTAMP_COLUMNS = ("created_at", "updated_at")
# Export date formats read into ISO 8601 (exports carry no zone: read as UTC, as the loader does).
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
)


class ImportError_(ValueError):  # noqa: N801 - not the builtin ImportError
    """The export cannot be turned into a landing file; the message says why and what to do."""


@dataclass
class ImportSummary:
    """What an import wrote, for the command's report."""

    source: str
    path: Path
    encoding: str
    rows: int
    mapped: dict[str, str]
    """Landing column -> the export header it came from."""
    properties: list[str]
    blank_ids: int = 0
    unread_dates: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        lines = [
            f"imported {self.rows:,} contact(s) from a {self.source} export "
            f"({self.encoding}) into {self.path}",
            "  columns: "
            + ", ".join(f"{header} -> {column}" for column, header in self.mapped.items()),
            f"  kept as properties ({len(self.properties)}): "
            + ", ".join(self.properties[:12])
            + (" ..." if len(self.properties) > 12 else ""),
        ]
        if self.blank_ids:
            lines.append(
                f"  {self.blank_ids:,} row(s) have no {self.mapped['contact_id']}: the next run "
                "quarantines them (missing contact_id)"
            )
        for column, count in self.unread_dates.items():
            lines.append(
                f"  {count:,} {column} value(s) are in no known date format and are kept as "
                "written (the loader keeps them as text)"
            )
        lines.append("  next: `leadscore run` scores them")
        return "\n".join(lines)


def header_key(header: str) -> str:
    """How headers are compared: NFKC (full-width to half-width), trimmed, case-folded."""
    return trim(unicodedata.normalize("NFKC", header)).casefold()


def parse_mappings(pairs: Iterable[str]) -> dict[str, str]:
    """`--map "header=column"` options as {header key: column}; a clear error for a bad one."""
    mappings: dict[str, str] = {}
    for pair in pairs:
        header, sep, column = pair.partition("=")
        if not sep or not trim(header) or not trim(column):
            raise ImportError_(
                f'--map {pair!r}: write it as header=column, e.g. --map "Customer No=contact_id"'
            )
        mappings[header_key(header)] = trim(column)
    return mappings


def read_export(path: Path) -> tuple[list[str], list[list[str]], str]:
    """The export's header, rows and encoding; UTF-8 (with or without a BOM), UTF-16 and CP932."""
    if not path.is_file():
        raise ImportError_(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xls"):
        raise ImportError_(
            f"{path.name} is an Excel workbook; export CSV from the CRM, or in Excel save it as "
            '"CSV UTF-8 (Comma delimited) (*.csv)"'
        )
    encoding = detect_encoding(path)
    if not encoding.readable:
        raise ImportError_(f"{path.name} {encoding.problem()}")
    python_encoding = "utf-8-sig" if encoding.name == "utf-8" else encoding.name
    with path.open(encoding=python_encoding, newline="") as handle:
        sample = handle.read(64 * 1024)
        handle.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        rows = list(csv.reader(handle, dialect))
    rows = [row for row in rows if any(trim(cell) for cell in row)]
    if not rows:
        raise ImportError_(
            f"{path.name} is empty: an export has a header row and one row a contact"
        )
    header = [cell.lstrip("\ufeff") for cell in rows[0]]
    return header, rows[1:], encoding.name


def plan_columns(
    header: list[str], source: str, mappings: Mapping[str, str]
) -> tuple[list[str], dict[str, str]]:
    """Each export column's landing name, and {landing column: export header} of the mapped.

    `mappings` (from --map) win over the source's profile. Two columns for one landing name,
    or no id column at all, are errors that name the headers found.
    """
    known = {header_key(h): h for h in header}
    unknown = [h for h in mappings if h not in known]
    if unknown:
        raise ImportError_(
            f"--map names header(s) not in the file: {', '.join(unknown)} "
            f"(found: {', '.join(header)})"
        )
    by_key = {
        header_key(alias): column
        for column, aliases in PROFILES[source].items()
        for alias in aliases
    }
    names: list[str] = []
    mapped: dict[str, str] = {}
    taken: dict[str, str] = {}  # header_key(landing name) -> the export header that took it
    for written in header:
        key = header_key(written)
        column = mappings.get(key) or by_key.get(key) or written
        if header_key(column) in taken:
            raise ImportError_(
                f"two columns would both be {column!r}: {taken[header_key(column)]!r} and "
                f'{written!r}; name one of them with --map "{written}=<another name>"'
            )
        taken[header_key(column)] = written
        names.append(column)
        if column != written or column in LANDING_CONTACT_COLUMNS:
            mapped[column] = written
    if "contact_id" not in names:
        hint = " or ".join(repr(a) for a in PROFILES[source]["contact_id"][:2])
        raise ImportError_(
            f"no contact id column: a {source} export has {hint} "
            f'(found: {", ".join(header)}); name yours with --map "<header>=contact_id"'
        )
    return names, mapped


def iso_timestamp(value: str) -> str | None:
    """An export date in ISO 8601 (already-ISO text unchanged), or None if no format fits."""
    text = trim(value)
    if not text:
        return ""
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        return text
    except ValueError:
        pass
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).isoformat(sep=" ")
        except ValueError:
            continue
    return None


def landing_file_name(source: str, export: Path) -> str:
    return f"{source}-{export.stem}.csv"


def import_export(
    source: str,
    export: Path,
    landing_dir: Path,
    mappings: Mapping[str, str] | None = None,
) -> ImportSummary:
    """Write `export` as `landing_dir/contacts/<source>-<name>.csv` (UTF-8), atomically."""
    if source not in SOURCES:
        raise ImportError_(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
    header, rows, encoding = read_export(export)
    names, mapped = plan_columns(header, source, mappings or {})
    id_index = names.index("contact_id")
    unread: dict[str, int] = {}
    for column in TIMESTAMP_COLUMNS:
        if column not in names:
            continue
        index = names.index(column)
        for row in rows:
            if index < len(row):
                converted = iso_timestamp(row[index])
                if converted is None:
                    unread[column] = unread.get(column, 0) + 1
                else:
                    row[index] = converted
    target_dir = landing_dir / "contacts"
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / landing_file_name(source, export)
    handle, temp = tempfile.mkstemp(dir=target_dir, prefix=".import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(names)
            for row in rows:
                writer.writerow((row + [""] * len(names))[: len(names)])
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)
    blank_ids = sum(1 for row in rows if id_index >= len(row) or not trim(row[id_index]))
    properties = [n for n in names if n not in mapped]
    return ImportSummary(source, target, encoding, len(rows), mapped, properties, blank_ids, unread)
