"""Demo customers' usage, login, ticket and purchase signals, for the trend and date rules.

A customer at risk logs in less this month than in the two before and files more tickets; an
expansion candidate uses features more (summed `value`) than the month before and bought long
ago. The other customers keep steady rates. Drawn from their own generator (after every other
activity), so every other demo draw is unchanged.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import concat_strings, digit_strings, timestamps
from .people import Population
from .schemas import ACTIVITY_SCHEMA

WINDOW_DAYS = 30
FEATURES = np.array(["dashboards", "exports", "automations", "reports"], dtype=object)
TICKET_TARGETS = np.array(["priority:normal", "priority:low"], dtype=object)


def _events(
    rng: np.random.Generator,
    contacts: np.ndarray,
    window_mean: np.ndarray,
    baseline_mean: np.ndarray,
    baseline_days: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(contact index, age in days) of Poisson counts in the window and the baseline before it."""
    window = rng.poisson(window_mean)
    baseline = rng.poisson(baseline_mean)
    who = np.concatenate([np.repeat(contacts, window), np.repeat(contacts, baseline)])
    ages = np.concatenate(
        [
            rng.uniform(0.01, WINDOW_DAYS - 0.01, int(window.sum())),
            rng.uniform(
                WINDOW_DAYS + 0.01, WINDOW_DAYS + baseline_days - 0.01, int(baseline.sum())
            ),
        ]
    )
    return who, ages


def build_signal_activities(
    population: Population, rng: np.random.Generator, activities_per_contact: float
) -> pa.Table:
    """Logins (window 30 days, baseline 60), support tickets and feature usage with a `value`
    (both baseline 30) of the customers: falling or rising for the accounts that churn or
    expand more often, steady for the rest."""
    scale = activities_per_contact / 25.0
    customers = np.flatnonzero(population.is_customer)
    at_risk = population.at_risk[customers]
    expansion = population.expansion[customers]
    dropping = at_risk & (rng.random(customers.size) < 0.9)
    rising_tickets = at_risk & (rng.random(customers.size) < 0.5)
    growing = expansion & (rng.random(customers.size) < 0.7)

    # Counts scale with the demo's activities per contact (25 by default): about 9 % more rows.
    login_who, login_age = _events(
        rng,
        customers,
        scale * np.where(dropping, 0.2, 2.5),
        scale * np.where(dropping, 9.0, 5.0),
        60,
    )
    ticket_who, ticket_age = _events(
        rng,
        customers,
        scale * np.where(rising_tickets, 2.0, 0.3),
        scale * np.where(rising_tickets, 0.3, 0.3),
        30,
    )
    usage_who, usage_age = _events(
        rng, customers, scale * np.where(growing, 9.0, 3.5), scale * np.where(growing, 3.0, 3.5), 30
    )
    usage_value = np.round(
        rng.gamma(3.0, np.where(np.isin(usage_who, customers[growing]), 8.0, 4.0))
    )

    who = np.concatenate([login_who, ticket_who, usage_who])
    ages = np.concatenate([login_age, ticket_age, usage_age])
    kinds = np.concatenate(
        [
            np.full(login_who.size, "login", dtype=object),
            np.full(ticket_who.size, "support_ticket", dtype=object),
            np.full(usage_who.size, "feature_used", dtype=object),
        ]
    )
    targets = np.concatenate(
        [
            np.full(login_who.size, None, dtype=object),
            TICKET_TARGETS[rng.integers(0, TICKET_TARGETS.size, ticket_who.size)],
            FEATURES[rng.integers(0, FEATURES.size, usage_who.size)],
        ]
    )
    values = np.concatenate([np.full(login_who.size + ticket_who.size, np.nan), usage_value])
    occurred = population.occurred_at(who, ages)  # never before the contact was created
    order = np.lexsort((occurred, who))
    ids = concat_strings("SIG", digit_strings(np.arange(1, who.size + 1), 9))
    return pa.table(
        {
            "activity_id": ids,
            "contact_id": population.contact_ids.take(pa.array(who[order])),
            "activity_type": pa.array(kinds[order], type=pa.string()),
            "occurred_at": timestamps(occurred[order]),
            "target": pa.array(targets[order], type=pa.string()),
            "value": pa.array(values[order], type=pa.float64(), from_pandas=True),
        },
        schema=ACTIVITY_SCHEMA,
    )


def with_purchase_dates(
    contacts: pa.Table, population: Population, rng: np.random.Generator, as_of_us: int
) -> pa.Table:
    """`last_purchase_date` (an ISO date) of each customer: expansion candidates mostly bought
    over 180 days ago; blank for contacts that are not customers."""
    n = population.contact_count
    days_ago = np.where(
        population.expansion & (rng.random(n) < 0.7),
        rng.uniform(181, 720, n),
        rng.uniform(20, 400, n),
    ).astype(np.int64)
    dates = (np.datetime64(as_of_us, "us") - days_ago * np.timedelta64(1, "D")).astype(
        "datetime64[D]"
    )
    text = dates.astype(str).astype(object)
    text[~population.is_customer] = None
    index = pc.cast(pc.utf8_slice_codeunits(contacts["contact_id"], 1), pa.int64()).to_numpy() - 1
    return contacts.append_column("last_purchase_date", pa.array(text[index], type=pa.string()))
