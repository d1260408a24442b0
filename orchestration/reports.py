"""Terminal reports over the published warehouse (opened read-only, like any BI tool)."""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table


class ReportError(Exception):
    """The warehouse opened but is not one leadscore published (its marts are missing)."""


class UnknownModelError(ReportError):
    """The model asked for is not in the published scores; the message lists those that are."""


def top_leads(warehouse: Path, model_id: str, limit: int) -> list[dict]:
    """The highest-scored, non-excluded contacts of a model, with their stage and reasons.

    A missing, locked or damaged file raises DuckDB's error (`errors.describe_failure` says
    it); a database without the marts raises ReportError.
    """
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            return _query_top_leads(con, model_id, limit)
        except duckdb.CatalogException as exc:
            raise ReportError(
                f"{warehouse} is not a published leadscore warehouse (marts.contact_scores or "
                "marts.contacts is missing); run `leadscore run` to publish one"
            ) from exc


def _query_top_leads(con: duckdb.DuckDBPyConnection, model_id: str, limit: int) -> list[dict]:
    models = [
        row[0]
        for row in con.execute(
            "select distinct model_id from marts.contact_scores order by model_id"
        ).fetchall()
    ]
    if models and model_id not in models:
        raise UnknownModelError(
            f"unknown model {model_id!r}; the published models are: {', '.join(models)}"
        )
    cursor = con.execute(
        """
        select
            scores.contact_id,
            contacts.email,
            contacts.job_title,
            contacts.company,
            scores.total_score,
            scores.fit_score,
            scores.engagement_score,
            scores.matrix_label,
            scores.stage,
            scores.top_reasons,
            scores.score_rank
        from marts.contact_scores as scores
        left join marts.contacts as contacts on scores.contact_id = contacts.contact_id
        where scores.model_id = ? and not scores.is_excluded
        order by scores.score_rank
        limit ?
        """,
        [model_id, limit],
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def top_leads_table(warehouse: Path, model_id: str, limit: int, width: int = 100) -> str:
    """The top contacts as a table `width` columns wide (the terminal's, from the CLI)."""
    rows = top_leads(warehouse, model_id, limit)
    table = Table(title=f"Top {limit} contacts of model '{model_id}'", show_lines=False)
    # Ids and e-mail addresses never break inside (a narrow terminal cuts them with …); the
    # reasons take the rest of the width and wrap between words.
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("contact", no_wrap=True, overflow="ellipsis", max_width=32)
    table.add_column("total\neng.", justify="right", no_wrap=True)
    table.add_column("stage\ncell", no_wrap=True)
    table.add_column("why", ratio=1, min_width=24)
    for row in rows:
        who = " · ".join(part for part in (row["job_title"], row["company"]) if part)
        table.add_row(
            str(row["score_rank"]),
            "\n".join(part for part in (row["contact_id"], row["email"], who) if part),
            f"{row['total_score']}\n{row['engagement_score']}",
            f"{row['stage']}\n{row['matrix_label'] or ''}",
            row["top_reasons"],
        )
    buffer = io.StringIO()
    Console(file=buffer, width=width, force_terminal=False, no_color=True).print(table)
    if not rows:
        return f"no scored contacts for model '{model_id}'"
    return buffer.getvalue()


def model_quality_line(warehouse: Path, model_id: str) -> str | None:
    """One line on how well the model's scores predict conversion (marts.model_quality), or
    None when the warehouse has no such row (an older warehouse, or a model without outcomes)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        try:
            rows = con.execute(
                """
                select as_of, contacts_with_outcome, converted_contacts, conversion_rate, auc,
                    top_band, top_band_contacts, top_band_conversion_rate
                from marts.model_quality
                where model_id = ?
                order by as_of desc
                limit 1
                """,
                [model_id],
            ).fetchall()
        except duckdb.CatalogException:
            return None
    if not rows:
        return None
    as_of, contacts, converted, rate, auc, band, band_contacts, band_rate = rows[0]
    auc_text = f"AUC {auc:.3f}" if auc is not None else "AUC not measurable"
    line = (
        f"model quality of '{model_id}' as of {as_of:%Y-%m-%d %H:%M}: {auc_text} over "
        f"{contacts:,} contacts with a known outcome ({converted:,} converted, {rate:.1%})"
    )
    if band is not None and band_rate is not None:
        line += f"; top band {band} converts {band_rate:.1%} ({band_contacts:,} contacts)"
    return line
