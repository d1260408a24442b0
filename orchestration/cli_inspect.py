"""The `leadscore` commands that read the build: explain (a contact or an account) and impact."""

from __future__ import annotations

import click

from .config import format_as_of
from .errors import describe_failure


@click.command()
@click.argument("contact_id", required=False)
@click.option(
    "--account",
    default=None,
    metavar="ACCOUNT_ID",
    help="Explain an account's score (marts.account_scores) instead of a contact's.",
)
@click.option(
    "--model",
    "model_id",
    default=None,
    help="Explain this model only; default every model that scores the contact.",
)
@click.option(
    "--as-of",
    default=None,
    help="Explain as of this instant (ISO 8601, UTC if no zone); default the last build's. "
    "Another instant replays the build on a scratch copy (the build is not changed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (a list of models).")
@click.option(
    "--full",
    is_flag=True,
    help="Every rule with its evidence, decay, caps and feedback (default: a summary of the "
    "scores, the stage and why, and the matched rules).",
)
@click.pass_context
def explain(ctx, contact_id, account, model_id, as_of, as_json, full) -> None:
    """Every rule of a model for one contact, matched or not, with points and evidence;
    with --account, how an account's score is made from its contacts'."""
    from .cli import _as_of, _settings, terminal_width, use_color
    from .explain import ExplainError, explain_contact, open_build, render_explanation, to_json

    if (contact_id is None) == (account is None):
        raise click.UsageError("give a CONTACT_ID or --account ACCOUNT_ID (one of them)")
    settings = _settings(ctx.obj["data_dir"])
    parsed = _as_of(as_of)

    def announce(instant, built_at) -> None:
        built = format_as_of(built_at) if built_at else "unknown"
        click.echo(
            f"replaying the build (as of {built}) as of {format_as_of(instant)} "
            "on a scratch copy ...",
            err=True,
        )

    from .explain.accounts import explain_account, render_account

    try:
        with open_build(settings.build_db_path, parsed, on_replay=announce) as con:
            if account is not None:
                data = explain_account(con, account, model_id)
            else:
                data = explain_contact(con, contact_id, model_id)
    except ExplainError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(to_json(data))
    elif account is not None:
        click.echo(render_account(data, width=terminal_width()), nl=False)
    else:
        text = render_explanation(data, width=terminal_width(), color=use_color(), full=full)
        click.echo(text, nl=False)


@click.command()
@click.option(
    "--as-of", default=None, help="Score the preview as of this instant; default the last build's."
)
@click.pass_context
def impact(ctx, as_of) -> None:
    """Preview the rule-change guard: how the current seeds would move the published stages."""
    import tempfile
    from pathlib import Path

    import duckdb

    from .cli import _as_of, _refuse_invalid_seeds, _settings
    from .config import max_stage_churn
    from .explain import ExplainError, build_as_of
    from .warehouse.guard import assess_impact
    from .warehouse.scratch import ScratchBuildError, build_scratch_copy

    settings = _settings(ctx.obj["data_dir"])
    if not settings.warehouse_path.exists():
        raise click.ClickException("nothing published yet: there is nothing to compare with")
    parsed = _as_of(as_of)
    from .config import SEEDS_DIR
    from .rules.seed_diff import seed_changes

    _refuse_invalid_seeds("nothing was previewed")  # dbt would fail on them, less clearly
    try:
        with duckdb.connect(str(settings.build_db_path), read_only=True) as con:
            instant = parsed or build_as_of(con)
            changes = seed_changes(con, SEEDS_DIR)
    except (duckdb.Error, ExplainError) as exc:
        message = describe_failure(exc, [settings.build_db_path])
        raise click.ClickException(message or f"no build to preview from: {exc}") from None
    if changes:
        click.echo(f"seed rows changed since the last published run ({len(changes)}):")
        for change in changes[:50]:
            click.echo(f"  {change}")
        if len(changes) > 50:
            click.echo(f"  ... and {len(changes) - 50} more")
    else:
        click.echo("no seed row changed since the last published run")
    click.echo("scoring the current seeds on a scratch copy of the build ...", err=True)
    with tempfile.TemporaryDirectory(prefix="leadscore-impact-") as workdir:
        try:
            copy = build_scratch_copy(
                settings.build_db_path, instant, Path(workdir), reload_seeds=True
            )
        except ScratchBuildError as exc:
            raise click.ClickException(str(exc)) from exc
        with duckdb.connect(str(copy)) as con:
            result = assess_impact(con, settings.warehouse_path, max_stage_churn())
    click.echo(result.describe())
