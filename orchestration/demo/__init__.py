"""Generate a deterministic, vectorised B2B SaaS demo data set as Parquet in the landing folder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .activities import activity_chunk
from .people import build_contacts
from .sales import build_deals, build_feedback, with_account_outcomes
from .sampling import CounterRandom
from .schemas import ENTITIES
from .segments import plan_segment_rows
from .signals import build_signal_activities, with_purchase_dates
from .targets import TargetVocabulary
from .writer import PART_ROWS, ROW_GROUP_ROWS, ActivityPartWriter, remove_demo_files, write_table

__all__ = ["generate_demo", "ENTITIES", "CHUNK_ROWS", "PART_ROWS", "ROW_GROUP_ROWS"]

# Activity rows aimed at per chunk of contacts (bounds memory; never changes the output).
CHUNK_ROWS = 1_000_000

_UNIX_EPOCH = datetime(1970, 1, 1)


def _contact_chunks(segment_rows: np.ndarray, chunk_contacts: int | None) -> list[tuple[int, int]]:
    """(start, stop) contact ranges: `chunk_contacts` each, or about CHUNK_ROWS activity rows."""
    n = len(segment_rows)
    if chunk_contacts:
        step = max(1, int(chunk_contacts))
        return [(start, min(n, start + step)) for start in range(0, n, step)]
    cumulative_rows = np.cumsum(segment_rows.sum(axis=1))
    total = int(cumulative_rows[-1]) if n else 0
    cuts = (
        np.searchsorted(cumulative_rows, np.arange(CHUNK_ROWS, total, CHUNK_ROWS), side="left") + 1
    )
    edges = np.unique(np.concatenate([[0], np.minimum(cuts, n), [n]]))
    return [(int(start), int(stop)) for start, stop in zip(edges[:-1], edges[1:], strict=True)]


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def generate_demo(
    landing_dir: Path,
    *,
    contacts: int = 2000,
    activities_per_contact: int = 25,
    seed: int = 42,
    as_of: datetime,
    progress: bool = True,
    chunk_contacts: int | None = None,
    part_rows: int | None = None,
) -> dict[str, int]:
    """Write a deterministic demo data set into `landing_dir/<entity>/demo_*.parquet`.

    `activities_per_contact` is the mean number of activity rows per contact; the actual number
    per contact depends on its engagement propensity and funnel depth. Nothing is dated after
    `as_of` (naive UTC; an aware datetime is converted). Earlier `demo_*` files of the four
    entities are removed first; other files are left alone. The same arguments give
    byte-identical files, whatever `chunk_contacts` (contacts per generation chunk, default:
    about `CHUNK_ROWS` activity rows per chunk). `part_rows` caps rows per activities file
    (default `PART_ROWS`).

    Returns the number of rows written per entity, e.g.
    `{"contacts": 2040, "activities": 50123, "deals": 410, "sales_feedback": 44}` (contacts
    includes the ~2% older duplicate records; sales_feedback includes superseded feedback).
    """
    if contacts < 1:
        raise ValueError("contacts must be at least 1")
    if activities_per_contact < 0:
        raise ValueError("activities_per_contact must not be negative")
    seed = int(seed) % (1 << 64)  # any int; SeedSequence needs a non-negative one
    as_of = _naive_utc(as_of)
    as_of_us = (as_of - _UNIX_EPOCH) // timedelta(microseconds=1)
    landing = Path(landing_dir)
    folders = {entity: landing / entity for entity in ENTITIES}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
        remove_demo_files(folder)

    # Independent generators per entity: changing how one is drawn leaves the others alone.
    # spawn(6)'s first five children are spawn(5)'s: adding a generator changes no other draw.
    rng_contacts, rng_plan, rng_deals, rng_feedback, rng_accounts, rng_signals = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(6)
    )
    with tqdm(
        total=contacts, desc="demo activities", unit="contact", disable=not progress
    ) as progress_bar:
        population, contact_table = build_contacts(contacts, rng_contacts, as_of_us)
        contact_table = with_account_outcomes(contact_table, population, rng_accounts)
        contact_table = with_purchase_dates(contact_table, population, rng_signals, as_of_us)
        row_counts = {
            "contacts": write_table(folders["contacts"] / "demo_contacts.parquet", contact_table)
        }
        del contact_table  # free it before the (much larger) activities
        population.segment_rows = plan_segment_rows(
            population, float(activities_per_contact), rng_plan
        )
        vocabulary = TargetVocabulary(as_of_us)
        counter_random = CounterRandom(seed)
        writer = ActivityPartWriter(folders["activities"], part_rows or PART_ROWS, ROW_GROUP_ROWS)
        for start, stop in _contact_chunks(population.segment_rows, chunk_contacts):
            writer.write(activity_chunk(population, counter_random, vocabulary, start, stop))
            progress_bar.update(stop - start)
        if activities_per_contact > 0:  # the customers' trends, after every chunk's rows
            writer.write(
                build_signal_activities(population, rng_signals, float(activities_per_contact))
            )
        row_counts["activities"] = writer.close()
    row_counts["deals"] = write_table(
        folders["deals"] / "demo_deals.parquet", build_deals(population, rng_deals)
    )
    row_counts["sales_feedback"] = write_table(
        folders["sales_feedback"] / "demo_sales_feedback.parquet",
        build_feedback(population, rng_feedback),
    )
    return row_counts
