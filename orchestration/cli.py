"""The `leadscore` command line: demo data, runs, seed validation, explain, top leads, report."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from pathlib import Path

import click

from .config import ConfigError, load_settings, parse_as_of, resolve_as_of
from .dbt_cli import DbtParseError
from .errors import describe_failure

AS_OF_HELP = "Score as of this instant (ISO 8601, UTC if no zone); default LEADSCORE_AS_OF or now."


def _settings(data_dir: str | None):
    try:
        return load_settings(data_dir)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _as_of(value: str | None):
    try:
        return parse_as_of(value) if value else None
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from exc


def _run_as_of(value: str | None):
    """`--as-of`, else LEADSCORE_AS_OF, else now: the one precedence (config.resolve_as_of)."""
    flag = _as_of(value)
    try:
        return resolve_as_of(flag)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc


def _data_paths(ctx: click.Context) -> list[Path]:
    """Where a failed command wrote, when the error names no file: the data folder."""
    try:
        return [load_settings((ctx.obj or {}).get("data_dir")).data_dir]
    except ConfigError:
        return []


def _refuse_invalid_seeds(outcome: str) -> None:
    """Print the seeds' problems as `validate` does and stop with `outcome`, if there are any."""
    from .config import SEEDS_DIR
    from .rules import format_problems, validate_seeds

    problems = validate_seeds(SEEDS_DIR)
    if problems:
        click.echo(format_problems(problems))
        raise click.ClickException(
            f"{len(problems)} problem(s) in the seeds ({SEEDS_DIR}); {outcome}. Fix them "
            "(`leadscore validate` lists them) and run again"
        )


def _seed_parse_failure(exc: DbtParseError) -> click.ClickException:
    """`dbt parse` reads the seeds: when they have problems, say those (as validate does)."""
    outcome = "nothing was built or published"
    try:
        _refuse_invalid_seeds(outcome)
    except click.ClickException as refused:
        return refused
    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return click.ClickException(f"{first_line}; {outcome}")


class LeadscoreGroup(click.Group):
    """Turns what a user can cause anywhere below into a clear error, never a traceback: a bad
    setting, seeds dbt cannot parse, a full disk, a locked or damaged database file."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        except DbtParseError as exc:
            raise _seed_parse_failure(exc) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            message = describe_failure(exc, _data_paths(ctx))
            if message is None:
                raise  # a bug, not the user's doing: the traceback helps fix it
            raise click.ClickException(message) from None


def terminal_width() -> int:
    """The terminal's columns (COLUMNS, else the terminal of stdout; 100 when there is none)."""
    return shutil.get_terminal_size((100, 24)).columns


def use_color() -> bool:
    """Colour only on a terminal, and never with NO_COLOR set (config.color_allowed)."""
    from .config import color_allowed

    return sys.stdout.isatty() and color_allowed()


