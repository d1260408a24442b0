"""The outcome marts (contract §8 "Outcomes") against numbers recomputed here, independently.

Two installations, one `leadscore run` each (module fixtures, read-only afterwards):

- demo: the demo data plus a few hand-made deals (a lead won before the as-of, a won deal
  created or closed after it, a status written ` WON `), scored with the shipped seeds. Who
  converted is recomputed from the landing files and the seed file (a won deal created and
  closed at or before the as-of, or the model's outcome property); AUC (scikit-learn), lifts,
  band conversion, threshold advice, rule performance and the funnel from the published
  `marts.outcomes` and the build database's `intermediate.int_rule_matches`.
- property: `outcome_property` in scoring_models.csv and contacts written by hand with a messy
  header and values: a blank value is unknown (no row anywhere), a value equal to
  outcome_value (case- and space-insensitive) converted, any other value not converted.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from datetime import datetime
from fractions import Fraction
from pathlib import Path

import duckdb
import pytest
from sklearn.metrics import roc_auc_score

from orchestration.config import DEFAULT_SEEDS_DIR
from tests.support.installation import leadscore

# A demo build with calibrate and compare: minutes of dbt, so it runs with `make test-slow` (CI).
pytestmark = [pytest.mark.integration, pytest.mark.slow]

AS_OF = "2026-11-01T00:00:00Z"
AS_OF_TS = datetime(2026, 11, 1)
MODELS = ("lead", "cross_sell", "churn_risk")
KINDS = {"total": "total_band", "fit": "fit_band", "engagement": "engagement_band"}


def _env(data: Path, seeds: Path | None = None) -> dict[str, str]:
    """This process's environment without any leadscore or Dagster setting of the caller's."""
    ours = ("LEADSCORE_", "DAGSTER_HOME")
    env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
    env["LEADSCORE_DATA_DIR"] = str(data)
    if seeds is not None:
        env["LEADSCORE_SEEDS_DIR"] = str(seeds)
    return env


def _rows(database: Path, sql: str, params=()) -> list[dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def warehouse(data: Path, sql: str, params=()) -> list[dict]:
    return _rows(data / "warehouse" / "lead_scoring.duckdb", sql, params)


def build_db(data: Path, sql: str, params=()) -> list[dict]:
    return _rows(data / "work" / "build.duckdb", sql, params)


def outcomes(data: Path, model_id: str) -> list[dict]:
    return warehouse(
        data, "select * from marts.outcomes where model_id = ? order by contact_id", [model_id]
    )


def scored_ids(data: Path, model_id: str) -> set[str]:
    """The contacts of the model's contact_scores (its population)."""
    sql = "select contact_id from marts.contact_scores where model_id = ?"
    return {r["contact_id"] for r in warehouse(data, sql, [model_id])}


def ratio(numerator: int, denominator: int) -> Fraction | None:
    return Fraction(numerator, denominator) if denominator else None


def close(actual: float | None, expected: Fraction | float | None) -> bool:
    if expected is None or actual is None:
        return actual is None and expected is None
    return abs(actual - float(expected)) < 1e-12


def norm(value: object) -> str | None:
    """Trimmed and lower-cased; blank is None (the contract's text rule, near enough here)."""
    text = "" if value is None else str(value).strip()
    return text.lower() or None


