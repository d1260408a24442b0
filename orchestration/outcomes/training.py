"""What `leadscore calibrate` learns from: contacts with a known outcome and candidate rules."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa
from scipy import sparse

from ..vocabulary import trim
from .candidates import Candidate, candidates_with_holders

# Larger data is sampled (every converted contact kept): the learning is linear in contacts.
MAX_CONTACTS = 200_000
# Who someone is, not what they are like: never learned from (--exclude-property adds more).
PERSONAL_PROPERTIES = ("email", "first_name", "last_name")
# A candidate this predictive on its own is the outcome in disguise (e.g. lifecycle_stage).
LEAK_PRECISION = 0.98
LEAK_RECALL = 0.3  # ... for a third of the converted contacts or more


class CalibrationError(Exception):
    """calibrate cannot learn for this model and data (said in one line to the user)."""


@dataclass
class TrainingSet:
    """Contacts (rows) by candidates (columns): 1 where the candidate held at the reference."""

    model_id: str
    as_of: datetime
    outcome_definition: str
    contact_ids: list[str]
    converted: np.ndarray
    current_scores: np.ndarray  # the current rules' total at the reference (nan: not scored)
    features: sparse.csr_matrix
    candidates: list[Candidate]
    reference_from_history: int
    sampled_from: int
    excluded_properties: list[str] = field(default_factory=list)
    suspected_leaks: list[str] = field(default_factory=list)

    @property
    def converted_count(self) -> int:
        return int(self.converted.sum())


def norm_name(name: str) -> str:
    """A property name as the engine compares it: trimmed, lowercased (contract §1)."""
    return trim(name).lower()


def load_training_set(
    con: duckdb.DuckDBPyConnection,
    model_id: str,
    *,
    outcome_property: str | None = None,
    outcome_value: str | None = None,
    exclude_properties: Sequence[str] = (),
    max_contacts: int = MAX_CONTACTS,
    seed: int = 0,
) -> TrainingSet:
    """Read a scored build database (read-only is enough) into a training set for `model_id`."""
    model = _model(con, model_id)
    # fetchall, not fetchone: a half-read result blocks the connection's next relation query.
    as_of = con.execute("select max(as_of) from marts.contact_scores").fetchall()[0][0]
    if as_of is None:
        raise CalibrationError("the build has no scores yet; run `leadscore run` first")
    if outcome_property and not outcome_value:
        raise CalibrationError("--outcome-property needs --outcome-value (the converted value)")
    if outcome_property:
        cohort, definition = _property_cohort(con, model_id, outcome_property, outcome_value)
    else:
        cohort, definition = _model_cohort(con, model_id, model, seed)
    total = len(cohort["contact_id"])
    converted = np.asarray(cohort["is_converted"], dtype=bool)
    if total == 0 or converted.all() or not converted.any():
        raise CalibrationError(
            f"model {model_id!r}: {total} contacts with a known outcome ({definition}), "
            f"{int(converted.sum())} converted; learning needs some of both"
        )
    cohort = _sample(cohort, max_contacts, seed)
    excluded = sorted(
        {
            name
            for name in (
                outcome_property and norm_name(outcome_property),
                model["outcome_property"],
                # Every model's outcome: e.g. `churned` is only ever filled in for customers.
                *_outcome_properties(con),
                model["population_property"],
                *PERSONAL_PROPERTIES,
                *(norm_name(name) for name in exclude_properties),
            )
            if name
        }
    )
    con.register("calibration_cohort", pa.table(cohort))
    try:
        candidates, matches = candidates_with_holders(con, model_id, excluded)
    finally:
        con.unregister("calibration_cohort")
    contact_ids = list(cohort["contact_id"])
    converted = np.asarray(cohort["is_converted"], dtype=bool)
    features = _matrix(contact_ids, candidates, matches)
    kept, leaks = _drop_leaks(features, converted, candidates)
    return TrainingSet(
        model_id=model_id,
        as_of=as_of,
        outcome_definition=definition,
        contact_ids=contact_ids,
        converted=converted,
        current_scores=np.asarray(cohort["current_score"], dtype=float),
        features=features[:, kept].tocsr(),
        candidates=[candidates[i] for i in kept],
        reference_from_history=int(sum(cohort["from_history"])),
        sampled_from=total,
        excluded_properties=excluded,
        suspected_leaks=leaks,
    )


def _outcome_properties(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute(
        "select distinct outcome_property from intermediate.int_models "
        "where outcome_property is not null"
    ).fetchall()]  # fmt: skip


def _model(con: duckdb.DuckDBPyConnection, model_id: str) -> dict:
    cursor = con.execute("select * from intermediate.int_models where model_id = ?", [model_id])
    rows = cursor.fetchall()
    if not rows:
        known = [
            r[0] for r in con.execute("select model_id from intermediate.int_models").fetchall()
        ]
        raise CalibrationError(
            f"no enabled model {model_id!r} in the last build (models: {', '.join(sorted(known))})"
        )
    return dict(zip([column[0] for column in cursor.description], rows[0], strict=True))


def _model_cohort(con, model_id: str, model: dict, seed: int) -> tuple[dict, str]:
    """The model's own outcomes (marts.outcomes): converted deals judged before the deal."""
    if model["outcome_property"]:
        definition = f"{model['outcome_property']} = {model['outcome_value']!r}"
    elif model["outcome_value"]:
        definition = f"a won deal of product line {model['outcome_value']!r}"
    else:
        definition = "a won deal"
    table = con.sql(
        """
        with outcomes as (
            select * from marts.outcomes where model_id = $model_id
        ),
        deal_instants as (
            select
                deal_created_at as instant,
                row_number() over (order by deal_created_at, contact_id) - 1 as position,
                count(*) over () as instants
            from outcomes
            where is_converted and deal_created_at is not null
        ),
        first_eligible as (
            -- The first deal instant at or after the contact existed.
            select
                outcomes.contact_id,
                deal_instants.position,
                deal_instants.instants
            from (
                select
                    outcomes.contact_id,
                    coalesce(contacts.created_at, '-infinity'::timestamp) as created_at
                from outcomes
                left join staging.stg_contacts as contacts
                    on outcomes.contact_id = contacts.contact_id
                where not outcomes.is_converted
            ) as outcomes
            asof join deal_instants on outcomes.created_at <= deal_instants.instant
        ),
        drawn as (
            -- A contact that did not convert is judged at an instant drawn from the converted
            -- contacts' deal instants after it existed (matched index dates): judged at the
            -- as-of instead, it would differ from them by the calendar alone (e.g. a newsletter
            -- sent last week). One created after every deal is too young to compare: left out.
            select
                first_eligible.contact_id,
                deal_instants.instant
            from first_eligible
            inner join deal_instants
                on deal_instants.position = first_eligible.position
                    + abs(hash(first_eligible.contact_id || $seed))
                    % (first_eligible.instants - first_eligible.position)
        ),
        has_deal_instants as (
            select count(*) > 0 as any_instant from deal_instants
        )
        select
            outcomes.contact_id,
            outcomes.is_converted,
            -- Leakage-safe: a deal's contact is judged by what happened before the deal.
            case
                when outcomes.is_converted and outcomes.deal_created_at is not null
                    then outcomes.deal_created_at
                when drawn.instant is not null then drawn.instant
                else outcomes.as_of
            end as reference_at,
            outcomes.is_converted and outcomes.deal_created_at is not null as before_deal,
            cast(outcomes.total_score as double) as current_score,
            outcomes.reference_source = 'history' as from_history
        from outcomes
        left join drawn on outcomes.contact_id = drawn.contact_id
        where outcomes.is_converted
            or drawn.contact_id is not null
            or not (select any_instant from has_deal_instants)
        order by outcomes.contact_id
        """,
        params={"model_id": model_id, "seed": str(seed)},
    ).to_arrow_table()
    return table.to_pydict(), definition


