"""Rule-change guard: refuse to publish a seed edit that would move too many contacts' stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ..sql_text import sql_literal


@dataclass
class ModelImpact:
    """How one model's stages would change against the published state."""

    model_id: str
    scored: int
    changed: int
    transitions: list[tuple[str, str, int, list[str]]] = field(default_factory=list)

    @property
    def churn(self) -> float:
        return self.changed / self.scored if self.scored else 0.0


@dataclass
class Impact:
    """The guard's verdict for one build."""

    rules_changed: bool
    published_rule_set: str | None
    build_rule_set: str
    max_churn: float
    models: list[ModelImpact] = field(default_factory=list)

    @property
    def blocked_models(self) -> list[ModelImpact]:
        return [m for m in self.models if m.churn > self.max_churn]

    @property
    def blocks(self) -> bool:
        return self.rules_changed and bool(self.blocked_models)

    def describe(self) -> str:
        if self.published_rule_set is None:
            return "rule-change guard: nothing published yet, no comparison"
        head = (
            "rule-change guard: seeds changed since the last publish"
            if self.rules_changed
            else "rule-change guard: seeds unchanged since the last publish (not blocking)"
        )
        lines = [head + f"; limit {self.max_churn:.0%} of a model's contacts"]
        for model in self.models:
            verdict = "BLOCKED" if model.churn > self.max_churn and self.rules_changed else "ok"
            lines.append(
                f"  {model.model_id}: {model.changed:,} of {model.scored:,} scored contacts "
                f"change stage ({model.churn:.1%}) {verdict}"
            )
            for from_stage, to_stage, count, examples in model.transitions:
                lines.append(
                    f"    {from_stage} → {to_stage}: {count:,} (e.g. {', '.join(examples)})"
                )
        return "\n".join(lines)


def assess_impact(
    build: duckdb.DuckDBPyConnection,
    warehouse: Path,
    max_churn: float,
    examples: int = 3,
) -> Impact:
    """Compare the build's stages with the published warehouse's, per model."""
    build_rule_set = build.execute(
        "select rule_set_version from intermediate.int_rule_set_version"
    ).fetchone()[0]
    if not warehouse.exists():
        return Impact(False, None, build_rule_set, max_churn)
    build.execute(f"attach {sql_literal(str(warehouse))} as published (read_only)")
    try:
        has_log = build.execute(
            "select count(*) from duckdb_tables() where database_name = 'published' "
            "and schema_name = 'ops' and table_name = 'publish_log'"
        ).fetchone()[0]
        published_rule_set = None
        if has_log:
            row = build.execute(
                "select rule_set_version from published.ops.publish_log "
                "order by published_at desc limit 1"
            ).fetchone()
            published_rule_set = row[0] if row else None
        impact = Impact(
            rules_changed=published_rule_set is not None and published_rule_set != build_rule_set,
            published_rule_set=published_rule_set,
            build_rule_set=build_rule_set,
            max_churn=max_churn,
        )
        totals = build.execute(
            """
            select
                new.model_id,
                count(*) as scored,
                count(*) filter (where old.stage is distinct from new.stage) as changed
            from marts.contact_scores as new
            inner join published.marts.contact_scores as old
                on new.model_id = old.model_id and new.contact_id = old.contact_id
            group by new.model_id
            order by new.model_id
            """
        ).fetchall()
        transitions = build.execute(
            """
            select
                new.model_id,
                old.stage,
                new.stage,
                count(*),
                list(new.contact_id order by new.contact_id)[1:?]
            from marts.contact_scores as new
            inner join published.marts.contact_scores as old
                on new.model_id = old.model_id and new.contact_id = old.contact_id
            where old.stage is distinct from new.stage
            group by all
            order by new.model_id, count(*) desc, old.stage, new.stage
            """,
            [examples],
        ).fetchall()
    finally:
        build.execute("detach published")
    by_model = {
        model_id: ModelImpact(model_id, scored, changed) for model_id, scored, changed in totals
    }
    for model_id, from_stage, to_stage, count, sample in transitions:
        by_model[model_id].transitions.append((from_stage, to_stage, count, list(sample)))
    impact.models = list(by_model.values())
    return impact
