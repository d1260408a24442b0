"""`leadscore explain --account`: how an account's score is made from its contacts' scores."""

from __future__ import annotations

import io

import duckdb
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .query import ExplainError
from .rows import fetch_rows


def rollup_words(rollup: str) -> str:
    """`sum_top_3` -> 'the sum of the 3 highest contact scores', and so on."""
    if rollup.startswith("sum_top_"):
        return f"the sum of the {rollup.removeprefix('sum_top_')} highest contact scores"
    return {
        "max": "the highest contact score",
        "avg": "the mean of the contact scores (rounded half away from zero)",
        "sum": "the sum of every contact score",
    }.get(rollup, rollup)


def explain_account(
    con: duckdb.DuckDBPyConnection, account: str, model_id: str | None = None
) -> list[dict]:
    """One dict per model scoring the account: its mart row and every contact, counted or not.

    Accounts compare case-insensitively (as marts.account_scores keys them). Raises ExplainError
    for an account no model scores.
    """
    key = account.strip().lower()
    model = model_id.strip().lower() if model_id else None
    try:
        rows = fetch_rows(
            con,
            "select * from marts.account_scores where account_id = ? "
            "and (? is null or model_id = ?) order by model_id",
            [key, model, model],
        )
        if not rows:
            scope = f" in model {model!r}" if model else ""
            raise ExplainError(
                f"no account {account.strip()!r}{scope} in marts.account_scores (a model scores "
                "accounts when scoring_models.csv sets its account_property)"
            )
        members = fetch_rows(
            con,
            """
            select
                accounts.model_id,
                scores.contact_id,
                scores.total_score,
                scores.engagement_score,
                scores.stage,
                row_number() over (
                    partition by accounts.model_id
                    order by scores.total_score desc, scores.contact_id
                ) as score_rank,
                (
                    select string_agg(distinct rules.buying_role, ', ' order by rules.buying_role)
                    from intermediate.int_rule_matches as matches
                    inner join staging.stg_scoring_rules as rules
                        on matches.rule_id = rules.rule_id
                    where
                        matches.model_id = accounts.model_id
                        and matches.contact_id = accounts.contact_id
                        and rules.buying_role is not null
                ) as roles
            from intermediate.int_contact_accounts as accounts
            inner join marts.contact_scores as scores
                on accounts.model_id = scores.model_id and accounts.contact_id = scores.contact_id
            where accounts.account_id = ?
            order by accounts.model_id, score_rank
            """,
            [key],
        )
    except duckdb.CatalogException as exc:
        raise ExplainError(
            f"the build database is incomplete ({exc}); run `leadscore run` first"
        ) from exc
    result = []
    for row in rows:
        counted = row["counted_contacts"]
        mine = [m for m in members if m["model_id"] == row["model_id"]]
        for member in mine:  # the mart counts the best `counted_contacts` (all for avg, sum)
            member["counted"] = member["score_rank"] <= counted
        result.append(row | {"rollup_words": rollup_words(row["account_rollup"]), "members": mine})
    return result


def render_account(data: list[dict], width: int = 120) -> str:
    """The account's score, band, stage and roles, then a table of its contacts."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, emoji=False)
    for account in data:
        roles = account["roles_covered"] or "none"
        console.print(
            Text(
                f"account {account['account_name']} ({account['account_id']}) · model "
                f"{account['model_id']} · as of {account['as_of']}\n"
                f"score {account['account_score']} = {account['rollup_words']}; band "
                f"{account['account_band'] or '-'}; stage {account['account_stage']}\n"
                f"{account['contact_count']} contact(s), {account['engaged_contacts']} engaged; "
                f"buying roles covered {account['roles_covered_count']} of "
                f"{account['roles_defined']}: {roles}"
            )
        )
        table = Table(title="Contacts (highest score first)", title_justify="left")
        for column in ("contact", "total", "engagement", "stage", "roles", "counts"):
            table.add_column(
                column, justify="right" if column in ("total", "engagement") else "left"
            )
        for member in account["members"]:
            table.add_row(
                member["contact_id"],
                f"{member['total_score']:.2f}",
                f"{member['engagement_score']:.2f}",
                member["stage"] or "",
                member["roles"] or "",
                "✓" if member["counted"] else "",
            )
        console.print(table)
        console.print(Text(""))
    return buffer.getvalue()