def _property_cohort(con, model_id: str, prop: str, value: str) -> tuple[dict, str]:
    """Outcomes from a property given on the command line; blank values are unknown."""
    table = con.sql(
        """
        with outcome as (
            select contact_id, property_value_norm = lower($value) as is_converted
            from staging.stg_contact_properties
            where property_name = $property
        )
        select
            outcome.contact_id,
            outcome.is_converted,
            (select max(as_of) from marts.contact_scores) as reference_at,
            false as before_deal,
            cast(totals.total_score as double) as current_score,
            false as from_history
        from outcome
        inner join intermediate.int_scored_contacts as scored
            on scored.contact_id = outcome.contact_id and scored.model_id = $model_id
        left join intermediate.int_contact_totals as totals
            on totals.contact_id = outcome.contact_id and totals.model_id = $model_id
        where scored.in_population or outcome.is_converted
        order by outcome.contact_id
        """,
        params={"value": trim(value), "property": norm_name(prop), "model_id": model_id},
    ).to_arrow_table()
    return table.to_pydict(), f"{trim(prop)} = {trim(value)!r}"


def _sample(cohort: dict, limit: int, seed: int) -> dict:
    """Every converted contact and a random share of the rest, when there are too many."""
    count = len(cohort["contact_id"])
    if count <= limit:
        return cohort
    converted = np.asarray(cohort["is_converted"], dtype=bool)
    rng = np.random.default_rng(seed)
    others = np.flatnonzero(~converted)
    room = max(limit - int(converted.sum()), 0)
    keep = np.sort(np.concatenate([np.flatnonzero(converted), rng.choice(others, room, False)]))
    return {name: [values[i] for i in keep] for name, values in cohort.items()}


def _matrix(contact_ids: list[str], candidates, matches) -> sparse.csr_matrix:
    row_of = {contact_id: i for i, contact_id in enumerate(contact_ids)}
    rows, cols = [], []
    for holders, column in matches:
        indices = [row_of[h] for h in holders if h in row_of]
        rows.extend(indices)
        cols.extend([column] * len(indices))
    data = np.ones(len(rows), dtype=np.float64)
    shape = (len(contact_ids), len(candidates))
    return sparse.csr_matrix((data, (rows, cols)), shape=shape)


def _drop_leaks(features: sparse.csr_matrix, converted: np.ndarray, candidates):
    """Candidates that alone nearly equal the outcome are left out and reported."""
    column_hits = np.asarray(features.sum(axis=0)).ravel()
    converted_hits = np.asarray(features[converted].sum(axis=0)).ravel()
    kept, leaks = [], []
    for i, candidate in enumerate(candidates):
        precision = converted_hits[i] / column_hits[i] if column_hits[i] else 0.0
        recall = converted_hits[i] / max(converted.sum(), 1)
        if precision >= LEAK_PRECISION and recall >= LEAK_RECALL:
            leaks.append(
                f"{candidate.description}: {precision:.0%} of its contacts converted and it "
                f"holds for {recall:.0%} of the converted ones (the outcome in disguise)"
            )
        else:
            kept.append(i)
    return kept, leaks


def short_hash(text: str) -> str:
    """Six hex digits naming a learned rule whose description is not ASCII."""
    return hashlib.sha256(text.encode()).hexdigest()[:6]
