"""The outcome commands of `leadscore`: calibrate (learn points) and compare (challenger seeds)."""

from __future__ import annotations

from pathlib import Path

import click


def _build_db(ctx: click.Context) -> Path:
    from .cli import _settings  # the one reader of --data-dir and the environment

    settings = _settings(ctx.obj["data_dir"])
    if not settings.build_db_path.exists():
        raise click.ClickException(
            f"no build database at {settings.build_db_path}; run `leadscore run` first"
        )
    return settings.build_db_path


def _fail(exc: Exception, paths: list[Path]) -> click.ClickException:
    from .errors import describe_failure

    return click.ClickException(describe_failure(exc, paths) or str(exc))


@click.command()
@click.option(
    "--model", "model_id", required=True, help="The model to learn points for (model_id)."
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to write seeds/, report.html and report.json to; default "
    "$LEADSCORE_DATA_DIR/calibration/<model>.",
)
@click.option(
    "--outcome-property",
    default=None,
    help="Learn from this property instead of the model's outcome (needs --outcome-value).",
)
@click.option(
    "--outcome-value", default=None, help="The --outcome-property value meaning converted."
)
@click.option(
    "--exclude-property",
    "exclude",
    multiple=True,
    help="A property never to learn from (repeatable), e.g. one filled in after conversion.",
)
@click.pass_context
def calibrate(ctx, model_id, out_dir, outcome_property, outcome_value, exclude) -> None:
    """Learn transparent points from the contacts with a known outcome (never edits seeds/)."""
    import duckdb

    from .cli import _settings
    from .config import SEEDS_DIR
    from .outcomes.calibrate import run_calibration
    from .outcomes.training import CalibrationError

    build_db = _build_db(ctx)
    settings = _settings(ctx.obj["data_dir"])
    out = Path(out_dir) if out_dir else settings.data_dir / "calibration" / model_id.strip().lower()
    click.echo(f"learning points for model {model_id} from {build_db} ...", err=True)
    try:
        outcome = run_calibration(
            build_db,
            SEEDS_DIR,
            out,
            model_id,
            outcome_property=outcome_property,
            outcome_value=outcome_value,
            exclude_properties=tuple(exclude),
        )
    except CalibrationError as exc:
        raise click.ClickException(str(exc)) from None
    except (duckdb.Error, OSError) as exc:
        raise _fail(exc, [build_db, out]) from None
    summary = outcome.summary
    auc = summary["auc"]
    click.echo(
        f"model {summary['model_id']}: {summary['contacts']} contacts, {summary['converted']} "
        f"converted; cross-validated AUC learned {auc['learned_cross_validated']['mean']} vs "
        f"current rules {auc['current_same_folds']['mean']}"
    )
    click.echo(
        f"{len(summary['rules'])} learned rules; suggested thresholds MQL "
        f"{summary['thresholds']['mql']}, SQL {summary['thresholds']['sql']}"
    )
    click.echo(f"seeds:  {outcome.seeds_dir}")
    click.echo(f"report: {outcome.report_html}")
    click.echo(f"        {outcome.report_json}")


@click.command()
@click.option(
    "--challenger",
    type=click.Path(file_okay=False, exists=True),
    required=True,
    help="A folder with seeds/ (what calibrate writes) or a seeds folder itself.",
)
@click.option(
    "--model", "model_id", default=None, help="Compare this model only; default every one."
)
@click.option("--top", "top_k", default=100, show_default=True, type=click.IntRange(min=1),
              help="k of precision at the top k.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
@click.pass_context
def compare(ctx, challenger, model_id, top_k, as_json) -> None:
    """Current seeds vs a challenger on the same contacts and outcomes (nothing is published)."""
    import json
    import tempfile

    import duckdb

    from .outcomes.compare import CompareError, compare_rule_sets, render_comparison
    from .warehouse.scratch import ScratchBuildError

    build_db = _build_db(ctx)
    folder = Path(challenger)
    seeds = folder / "seeds" if (folder / "seeds").is_dir() else folder
    from .rules import format_problems, validate_seeds

    problems = validate_seeds(seeds)
    if problems:
        click.echo(format_problems(problems))
        raise click.ClickException(f"{len(problems)} problem(s) in the challenger seeds {seeds}")
    click.echo("scoring the challenger on a scratch copy of the build ...", err=True)
    with tempfile.TemporaryDirectory(prefix="leadscore-compare-") as workdir:
        try:
            comparison = compare_rule_sets(build_db, seeds, Path(workdir), model_id, top_k)
        except (CompareError, ScratchBuildError) as exc:
            raise click.ClickException(str(exc)) from None
        except duckdb.Error as exc:
            raise _fail(exc, [build_db]) from None
    if as_json:
        click.echo(json.dumps(comparison, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(render_comparison(comparison))
