"""Activity segments (blocks of rows per contact) and how many rows each contact gets in each."""

from __future__ import annotations

import numpy as np

from .behaviour import ACTIVITY_TYPE_WEIGHTS
from .people import Population
from .world import TYPE_EMAIL_SENT, TYPE_WEBINAR_REGISTRATION, WINDOW_DAYS

# Activity segments: blocks of rows per contact, each with its own generator.
(
    SEGMENT_PROSPECT,
    SEGMENT_CUSTOMER,
    SEGMENT_DEMO_REQUEST,
    SEGMENT_MEETING,
    SEGMENT_RENEWAL,
    SEGMENT_NEW_FEATURES,
    SEGMENT_UNSUBSCRIBE,
    SEGMENT_BOUNCE,
) = range(8)
SEGMENT_COUNT = 8
# A row's sequence number within its segment has 20 bits of the row key.
MAX_SEGMENT_ROWS = (1 << 20) - 1

# Activity volume by funnel depth: deeper contacts are busier.
_ACTIVITY_WEIGHT_BY_DEPTH = np.array([0.7, 1.2, 2.0, 3.0])


def plan_segment_rows(
    population: Population, per_contact: float, rng: np.random.Generator
) -> np.ndarray:
    """Rows per (contact, activity segment); expected total = contacts x per_contact."""
    n = population.contact_count
    rows = np.zeros((n, SEGMENT_COUNT), dtype=np.int64)
    if per_contact <= 0:
        return rows
    customer = population.is_customer
    window = population.window
    pre_close = customer & (population.conversion_age < window - 7)
    weight = (
        population.engagement
        * _ACTIVITY_WEIGHT_BY_DEPTH[population.depth]
        * np.where(customer, 1.6, 1.0)
        * np.where(population.internal | population.competitor, 1.5, 1.0)
        * np.sqrt(np.maximum(window, 1.0) / WINDOW_DAYS)  # new contacts: less history
    )
    budget = per_contact * n * weight / weight.sum()
    # Share of a customer's history before the won deal closed (prospect-like behaviour).
    pre_close_share = np.where(
        pre_close, (window - np.minimum(population.conversion_age, window)) / window, 0.0
    )
    pre_close_share = np.where(customer, pre_close_share, 1.0)

    hot = (
        (population.depth == 3)
        & ~population.internal
        & ~population.competitor
        & (~customer | pre_close)
    )
    rows[:, SEGMENT_DEMO_REQUEST] = np.where(
        hot, np.where(customer, rng.random(n) < 0.8, 1 + (rng.random(n) < 0.3)), 0
    )
    rows[:, SEGMENT_MEETING] = hot & (rng.random(n) < np.where(customer, 0.7, 0.45))
    rows[:, SEGMENT_RENEWAL] = np.where(
        population.at_risk, rng.integers(2, 6, n), customer & (rng.random(n) < 0.25)
    )
    rows[:, SEGMENT_NEW_FEATURES] = np.where(population.expansion, rng.integers(3, 7, n), 0)
    rows[:, SEGMENT_UNSUBSCRIBE] = population.opt_out | (rng.random(n) < 0.015)
    rows[:, SEGMENT_BOUNCE] = rng.random(n) < 0.005

    # Each general row may bring follow-ups (opens, clicks, attendance): divide the budget by
    # the expected rows per general row so the total stays on target.
    general_budget = np.maximum(budget - rows.sum(axis=1), 0.0)

    def rows_per_draw(type_weights: np.ndarray) -> np.ndarray:
        sent = (
            type_weights[:, TYPE_EMAIL_SENT] * population.open_rate * (1.0 + population.click_rate)
        )
        return 1.0 + sent + type_weights[:, TYPE_WEBINAR_REGISTRATION] * population.attend_rate

    prospect_rows_per_draw = rows_per_draw(ACTIVITY_TYPE_WEIGHTS[population.prospect_group])
    customer_rows_per_draw = rows_per_draw(ACTIVITY_TYPE_WEIGHTS[population.customer_group])
    prospect_mean = general_budget * pre_close_share / prospect_rows_per_draw
    customer_mean = np.where(
        customer, general_budget * (1.0 - pre_close_share) / customer_rows_per_draw, 0.0
    )
    rows[:, SEGMENT_PROSPECT] = rng.poisson(prospect_mean)
    rows[:, SEGMENT_CUSTOMER] = rng.poisson(customer_mean)
    return np.minimum(rows, MAX_SEGMENT_ROWS)
