"""Sales outcomes of the demo contacts: deals (won, lost, open) and sales feedback on leads."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import concat_strings, digit_strings, take_strings, timestamps
from .people import Population
from .sampling import cdf_table, choose_weighted, pick_category
from .schemas import DEAL_SCHEMA, FEEDBACK_SCHEMA
from .world import DEAL_STATUS, FEEDBACK_NOTES, FEEDBACK_VERDICTS, PRODUCT_LINES, SALES_REPS

# Indices into DEAL_STATUS and FEEDBACK_VERDICTS.
_OPEN, _WON, _LOST = 0, 1, 2
_TRUE_SQL, _NOT_READY, _UNQUALIFIED = 0, 1, 2
# Extra note groups of FEEDBACK_NOTES after the three verdicts: why a lead was unqualified.
_UNQUALIFIED_STUDENT, _UNQUALIFIED_COMPETITOR = 3, 4


def build_deals(population: Population, rng: np.random.Generator) -> pa.Table:
    """Deals sorted by contact and creation time; ages are days before as_of."""
    n = population.contact_count
    contact_parts, created_parts, closed_parts, status_parts, line_parts = [], [], [], [], []
    # Product line odds by company size: small (<100 employees), mid, large (>1000).
    size_class = (population.employee_count >= 100).astype(np.int64) + (
        population.employee_count > 1000
    )
    line_cdf = cdf_table([[0.75, 0.22, 0.03], [0.50, 0.35, 0.15], [0.30, 0.30, 0.40]])

    def add_deals(
        contacts: np.ndarray, created: np.ndarray, closed: np.ndarray, status: int, line
    ) -> None:
        contact_parts.append(contacts)
        created_parts.append(created)
        closed_parts.append(closed)
        status_parts.append(np.full(len(contacts), status, dtype=np.int64))
        line_parts.append(line)

    def pick_product_lines(contacts: np.ndarray) -> np.ndarray:
        return pick_category(rng.random(len(contacts)), line_cdf, size_class[contacts])

    # The draws inside each add_deals call happen in argument order: keep that order.
    # Customers: the won deal that made them customers, sometimes an earlier lost one.
    customers = np.flatnonzero(population.is_customer)
    conversion_age = population.conversion_age[customers]
    created_age = population.created_age[customers]
    cycle = np.minimum(
        14.0 + 106.0 * rng.random(len(customers)), created_age - conversion_age - 0.5
    )
    won_created = conversion_age + np.maximum(cycle, 0.0)
    add_deals(customers, won_created, conversion_age, _WON, pick_product_lines(customers))
    prior = won_created + 60.0 + 240.0 * rng.random(len(customers))
    lost_before = (rng.random(len(customers)) < 0.15) & (prior < created_age - 0.5)
    add_deals(
        customers[lost_before],
        prior[lost_before],
        prior[lost_before] - 14.0 - 46.0 * rng.random(int(lost_before.sum())),
        _LOST,
        pick_product_lines(customers[lost_before]),
    )
    # Expansion candidates: an open upsell.
    upsell_contacts = np.flatnonzero(population.expansion & (rng.random(n) < 0.5))
    upsell_line = 1 + pick_category(rng.random(len(upsell_contacts)), cdf_table([0.6, 0.4]), 0)
    add_deals(
        upsell_contacts,
        1.0 + 29.0 * rng.random(len(upsell_contacts)),
        np.full(len(upsell_contacts), np.nan),
        _OPEN,
        upsell_line,
    )
    # Opportunities: an open deal created recently.
    opportunities = np.flatnonzero(population.opportunity)
    span = np.minimum(60.0, population.created_age[opportunities] - 0.5)
    add_deals(
        opportunities,
        span * (0.05 + 0.95 * rng.random(len(opportunities))),
        np.full(len(opportunities), np.nan),
        _OPEN,
        pick_product_lines(opportunities),
    )
    # Other prospects: lost deals (more often for poor fit) and a few open ones.
    prospect = (
        ~population.is_customer
        & ~population.opportunity
        & ~population.internal
        & ~population.competitor
    )
    fit_factor = np.where(population.fit_score < 0, 1.4, 0.7)
    lost_probability = np.array([0.005, 0.01, 0.08, 0.30])[population.depth] * fit_factor
    open_probability = np.array([0.0, 0.0, 0.04, 0.10])[population.depth]
    outcome_draw = rng.random(n)
    lost = np.flatnonzero(prospect & (outcome_draw < lost_probability))
    created = np.minimum(300.0, population.window[lost]) * (0.1 + 0.9 * rng.random(len(lost)))
    add_deals(
        lost,
        created,
        created * (0.2 + 0.6 * rng.random(len(lost))),
        _LOST,
        pick_product_lines(lost),
    )
    still_open = np.flatnonzero(
        prospect
        & (outcome_draw >= lost_probability)
        & (outcome_draw < lost_probability + open_probability)
    )
    span = np.minimum(45.0, population.created_age[still_open] - 0.5)
    created = span * (0.05 + 0.95 * rng.random(len(still_open)))
    add_deals(
        still_open,
        created,
        np.full(len(still_open), np.nan),
        _OPEN,
        pick_product_lines(still_open),
    )

    contact = np.concatenate(contact_parts)
    deal_created_age = np.concatenate(created_parts)
    closed_age = np.concatenate(closed_parts)
    status = np.concatenate(status_parts)
    line = np.concatenate(line_parts)
    created_us = population.occurred_at(contact, deal_created_age)
    closed_null = np.isnan(closed_age)
    closed_us = np.maximum(population.occurred_at(contact, np.nan_to_num(closed_age)), created_us)
    base = np.array([9_000.0, 22_000.0, 85_000.0])[line]
    amount = (
        base
        * rng.lognormal(0.0, 0.35, len(contact))
        * (population.employee_count[contact] / 200.0) ** 0.15
    )
    amount = np.round(amount, -2)

    order = np.lexsort((created_us, contact))
    contact, created_us = contact[order], created_us[order]
    closed_us, closed_null = closed_us[order], closed_null[order]
    return pa.table(
        {
            "deal_id": concat_strings("D", digit_strings(np.arange(1, len(contact) + 1), 7)),
            "contact_id": pc.take(population.contact_ids, pa.array(contact)),
            "created_at": timestamps(created_us),
            "status": take_strings(DEAL_STATUS, status[order]),
            "closed_at": timestamps(closed_us, mask=closed_null),
            "amount": pa.array(amount[order]),
            "product_line": take_strings(PRODUCT_LINES, line[order]),
        },
        schema=DEAL_SCHEMA,
    )


def build_feedback(population: Population, rng: np.random.Generator) -> pa.Table:
    """Sales verdicts on ~2% of the leads, mostly deep-funnel and low-fit ones."""
    n = population.contact_count
    low_fit = population.competitor | (population.seniority == 0)
    weight = np.array([0.3, 1.0, 8.0, 30.0])[population.depth]
    weight = np.where(low_fit & (population.depth >= 1), np.maximum(weight, 4.0), weight)
    weight = np.where(population.competitor, 20.0, weight)
    weight = np.where(population.internal | population.is_customer, 0.0, weight)
    with np.errstate(divide="ignore"):  # log(0) = -inf: never chosen
        chosen = np.flatnonzero(choose_weighted(rng, np.log(weight), max(1, round(0.02 * n))))
    # Verdict odds: low fit, then funnel depth 3, 2, and 0-1.
    depth = population.depth[chosen]
    lead_class = np.where(low_fit[chosen], 0, np.where(depth == 3, 1, np.where(depth == 2, 2, 3)))
    verdict_cdf = cdf_table(
        [[0.05, 0.15, 0.80], [0.60, 0.30, 0.10], [0.30, 0.50, 0.20], [0.10, 0.50, 0.40]]
    )
    verdict = pick_category(rng.random(len(chosen)), verdict_cdf, lead_class)
    age = np.minimum(90.0, population.created_age[chosen]) * rng.random(len(chosen))
    # Some contacts got an earlier, different verdict that the newer one replaces.
    older_age = age + 10.0 + 50.0 * rng.random(len(chosen))
    again = (rng.random(len(chosen)) < 0.12) & (older_age < population.created_age[chosen])
    contact = np.concatenate([chosen, chosen[again]])
    ages = np.concatenate([age, older_age[again]])
    older_verdict = np.where(verdict[again] == _TRUE_SQL, _NOT_READY, _TRUE_SQL)
    verdict = np.concatenate([verdict, older_verdict])
    given_us = population.occurred_at(contact, ages)
    order = np.lexsort((given_us, contact))
    contact, given_us, verdict = contact[order], given_us[order], verdict[order]

    row_count = len(contact)
    reason = verdict.copy()
    reason[(verdict == _UNQUALIFIED) & (population.seniority[contact] == 0)] = _UNQUALIFIED_STUDENT
    reason[(verdict == _UNQUALIFIED) & population.competitor[contact]] = _UNQUALIFIED_COMPETITOR
    note_sizes = np.array([len(notes) for notes in FEEDBACK_NOTES])
    note_offsets = np.cumsum(note_sizes) - note_sizes
    note = note_offsets[reason] + (note_sizes[reason] * rng.random(row_count)).astype(np.int64)
    model_null = rng.random(row_count) < 0.85
    return pa.table(
        {
            "contact_id": pc.take(population.contact_ids, pa.array(contact)),
            "feedback": take_strings(FEEDBACK_VERDICTS, verdict),
            "given_at": timestamps(given_us),
            "model_id": take_strings(
                ["lead"], np.zeros(row_count, dtype=np.int64), mask=model_null
            ),
            "given_by": take_strings(SALES_REPS, rng.integers(0, len(SALES_REPS), row_count)),
            "note": take_strings([text for notes in FEEDBACK_NOTES for text in notes], note),
        },
        schema=FEEDBACK_SCHEMA,
    )


def with_account_outcomes(
    contacts: pa.Table, population: Population, rng: np.random.Generator
) -> pa.Table:
    """The customers' account outcomes as CRM properties: `churned` (at-risk accounts churn
    more often) and `expanded` (expansion candidates buy more more often); blank for contacts
    that are not customers (unknown). Older duplicate records carry their contact's values."""
    n = population.contact_count
    churned = np.where(population.at_risk, 0.55, 0.06) > rng.random(n)
    expanded = np.where(population.expansion, 0.6, 0.08) > rng.random(n)
    index = pc.cast(pc.utf8_slice_codeunits(contacts["contact_id"], 1), pa.int64()).to_numpy() - 1
    customer = population.is_customer[index]

    def column(values: np.ndarray) -> pa.Array:
        text = np.where(values[index], "true", "false").astype(object)
        text[~customer] = None
        return pa.array(text, type=pa.string())

    return contacts.append_column("churned", column(churned)).append_column(
        "expanded", column(expanded)
    )