@click.group(cls=LeadscoreGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="leadscore", prog_name="leadscore")
@click.option(
    "--data-dir",
    envvar="LEADSCORE_DATA_DIR",
    type=click.Path(file_okay=False),
    help="Data folder (landing/, warehouse/, outbox/); default ./data.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show Dagster and dbt logs.")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, verbose: bool) -> None:
    """leadscore: explainable lead scoring on dbt + DuckDB, orchestrated by Dagster."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    ctx.obj = {"data_dir": data_dir, "verbose": verbose}


@main.command()
@click.option(
    "--contacts",
    default=2000,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many contacts to generate.",
)
@click.option(
    "--activities-per-contact",
    default=25,
    show_default=True,
    type=click.IntRange(min=0),
    help="The mean number of activities per contact.",
)
@click.option(
    "--seed",
    default=42,
    show_default=True,
    type=int,
    help="Random seed: the same seed gives byte-identical files.",
)
@click.option("--as-of", default=None, help=AS_OF_HELP)
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Show a progress bar while generating.",
)
@click.pass_context
def demo(ctx, contacts, activities_per_contact, seed, as_of, progress) -> None:
    """Write a realistic, deterministic demo data set to the landing folder."""
    from .demo import generate_demo

    settings = _settings(ctx.obj["data_dir"])
    counts = generate_demo(
        settings.landing_dir,
        contacts=contacts,
        activities_per_contact=activities_per_contact,
        seed=seed,
        as_of=_run_as_of(as_of),
        progress=progress,
    )
    detail = ", ".join(f"{entity} {count:,}" for entity, count in counts.items())
    click.echo(f"demo data written to {settings.landing_dir}: {detail}")


@main.command()
@click.option("--from", "start", required=True, help="First instant, e.g. 2026-08-01 (UTC).")
@click.option("--to", "end", required=True, help="Last instant, at most the last published run.")
@click.option("--every", default="1d", show_default=True, help="Step: 30m, 12h, 1d, 7d, 2w.")
@click.pass_context
def backfill(ctx, start, end, every) -> None:
    """Compute past instants into history only (score_history, stage_changes).

    No alerts, no CRM exports, no change to the current marts or the sticky memory; the seeds
    and landing files are used as they are now, and each row records its rule-set version.
    Instants a run published are skipped; re-running a range leaves the same rows.
    """
    from .backfill import BackfillError, run_backfill
    from .warehouse.run_lock import RunLockedError

    settings = _settings(ctx.obj["data_dir"])
    click.echo(f"backfilling history (data: {settings.data_dir}) ...")
    try:
        summary = run_backfill(settings, start, end, every, report=click.echo)
    except (BackfillError, RunLockedError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary.describe())


@main.command()
@click.option("--as-of", default=None, help=AS_OF_HELP)
@click.option(
    "--accept-impact",
    is_flag=True,
    help="Publish even if the rule-change guard finds too many stage changes.",
)
@click.pass_context
def run(ctx, as_of, accept_impact) -> None:
    """Run the whole pipeline: load, validate seeds, dbt build, guard, alerts, publish."""
    from .defs.runner import run_pipeline

    settings = _settings(ctx.obj["data_dir"])
    instant = _run_as_of(as_of)
    click.echo(f"running the refresh job (data: {settings.data_dir}) ...")
    verbose = ctx.obj["verbose"]
    log_path = settings.work_dir / "last_run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if not verbose:
            # dagster-dbt echoes every dbt line: keep them in a log file; the summary suffices.
            for name in ("dagster", "dagster.builtin"):
                logging.getLogger(name).setLevel(logging.ERROR)
            log_file = stack.enter_context(log_path.open("w", encoding="utf-8"))
            stack.enter_context(contextlib.redirect_stdout(log_file))
            stack.enter_context(contextlib.redirect_stderr(log_file))
        summary = run_pipeline(
            settings,
            as_of=instant,
            log_level="INFO" if verbose else "CRITICAL",
            accept_impact=accept_impact,
            progress=True,
        )
    click.echo(summary.describe())
    if not summary.success:
        if not verbose:
            click.echo(f"  dbt output: {log_path}")
        sys.exit(1)


@main.command()
@click.option(
    "--seeds-dir",
    type=click.Path(file_okay=False, exists=True),
    default=None,
    help="Folder of the seed CSV files; default the project's seeds/.",
)
def validate(seeds_dir) -> None:
    """Check the seeds; print every problem as file:line: column: message."""
    from .config import SEEDS_DIR
    from .rules import format_problems, validate_seeds

    problems = validate_seeds(Path(seeds_dir) if seeds_dir else SEEDS_DIR)
    if problems:
        click.echo(format_problems(problems))
        click.echo(f"{len(problems)} problem(s) found", err=True)
        sys.exit(1)
    click.echo("seeds are valid")


@main.command()
@click.option(
    "--model", "model_id", default="lead", show_default=True, help="The scoring model (model_id)."
)
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many contacts to list.",
)
@click.pass_context
def top(ctx, model_id, limit) -> None:
    """Print the top leads of the published warehouse."""
    from .reports import ReportError, model_quality_line, top_leads_table

    settings = _settings(ctx.obj["data_dir"])
    if not settings.warehouse_path.exists():
        raise click.ClickException(
            f"no published warehouse at {settings.warehouse_path}; run `leadscore run` first"
        )
    try:
        click.echo(top_leads_table(settings.warehouse_path, model_id, limit, terminal_width()))
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    quality = model_quality_line(settings.warehouse_path, model_id)
    if quality:
        click.echo(quality)


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the page to this file; default $LEADSCORE_DATA_DIR/reports/leadscore_report.html.",
)
@click.pass_context
def report(ctx, out) -> None:
    """Write an HTML report of the published warehouse, viewable offline: score bands, conversion
    by band, funnel, rule performance, top movers, model quality and threshold advice."""
    from .outcomes.report_page import write_report
    from .reports import ReportError

    settings = _settings(ctx.obj["data_dir"])
    if not settings.warehouse_path.exists():
        raise click.ClickException(
            f"no published warehouse at {settings.warehouse_path}; run `leadscore run` first"
        )
    target = Path(out) if out else settings.data_dir / "reports" / "leadscore_report.html"
    try:
        data = write_report(settings.warehouse_path, target)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    absent = data.missing_marts + data.outdated_marts
    if absent:
        names = ", ".join(f"marts.{mart}" for mart in absent)
        click.echo(
            f"note: this warehouse lacks {names} (published by an older leadscore); their "
            "sections say so",
            err=True,
        )
    click.echo(f"report written to {target}")


@main.command("dbt-parse")
def dbt_parse() -> None:
    """Write the dbt manifest (dbt_project/target/manifest.json) that Dagster loads."""
    from .dbt_cli import ensure_manifest

    path = ensure_manifest(force=True)
    click.echo(f"dbt manifest written to {path}")


@main.group()
def crm() -> None:
    """Write changed scores back to HubSpot and Salesforce (and outbox/crm_updates.csv)."""


@crm.command("setup")
@click.option(
    "--hubspot",
    is_flag=True,
    help="Create the leadscore contact property group and every missing property that "
    "seeds/crm_field_map.csv writes (needs HUBSPOT_ACCESS_TOKEN).",
)
def crm_setup(hubspot: bool) -> None:
    """Prepare a CRM for the export (creates only what is missing)."""

    from .crm import CrmError, setup_hubspot_properties

    if not hubspot:
        raise click.UsageError("say what to set up: --hubspot")
    try:
        created = setup_hubspot_properties(os.environ)
    except (CrmError, ConfigError) as exc:
        raise click.ClickException(str(exc)) from None
    if created:
        noun = "property" if len(created) == 1 else "properties"
        click.echo(f"HubSpot: created {len(created)} contact {noun}: {', '.join(created)}")
    else:
        click.echo("HubSpot: every mapped contact property already exists")


@crm.command("export")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would be sent: no HTTP request, no ledger change, no outbox file.",
)
@click.option(
    "--show",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="Records per target to print with --dry-run.",
)
@click.pass_context
def crm_export(ctx, dry_run: bool, show: int) -> None:
    """Send the scores that changed since the last accepted export (uses the last build)."""
    import dataclasses
    import json

    import duckdb

    from .crm import CrmError, policy_from_env, run_crm_exports

    settings = _settings(ctx.obj["data_dir"])
    if not settings.build_db_path.exists():
        raise click.ClickException(
            f"no build database at {settings.build_db_path}; run `leadscore run` first"
        )
    try:
        policy = policy_from_env()
        if dry_run:
            policy = dataclasses.replace(policy, preview_limit=show)
        with duckdb.connect(str(settings.build_db_path), read_only=dry_run) as con:
            summary = run_crm_exports(con, settings.outbox_dir, dry_run=dry_run, policy=policy)
    except (CrmError, ConfigError, duckdb.Error) as exc:
        message = describe_failure(exc, [settings.build_db_path, settings.outbox_dir])
        raise click.ClickException(message or str(exc)) from None
    click.echo(summary.describe())
    if dry_run:
        for target in summary.targets:
            for record in target.preview[:show]:
                text = json.dumps(record, ensure_ascii=False, default=str)
                click.echo(f"  {target.target}: {text}")
    elif summary.outbox_path:
        click.echo(f"  outbox: {summary.outbox_path}")
    for error in summary.errors[:20]:
        click.echo(f"  {error}", err=True)
    if not summary.success:
        sys.exit(1)


def _add_outcome_commands() -> None:
    """calibrate and compare live in cli_outcomes.py (this module stays readable)."""
    from .cli_outcomes import calibrate, compare

    main.add_command(calibrate)
    main.add_command(compare)


def _add_inspect_commands() -> None:
    """explain and impact live in cli_inspect.py."""
    from .cli_inspect import explain, impact

    main.add_command(explain)
    main.add_command(impact)


def _add_import_command() -> None:
    """`leadscore import` lives in cli_import.py."""
    from .cli_import import import_

    main.add_command(import_)


_add_outcome_commands()
_add_inspect_commands()
_add_import_command()


if __name__ == "__main__":
    main()
