"""`leadscore import`: a CRM's contacts export, as it is, into a landing contacts file."""

from __future__ import annotations

from pathlib import Path

import click

from .ingest.crm_import import SOURCES, ImportError_, import_export, parse_mappings


@click.command("import")
@click.argument("source", type=click.Choice(SOURCES, case_sensitive=False))
@click.argument("export", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="HEADER=COLUMN",
    help="Read the export's column HEADER as COLUMN (e.g. contact_id, email, or a property "
    "name); repeatable. Wins over the source's known headers.",
)
@click.pass_context
def import_(ctx: click.Context, source: str, export: Path, mappings: tuple[str, ...]) -> None:
    """Turn a HubSpot or Salesforce contacts export, or any CSV, into a landing file.

    English and Japanese headers are recognised (Record ID / レコードID, Email / Eメール, ...);
    every other column stays a property under its header. Files saved by Excel in Japan
    (Shift-JIS / CP932, UTF-8 with a BOM) are read correctly. Writes
    landing/contacts/<source>-<file name>.csv; the next `leadscore run` loads it.
    """
    from .cli import _settings  # the one reader of --data-dir and the environment

    settings = _settings(ctx.obj["data_dir"])
    try:
        summary = import_export(
            source.lower(), export, settings.landing_dir, parse_mappings(mappings)
        )
    except ImportError_ as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.describe())