def read_seed(seeds: Path, name: str) -> list[dict[str, str]]:
    with (seeds / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_outcomes(seeds: Path) -> dict[str, tuple[str | None, str | None]]:
    """model -> (outcome property, outcome value), normalised, from scoring_models.csv."""
    return {
        norm(row["model_id"]): (norm(row.get("outcome_property")), norm(row.get("outcome_value")))
        for row in read_seed(seeds, "scoring_models")
    }


def seed_band_floors(seeds: Path) -> dict[tuple[str, str, str], float | None]:
    """(model, score kind, band) -> the band's lowest min_score (None when unbounded)."""
    floors: dict[tuple[str, str, str], list[float]] = {}
    for row in read_seed(seeds, "score_bands"):
        key = (norm(row["model_id"]), norm(row["score"]) or "total", row["band"].strip())
        values = floors.setdefault(key, [])
        if norm(row["min_score"]) is not None:
            values.append(float(row["min_score"]))
    return {key: min(values) if values else None for key, values in floors.items()}


def seed_top_bands(seeds: Path) -> dict[str, str]:
    """model -> its total band with the highest min_score (ties: the band name)."""
    bands: dict[str, list[tuple[bool, float, str]]] = {}
    for (model_id, kind, band), floor in seed_band_floors(seeds).items():
        if kind == "total":
            bands.setdefault(model_id, []).append((floor is None, -(floor or 0.0), band))
    return {model_id: min(candidates)[2] for model_id, candidates in bands.items()}


# --- the recomputations, for either installation ----------------------------------------------


def check_model_quality(data: Path, seeds: Path) -> dict[str, dict]:
    """marts.model_quality against scikit-learn's AUC and lifts recomputed from the outcomes."""
    quality = {r["model_id"]: r for r in warehouse(data, "select * from marts.model_quality")}
    assert set(quality) == set(MODELS)
    top_bands = seed_top_bands(seeds)
    for model_id, row in quality.items():
        rows = outcomes(data, model_id)
        converted = [r["is_converted"] for r in rows]
        scores = [float(r["total_score"]) for r in rows]
        n, won = len(rows), sum(converted)
        assert (row["contacts_with_outcome"], row["converted_contacts"]) == (n, won), model_id
        assert close(row["conversion_rate"], ratio(won, n)), model_id
        if 0 < won < n:
            assert abs(row["auc"] - roc_auc_score(converted, scores)) < 1e-9, model_id
        else:
            assert row["auc"] is None, model_id
        ranked = sorted(rows, key=lambda r: (-r["total_score"], r["contact_id"]))
        top = ranked[: math.ceil(n / 10)]
        top_won = sum(r["is_converted"] for r in top)
        lift = ratio(top_won, len(top)) / ratio(won, n) if won else None
        assert close(row["top_decile_lift"], lift), model_id
        in_top_band = [r["is_converted"] for r in rows if r["total_band"] == top_bands[model_id]]
        assert row["top_band"] == top_bands[model_id]
        assert row["top_band_contacts"] == len(in_top_band)
        assert close(row["top_band_conversion_rate"], ratio(sum(in_top_band), len(in_top_band)))
        from_history = sum(r["is_converted"] and r["reference_source"] == "history" for r in rows)
        assert close(row["converted_scored_before_deal_share"], ratio(from_history, won))
    return quality


def check_band_conversion(data: Path, seeds: Path) -> dict[tuple[str, str, str], dict]:
    """marts.band_conversion against the outcomes grouped here by model, score kind and band."""
    published = {
        (r["model_id"], r["score_kind"], r["band"]): r
        for r in warehouse(data, "select * from marts.band_conversion")
    }
    expected: dict[tuple[str, str, str], list[bool]] = {}
    overall: dict[str, list[bool]] = {}
    for r in warehouse(data, "select * from marts.outcomes"):
        overall.setdefault(r["model_id"], []).append(r["is_converted"])
        cells = {kind: r[column] for kind, column in KINDS.items()} | {"matrix": r["matrix_label"]}
        for kind, band in cells.items():
            if band is not None:
                expected.setdefault((r["model_id"], kind, band), []).append(r["is_converted"])
    assert set(published) == set(expected)
    floors = seed_band_floors(seeds)
    for key, flags in expected.items():
        row = published[key]
        assert (row["contacts"], row["converted_contacts"]) == (len(flags), sum(flags)), key
        rate = ratio(sum(flags), len(flags))
        assert close(row["conversion_rate"], rate), key
        base = ratio(sum(overall[key[0]]), len(overall[key[0]]))
        assert close(row["lift"], rate / base if base else None), key
        assert row["band_min_score"] == floors.get(key), key  # matrix cells: None
    return published


def _advice(rows: list[dict]) -> dict[int, dict]:
    """Per candidate threshold (every floor of a score): exact counts, precision, recall, F."""
    won = sum(r["is_converted"] for r in rows)
    result = {}
    for threshold in {math.floor(r["total_score"]) for r in rows}:
        above = [r for r in rows if r["total_score"] >= threshold]
        hits = sum(r["is_converted"] for r in above)
        precision, recall = Fraction(hits, len(above)), ratio(hits, won)
        usable = recall is not None and precision + recall > 0
        result[threshold] = {
            "contacts_above": len(above),
            "converted_above": hits,
            "share_above": Fraction(len(above), len(rows)),
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if usable else None,
            "f_half": (
                Fraction(5, 4) * precision * recall / (Fraction(1, 4) * precision + recall)
                if usable
                else None
            ),
        }
    return result


def check_threshold_advice(data: Path, model_id: str) -> tuple[int | None, int | None]:
    """marts.threshold_advice against exact fractions; returns the (MQL, SQL) recommended."""
    expected = _advice(outcomes(data, model_id))
    sql = "select * from marts.threshold_advice where model_id = ?"
    published = {int(r["threshold"]): r for r in warehouse(data, sql, [model_id])}
    assert set(published) == set(expected), model_id
    for threshold, values in expected.items():
        row = published[threshold]
        for column in ("contacts_above", "converted_above"):
            assert row[column] == values[column], (model_id, threshold, column)
        for column in ("share_above", "precision", "recall", "f1", "f_half"):
            assert close(row[column], values[column]), (model_id, threshold, column)
    # MQL: the highest F1, ties to the lowest threshold (exact fractions: a tie here is a real
    # tie); SQL: the highest F0.5 at or above it. Nothing when nobody converted.
    usable = [t for t in expected if expected[t]["f1"] is not None]
    mql = min(usable, key=lambda t: (-expected[t]["f1"], t)) if usable else None
    at_or_above = [t for t in usable if t >= mql] if usable else []
    best = min(at_or_above, key=lambda t: (-expected[t]["f_half"], t)) if at_or_above else None
    assert [t for t, r in published.items() if r["is_recommended_mql"]] == [mql] * bool(usable)
    assert [t for t, r in published.items() if r["is_recommended_sql"]] == [best] * bool(usable)
    return mql, best


def check_rule_performance(data: Path) -> list[dict]:
    """marts.rule_performance against the build's int_rule_matches joined to the outcomes."""
    matches: dict[tuple[str, str], set[str]] = {}
    rows = build_db(data, "select model_id, rule_id, contact_id from intermediate.int_rule_matches")
    for r in rows:
        matches.setdefault((r["model_id"], r["rule_id"]), set()).add(r["contact_id"])
    performance = warehouse(data, "select * from marts.rule_performance")
    enabled = build_db(
        data,
        "select rules.model_id, rules.rule_id from staging.stg_scoring_rules as rules "
        "inner join intermediate.int_models as models using (model_id) where rules.is_enabled",
    )
    assert sorted((r["model_id"], r["rule_id"]) for r in performance) == sorted(
        (r["model_id"], r["rule_id"]) for r in enabled
    )
    by_model = {m: outcomes(data, m) for m in MODELS}
    for row in performance:
        rows = by_model[row["model_id"]]
        matched = matches.get((row["model_id"], row["rule_id"]), set())
        hit = [r["is_converted"] for r in rows if r["contact_id"] in matched]
        miss = [r["is_converted"] for r in rows if r["contact_id"] not in matched]
        key = (row["model_id"], row["rule_id"])
        assert row["contacts_with_outcome"] == len(rows), key
        assert (row["matched_contacts"], row["converted_when_matched"]) == (len(hit), sum(hit)), key
        assert close(row["coverage"], ratio(len(hit), len(rows))), key
        assert close(row["conversion_rate_when_matched"], ratio(sum(hit), len(hit))), key
        assert close(row["conversion_rate_when_not_matched"], ratio(sum(miss), len(miss))), key
        base = ratio(sum(hit) + sum(miss), len(rows))
        rate = ratio(sum(hit), len(hit))
        assert close(row["lift"], rate / base if rate is not None and base else None), key
    return performance


def seed_steps(seeds: Path, model_id: str) -> list[str]:
    """The model's funnel: its base stage, its threshold stages by rank, then its outcome."""
    model = next(r for r in read_seed(seeds, "scoring_models") if norm(r["model_id"]) == model_id)
    base = norm(model["base_stage"]) or "lead"
    ranks: dict[str, int] = {}
    for row in read_seed(seeds, "score_thresholds"):
        stage = norm(row["stage"])
        if norm(row["model_id"]) == model_id and stage not in (None, base):
            ranks[stage] = min(ranks.get(stage, int(row["stage_rank"])), int(row["stage_rank"]))
    deal = seed_outcomes(seeds)[model_id][0] is None
    outcome = ["opportunity", "won"] if deal else ["converted"]
    return [base, *sorted(ranks, key=lambda stage: (ranks[stage], stage)), *outcome]


def check_stage_funnel(data: Path, seeds: Path, with_deal: set[str]) -> dict[str, list[dict]]:
    """Per model (dimension all): the model's steps in order, counts that never grow, starting
    at every contact with an outcome and ending at the converted; `with_deal`: the contacts
    with a deal created by the as-of (the opportunity step of a deal outcome). Steps nobody
    reached may lack a row (see test_every_funnel_step_has_a_row)."""
    funnel = warehouse(
        data,
        "select * from marts.stage_funnel where dimension = 'all' order by model_id, step_order",
    )
    definitions = seed_outcomes(seeds)
    result = {}
    for model_id in MODELS:
        steps = [r for r in funnel if r["model_id"] == model_id]
        rows = outcomes(data, model_id)
        won = sum(r["is_converted"] for r in rows)
        names = [r["step"] for r in steps]
        assert names == seed_steps(seeds, model_id)[: len(names)], model_id
        assert [r["step_order"] for r in steps] == list(range(1, len(steps) + 1)), model_id
        reached = [r["contacts_reached"] for r in steps]
        assert reached == sorted(reached, reverse=True), model_id
        assert reached[0] == len(rows), model_id
        for r in steps:
            assert close(r["rate_from_first"], Fraction(r["contacts_reached"], reached[0]))
        by_step = {r["step"]: r["contacts_reached"] for r in steps}
        if definitions[model_id][0] is None:
            assert by_step.get("won", 0) == won, model_id
            opportunities = sum(r["is_converted"] or r["contact_id"] in with_deal for r in rows)
            assert by_step.get("opportunity", 0) == opportunities, model_id
        else:
            assert by_step.get("converted", 0) == won, model_id
        result[model_id] = steps
    # Every contact with an outcome is in exactly one value of each other dimension.
    for dimension in ("segment", "source"):
        first = warehouse(
            data,
            "select model_id, sum(contacts_reached) as n from marts.stage_funnel "
            "where dimension = ? and step_order = 1 group by model_id",
            [dimension],
        )
        assert {r["model_id"]: r["n"] for r in first} == {m: len(outcomes(data, m)) for m in MODELS}
    return result


# --- installation 1: the demo, shipped seeds, extra deals --------------------------------------


def _extra_deals(data: Path) -> dict[str, str]:
    """Deals for six prospects without any, in a parquet file beside the demo's. Returns the
    contact of each case."""
    landing = data / "landing"
    with duckdb.connect() as con:
        prospects = [
            row[0]
            for row in con.execute(
                f"""
                select contact_id from read_parquet('{landing}/contacts/*.parquet')
                where contact_id not in (
                    select contact_id from read_parquet('{landing}/deals/*.parquet')
                )
                group by contact_id
                having bool_and(coalesce(lifecycle_stage, '') in ('lead', 'subscriber'))
                order by contact_id
                limit 6
                """
            ).fetchall()
        ]
        assert len(prospects) == 6
        plan = {
            "won_before": ("won", "2026-10-01 09:00:00", "2026-10-15 09:00:00"),
            "won_spaced": (" WON ", "2026-10-10 09:00:00", "2026-10-12 09:00:00"),
            "won_at_as_of": ("won", "2026-10-20 09:00:00", "2026-11-01 00:00:00"),
            "created_after": ("won", "2026-11-02 09:00:00", "2026-11-05 09:00:00"),
            "closed_after": ("won", "2026-10-25 09:00:00", "2026-11-03 09:00:00"),
            "open": ("open", "2026-10-01 09:00:00", None),
        }
        values = [
            (f"X{index}", contact, status, created, closed, 1000.0 + index, "core")
            for index, (contact, (status, created, closed)) in enumerate(
                zip(prospects, plan.values(), strict=True)
            )
        ]
        con.execute(
            "create table extra (deal_id varchar, contact_id varchar, status varchar, "
            "created_at timestamp, closed_at timestamp, amount double, product_line varchar)"
        )
        con.executemany("insert into extra values (?, ?, ?, ?, ?, ?, ?)", values)
        con.execute(f"copy extra to '{landing}/deals/extra_deals.parquet' (format parquet)")
    return dict(zip(plan, prospects, strict=True))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo_outcomes") / "data"
    env = _env(data)
    leadscore(env, "demo", "--contacts", "400", "--activities-per-contact", "10",
              "--seed", "7", "--as-of", AS_OF, "--no-progress")  # fmt: skip
    extra = _extra_deals(data)
    leadscore(env, "run", "--as-of", AS_OF)
    return data, extra


def landing_deals(data: Path) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(
            "select trim(contact_id), status, created_at, closed_at, product_line "
            f"from read_parquet('{data}/landing/deals/*.parquet')"
        ).fetchall()


def landing_latest_contacts(data: Path) -> dict[str, dict]:
    """Each contact's winning record in the demo's contact files: the newest updated_at, else
    the later row (one file)."""
    with duckdb.connect() as con:
        cursor = con.execute(
            "select *, file_row_number as _row "
            f"from read_parquet('{data}/landing/contacts/*.parquet', file_row_number = true)"
        )
        names = [d[0] for d in cursor.description]
        records = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    latest: dict[str, dict] = {}
    for record in sorted(
        records, key=lambda r: (r["updated_at"] is not None, r["updated_at"] or 0, r["_row"])
    ):
        latest[record["contact_id"].strip()] = record  # the last wins
    return latest


def expected_known_outcomes(data: Path, seeds: Path, model_id: str) -> dict[str, bool]:
    """contact -> converted, for every contact whose outcome is known (contract §8)."""
    prop, value = seed_outcomes(seeds)[model_id]
    contacts = landing_latest_contacts(data)
    if prop is None:
        won = {
            contact
            for contact, status, created, closed, line in landing_deals(data)
            if norm(status) == "won"
            and created <= AS_OF_TS
            and closed is not None
            and closed <= AS_OF_TS
            and (value is None or norm(line) == value)
        }
        return {contact: contact in won for contact in contacts}
    headers = {norm(name): name for name in next(iter(contacts.values()))}
    assert prop in headers, f"{model_id}: the demo contacts lack the property {prop!r}"
    known = {c: norm(record[headers[prop]]) for c, record in contacts.items()}
    return {c: written == value for c, written in known.items() if written is not None}


def test_who_converted_follows_the_outcome_definitions(demo_run):
    data, extra = demo_run
    for model_id in MODELS:
        known = expected_known_outcomes(data, DEFAULT_SEEDS_DIR, model_id)
        population = scored_ids(data, model_id)
        # Known and scored: in the population, or converted outside it.
        expected = {
            c: (converted, c in population)
            for c, converted in known.items()
            if c in population or converted
        }
        rows = outcomes(data, model_id)
        actual = {r["contact_id"]: (r["is_converted"], r["in_population"]) for r in rows}
        assert actual == expected, model_id
        assert 0 < sum(converted for converted, _ in actual.values()) < len(actual), model_id
        for row in rows:
            assert row["outcome"] == ("converted" if row["is_converted"] else "not_converted")
    # The lead model (won deals): leads that won (the extra deals) and customers, who left
    # the lead population by converting.
    lead = {r["contact_id"]: r for r in outcomes(data, "lead")}
    inside_won = {c for c, r in lead.items() if r["is_converted"] and r["in_population"]}
    assert inside_won == {extra["won_before"], extra["won_spaced"], extra["won_at_as_of"]}
    assert sum(r["is_converted"] and not r["in_population"] for r in lead.values()) > 10
    for name in ("created_after", "closed_after", "open"):
        assert (lead[extra[name]]["is_converted"], lead[extra[name]]["in_population"]) == (
            False,
            True,
        ), name
    for row in lead.values():
        assert row["outcome_source"] == "deal"
        assert (row["deal_created_at"] is not None) == row["is_converted"]


def test_contact_scores_never_hold_a_contact_outside_the_population(demo_run):
    data, _ = demo_run
    assert warehouse(
        data,
        """
        select count(*) as n from marts.contact_scores as scores
        inner join marts.outcomes as outcomes using (model_id, contact_id)
        where not outcomes.in_population
        """,
    ) == [{"n": 0}]
    sql = "select contact_id from marts.contacts where lifecycle_stage = 'customer'"
    customers = {r["contact_id"] for r in warehouse(data, sql)}
    outside = {r["contact_id"] for r in outcomes(data, "lead") if not r["in_population"]}
    assert customers and not customers & scored_ids(data, "lead")
    assert outside and outside <= customers


def test_model_quality_matches_auc_and_lift_recomputed(demo_run):
    data, _ = demo_run
    quality = check_model_quality(data, DEFAULT_SEEDS_DIR)
    assert quality["lead"]["auc"] is not None and quality["lead"]["auc"] > 0.5


def test_band_conversion_groups_the_outcomes(demo_run):
    data, _ = demo_run
    published = check_band_conversion(data, DEFAULT_SEEDS_DIR)
    assert {kind for _, kind, _ in published} == {"total", "fit", "engagement", "matrix"}
    assert any(row["band_min_score"] is not None for row in published.values())


def test_threshold_advice_recomputed_and_the_best_f1_recommended(demo_run):
    data, _ = demo_run
    for model_id in MODELS:
        mql, _ = check_threshold_advice(data, model_id)
        assert mql is not None, model_id


def test_rule_performance_recomputed_from_the_rule_matches(demo_run):
    data, _ = demo_run
    performance = check_rule_performance(data)
    assert {r["model_id"] for r in performance} == set(MODELS)
    # Rules of the lead model match its converted contacts, customers included.
    lead = [r for r in performance if r["model_id"] == "lead" and r["converted_when_matched"]]
    assert len(lead) > 5


def test_stage_funnel_counts_never_grow_and_end_at_the_converted(demo_run):
    data, _ = demo_run
    with_deal = {
        contact for contact, _, created, _, _ in landing_deals(data) if created <= AS_OF_TS
    }
    steps = check_stage_funnel(data, DEFAULT_SEEDS_DIR, with_deal)
    assert [r["step"] for r in steps["lead"]][:3] == ["lead", "mql", "sql"]


# --- installation 2: a contact property -------------------------------------------------------

# contact: (lifecycle_stage, " Converted " (lead: 1 converts), "upgraded" (cross_sell: yes))
PROPERTY_CONTACTS = {
    "p01": ("lead", "1", ""),
    "p02": ("lead", " 1 ", ""),
    "p03": ("subscriber", "", ""),
    "p04": ("lead", "yes", "yes"),
    "p05": ("lead", "0", "no"),
    "p06": ("subscriber", "   ", ""),
    "p07": ("customer", "1", "YES"),
    "p08": ("customer", "0", "  yes "),
    "p09": ("lead", "\u3000", ""),
    "p11": ("customer", "", "no"),
    "p12": ("customer", "1", ""),
    "p13": ("customer", "", "Yes please"),
}
# model: {contact: (is_converted, in_population)}: the blank, and outsiders not converted, absent.
PROPERTY_EXPECTED = {
    "lead": {
        "p01": (True, True),
        "p02": (True, True),
        "p04": (False, True),
        "p05": (False, True),
        "p07": (True, False),
        "p12": (True, False),
    },
    "cross_sell": {
        "p04": (True, False),
        "p07": (True, True),
        "p08": (True, True),
        "p11": (False, True),
        "p13": (False, True),
    },
    # No outcome property and no deals: every customer is known, and not converted.
    "churn_risk": {c: (False, True) for c in ("p07", "p08", "p11", "p12", "p13")},
}


@pytest.fixture(scope="module")
def property_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("property_outcomes")
    seeds = root / "seeds"
    shutil.copytree(DEFAULT_SEEDS_DIR, seeds)
    models = read_seed(seeds, "scoring_models")
    outcome = {"lead": ("Converted", "1"), "cross_sell": (" Upgraded", " Yes ")}
    columns = list(dict.fromkeys([*models[0], "outcome_property", "outcome_value"]))
    with (seeds / "scoring_models.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in models:
            prop, value = outcome.get(row["model_id"], ("", ""))
            writer.writerow(row | {"outcome_property": prop, "outcome_value": value})
    data = root / "data"
    folder = data / "landing" / "contacts"
    folder.mkdir(parents=True)
    with (folder / "contacts.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["contact_id", "email", "lifecycle_stage", " Converted ", "upgraded"])
        for contact, (stage, converted, upgraded) in PROPERTY_CONTACTS.items():
            writer.writerow([contact, f"{contact}@example.com", stage, converted, upgraded])
    leadscore(_env(data, seeds), "run", "--as-of", AS_OF)
    return data, seeds


def test_a_blank_outcome_property_is_unknown_and_others_compare_ignoring_case(property_run):
    data, _ = property_run
    for model_id, expected in PROPERTY_EXPECTED.items():
        rows = outcomes(data, model_id)
        actual = {r["contact_id"]: (r["is_converted"], r["in_population"]) for r in rows}
        assert actual == expected, model_id
        source = "deal" if model_id == "churn_risk" else "property"
        assert {r["outcome_source"] for r in rows} == {source}, model_id
    evidence = {r["contact_id"]: r["outcome_evidence"] for r in outcomes(data, "lead")}
    assert evidence == {"p01": "1", "p02": "1", "p04": "yes", "p05": "0", "p07": "1", "p12": "1"}
    # The unknown are still scored (in contact_scores) when in the population.
    scored = scored_ids(data, "lead")
    assert {"p03", "p06", "p09"} <= scored
    assert not {"p07", "p12"} & scored


def test_property_outcomes_feed_every_mart(property_run):
    data, seeds = property_run
    quality = check_model_quality(data, seeds)
    for model_id, expected in PROPERTY_EXPECTED.items():
        won = sum(converted for converted, _ in expected.values())
        row = quality[model_id]
        assert (row["contacts_with_outcome"], row["converted_contacts"]) == (len(expected), won)
    # Nobody converted for churn_risk: no AUC, lift, recall or recommendation anywhere.
    assert quality["churn_risk"]["top_decile_lift"] is None
    bands = check_band_conversion(data, seeds)
    assert {row["lift"] for key, row in bands.items() if key[0] == "churn_risk"} == {None}
    assert check_threshold_advice(data, "churn_risk") == (None, None)
    assert check_threshold_advice(data, "lead")[0] is not None
    assert check_threshold_advice(data, "cross_sell")[0] is not None
    performance = check_rule_performance(data)
    assert {r["lift"] for r in performance if r["model_id"] == "churn_risk"} == {None}
    steps = check_stage_funnel(data, seeds, with_deal=set())
    assert (steps["lead"][-1]["step"], steps["lead"][-1]["contacts_reached"]) == ("converted", 4)


def test_every_funnel_step_has_a_row_even_when_nobody_reached_it(property_run):
    """stage_funnel.yml: each model's stages in rank order, then its outcome steps; a step
    nobody reached is a row with contacts_reached 0 (a BI funnel, or a segment's conversion,
    must not silently end early)."""
    data, seeds = property_run
    funnels: dict[tuple[str, str, str], dict[str, int]] = {}
    for r in warehouse(
        data,
        "select * from marts.stage_funnel "
        "order by model_id, dimension, dimension_value, step_order",
    ):
        key = (r["model_id"], r["dimension"], r["dimension_value"])
        funnels.setdefault(key, {})[r["step"]] = r["contacts_reached"]
    for (model_id, dimension, value), steps in funnels.items():
        assert list(steps) == seed_steps(seeds, model_id), (model_id, dimension, value)
    assert funnels[("churn_risk", "all", "all")]["won"] == 0


def test_calibrate_on_the_demo_writes_seeds_that_validate_and_compare_runs(demo_run, tmp_path):
    """Issue 13: calibrate --model lead reports the learned and the current rules' AUC side by
    side, its seeds validate, and compare scores them without publishing anything."""
    data, _ = demo_run
    env = _env(data)
    out = tmp_path / "calibration"
    result = leadscore(env, "calibrate", "--model", "lead", "--out", str(out))
    assert "cross-validated AUC learned" in result.stdout and "vs current rules" in result.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    learned, current = report["auc"]["learned_cross_validated"], report["auc"]["current_same_folds"]
    assert len(learned["folds"]) == len(current["folds"]) == 5
    assert 0.5 < learned["mean"] <= 1 and 0.5 < current["mean"] <= 1
    assert report["rules"] and all(isinstance(rule["points"], int) for rule in report["rules"])
    assert "lifecycle_stage" in report["excluded_properties"]  # the population property
    assert {"churned", "expanded"} <= set(report["excluded_properties"])  # other outcomes
    checked = leadscore(env, "validate", "--seeds-dir", str(out / "seeds"))
    assert "seeds are valid" in checked.stdout
    published = (data / "warehouse" / "lead_scoring.duckdb").stat().st_mtime_ns
    compared = leadscore(env, "compare", "--challenger", str(out), "--model", "lead", "--json")
    (lead,) = json.loads(compared.stdout)["models"]
    assert lead["current"]["auc"] is not None and lead["challenger"]["auc"] is not None
    assert (data / "warehouse" / "lead_scoring.duckdb").stat().st_mtime_ns == published
