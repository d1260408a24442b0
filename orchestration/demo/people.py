"""Companies and contacts: the contacts table and the latent traits that drive everything else."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .behaviour import GROUP_AT_RISK, GROUP_CUSTOMER, GROUP_EXPANSION, GROUP_LOW_FIT
from .columns import (
    DAY_US,
    base36_strings,
    concat_strings,
    digit_strings,
    floor_to_second,
    take_strings,
    timestamps,
)
from .sampling import choose_weighted, percentile_rank
from .schemas import CONTACT_SCHEMA, JAPANESE_TITLE_COLUMN, OCCUPATION_COLUMN
from .world import (
    COMPETITORS,
    COUNTRIES,
    COUNTRY_WEIGHTS,
    ENGLISH_COMPANY_KINDS,
    ENGLISH_COMPANY_WORDS,
    ENGLISH_FIRST_NAMES,
    ENGLISH_LAST_NAMES,
    ENGLISH_TITLES,
    INDUSTRIES,
    INDUSTRY_FIT,
    INDUSTRY_WEIGHTS,
    INTERNAL_COMPANY,
    INTERNAL_DOMAIN,
    JAPANESE_COMPANY_KINDS,
    JAPANESE_COMPANY_WORDS,
    JAPANESE_FIRST_NAMES,
    JAPANESE_LAST_NAMES,
    JAPANESE_TITLES,
    OCCUPATIONS,
    SENIORITY_FIT,
    SOURCE_WEIGHTS,
    SOURCES,
    STAGE_CUSTOMER,
    STAGE_LEAD,
    STAGE_OPPORTUNITY,
    STAGE_SUBSCRIBER,
    STAGES,
    TITLE_SENIORITY,
    TITLES,
    WINDOW_DAYS,
)

# Recency skew of activity ages by funnel depth: deeper contacts were active more recently.
_RECENCY_SKEW_BY_DEPTH = np.array([1.0, 1.2, 1.6, 2.2])


@dataclass
class Population:
    """Per-contact latent traits that drive activities, deals and feedback.

    Every array has one entry per contact (`contact_count`), in contact id order.
    """

    contact_count: int
    as_of_us: int
    id_width: int
    contact_ids: pa.Array
    created_us: np.ndarray
    created_age: np.ndarray  # days before as_of
    window: np.ndarray  # days of activity history (<= WINDOW_DAYS and <= created_age)
    seniority: np.ndarray
    employee_count: np.ndarray
    internal: np.ndarray
    competitor: np.ndarray
    fit_score: np.ndarray
    engagement: np.ndarray
    depth: np.ndarray  # funnel depth 0..3 (customers: 3, used before they converted)
    is_customer: np.ndarray
    opportunity: np.ndarray
    at_risk: np.ndarray
    expansion: np.ndarray
    conversion_age: np.ndarray  # days since the customer's won deal closed (inf otherwise)
    silence_days: np.ndarray  # days of silence before as_of (0 = active)
    opt_out: np.ndarray
    unsubscribe_age: np.ndarray
    prospect_group: np.ndarray
    customer_group: np.ndarray
    recency_skew: np.ndarray  # skew of activity ages (>1: recent)
    open_rate: np.ndarray
    click_rate: np.ndarray
    attend_rate: np.ndarray
    prospect_min_age: np.ndarray  # youngest age of prospect-like activity
    segment_rows: np.ndarray | None = None  # (contact_count, SEGMENT_COUNT) rows per segment

    def occurred_at(self, contact_index: np.ndarray, age_days: np.ndarray) -> np.ndarray:
        """Whole-second timestamps `age_days` before as_of, never before the contact's creation."""
        us = self.as_of_us - np.floor(np.maximum(age_days, 0.0) * DAY_US).astype(np.int64)
        return floor_to_second(np.maximum(us, self.created_us[contact_index]))


@dataclass
class _Companies:
    country: np.ndarray
    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    names: pa.Array
    domains: pa.Array


def _build_companies(company_count: int, rng: np.random.Generator) -> _Companies:
    """Companies with made-up, unique names: Japanese ones for Japan, English ones elsewhere."""
    country = rng.choice(len(COUNTRIES), size=company_count, p=COUNTRY_WEIGHTS)
    industry = rng.choice(len(INDUSTRIES), size=company_count, p=INDUSTRY_WEIGHTS)
    employees = np.clip(np.rint(rng.lognormal(np.log(120), 1.7, company_count)), 1, 50_000).astype(
        np.int64
    )
    revenue = np.round(employees * rng.lognormal(np.log(180_000), 0.5, company_count), -3)
    japanese = country == 0
    # Each language's companies walk through word x kind combinations, then repeat with a number.
    rank = np.where(japanese, np.cumsum(japanese) - 1, np.cumsum(~japanese) - 1)
    word_count = np.where(japanese, len(JAPANESE_COMPANY_WORDS), len(ENGLISH_COMPANY_WORDS))
    kind_count = np.where(japanese, len(JAPANESE_COMPANY_KINDS), len(ENGLISH_COMPANY_KINDS))
    word = np.where(japanese, 0, len(JAPANESE_COMPANY_WORDS)) + rank % word_count
    kind = np.where(japanese, 0, len(JAPANESE_COMPANY_KINDS)) + (rank // word_count) % kind_count
    repeat = rank // (word_count * kind_count)
    words = JAPANESE_COMPANY_WORDS + ENGLISH_COMPANY_WORDS
    names = concat_strings(
        take_strings(["", "株式会社"], japanese.astype(np.int64)),
        take_strings([text for text, _ in words], word),
        take_strings([" ", ""], japanese.astype(np.int64)),
        take_strings(JAPANESE_COMPANY_KINDS + ENGLISH_COMPANY_KINDS, kind),
        pc.if_else(pa.array(repeat > 0), concat_strings(" ", digit_strings(repeat + 1)), ""),
    )
    domains = concat_strings(
        take_strings([slug for _, slug in words], word),
        "-",
        digit_strings(np.arange(company_count)),
        ".example",
    )
    return _Companies(country, industry, employees, revenue, names, domains)


def build_contacts(n: int, rng: np.random.Generator, as_of_us: int) -> tuple[Population, pa.Table]:
    """`n` contacts (plus ~2% older duplicate records) and their latent traits."""
    id_width = max(7, len(str(n)))
    index = np.arange(n)
    contact_ids = concat_strings("C", digit_strings(index + 1, id_width))

    # Companies (about five contacts each, a few large accounts).
    company_count = max(8, n // 5)
    companies = _build_companies(company_count, rng)
    company_of_contact = np.minimum(
        (company_count * rng.random(n) ** 1.4).astype(np.int64), company_count - 1
    )
    affiliation_draw = rng.random(n)
    internal = affiliation_draw < 0.01
    competitor = (affiliation_draw >= 0.01) & (affiliation_draw < 0.02)
    rival = competitor & (rng.random(n) < 0.5)
    scorematic = competitor & ~rival
    country = companies.country[company_of_contact]
    country = np.where(internal, np.where(rng.random(n) < 0.6, 0, 1), country)
    country = np.where(competitor, 1, country)
    is_japanese = country == 0
    industry = np.where(internal | competitor, 0, companies.industry[company_of_contact])
    employees = companies.employees[company_of_contact]
    employees = np.where(internal, 120, np.where(rival, 450, np.where(scorematic, 80, employees)))
    revenue = companies.revenue[company_of_contact]
    revenue = np.where(
        internal, 2.4e7, np.where(rival, 9.0e7, np.where(scorematic, 1.2e7, revenue))
    )

    japanese_title_weights = np.array([weight for _, _, weight in JAPANESE_TITLES])
    english_title_weights = np.array([weight for _, _, weight in ENGLISH_TITLES])
    title = np.where(
        is_japanese,
        rng.choice(
            len(JAPANESE_TITLES), n, p=japanese_title_weights / japanese_title_weights.sum()
        ),
        len(JAPANESE_TITLES)
        + rng.choice(len(ENGLISH_TITLES), n, p=english_title_weights / english_title_weights.sum()),
    )
    seniority = TITLE_SENIORITY[title]
    first_names = JAPANESE_FIRST_NAMES + ENGLISH_FIRST_NAMES
    last_names = JAPANESE_LAST_NAMES + ENGLISH_LAST_NAMES
    first_name = np.where(
        is_japanese,
        rng.integers(0, len(JAPANESE_FIRST_NAMES), n),
        len(JAPANESE_FIRST_NAMES) + rng.integers(0, len(ENGLISH_FIRST_NAMES), n),
    )
    last_name = np.where(
        is_japanese,
        rng.integers(0, len(JAPANESE_LAST_NAMES), n),
        len(JAPANESE_LAST_NAMES) + rng.integers(0, len(ENGLISH_LAST_NAMES), n),
    )

    domain = pc.take(companies.domains, pa.array(company_of_contact))
    domain = pc.if_else(pa.array(internal), INTERNAL_DOMAIN, domain)
    domain = pc.if_else(pa.array(rival), COMPETITORS[0][1], domain)
    domain = pc.if_else(pa.array(scorematic), COMPETITORS[1][1], domain)
    email = concat_strings(
        take_strings([slug for _, slug in first_names], first_name),
        ".",
        take_strings([slug for _, slug in last_names], last_name),
        digit_strings(index + 1),
        "@",
        domain,
    )
    company = pc.take(companies.names, pa.array(company_of_contact))
    company = pc.if_else(pa.array(internal), INTERNAL_COMPANY, company)
    company = pc.if_else(pa.array(rival), COMPETITORS[0][0], company)
    company = pc.if_else(pa.array(scorematic), COMPETITORS[1][0], company)

    # Latent fit, engagement propensity and buying intent.
    fit = (
        SENIORITY_FIT[seniority]
        + INDUSTRY_FIT[industry]
        + 0.35 * (np.log10(employees) - 2.0)
        + rng.normal(0.0, 0.4, n)
    )
    fit_score = (fit - fit.mean()) / (fit.std() + 1e-9)
    engagement = rng.lognormal(0.0, 0.85, n)
    engagement_percentile = percentile_rank(engagement)
    intent = 0.8 * fit_score + 0.6 * np.log(engagement) / 0.85 + rng.normal(0.0, 0.7, n)

    # Creation dates: a third joined within the last year.
    joined_recently = rng.random(n) < 0.35
    creation_age = np.where(
        joined_recently, 1.0 + 364.0 * rng.random(n), 365.0 + 1095.0 * rng.random(n)
    )
    created_us = floor_to_second(np.floor(as_of_us - creation_age * DAY_US).astype(np.int64))
    created_age = (as_of_us - created_us) / DAY_US
    window = np.minimum(WINDOW_DAYS, created_age)

    eligible = (created_age >= 60) & (seniority >= 1) & ~internal & ~competitor
    is_customer = choose_weighted(
        rng, np.where(eligible, 1.2 * fit_score, -np.inf), round(0.15 * n)
    )
    conversion_age = np.full(n, np.inf)
    conversion_age[is_customer] = 15.0 + (created_age[is_customer] - 30.0) * rng.random(
        int(is_customer.sum())
    )
    account_draw = rng.random(n)  # one draw: at risk and expansion are exclusive
    at_risk = is_customer & (conversion_age >= 120) & (account_draw < 0.22)
    expansion = is_customer & ~at_risk & (conversion_age >= 30) & (account_draw > 0.78)

    prospect = ~is_customer & ~internal & ~competitor
    depth = np.full(n, 3, dtype=np.int64)
    if prospect.any():
        intent_percentile = percentile_rank(intent[prospect])
        depth[prospect] = (
            (intent_percentile >= 0.65).astype(np.int64)
            + (intent_percentile >= 0.87)
            + (intent_percentile >= 0.955)
        )
    depth[internal | competitor] = 2
    opportunity = prospect & (rng.random(n) < np.array([0.0, 0.02, 0.30, 0.55])[depth])

    stage = np.where(rng.random(n) < 0.35 + 0.15 * depth, STAGE_LEAD, STAGE_SUBSCRIBER)
    stage[opportunity] = STAGE_OPPORTUNITY
    stage[is_customer] = STAGE_CUSTOMER
    stage_blank = (stage <= STAGE_LEAD) & (rng.random(n) < 0.036)
    opt_out = rng.random(n) < 0.05

    # Some prospects went silent for the last two to four months.
    silence_length = 60.0 + 60.0 * rng.random(n)
    silence_probability = np.array([0.25, 0.25, 0.12, 0.03])[depth]
    silence_days = np.where(
        ~is_customer & (rng.random(n) < silence_probability) & (window > silence_length + 30),
        silence_length,
        0.0,
    )
    active_min_age = np.where(is_customer, 0.0, silence_days)
    unsubscribe_age = active_min_age + (window - active_min_age) * rng.random(n)
    prospect_group = np.where((seniority == 0) & (depth <= 1), GROUP_LOW_FIT, depth)
    customer_group = np.where(
        at_risk,
        GROUP_AT_RISK,
        np.where(expansion, GROUP_EXPANSION, np.where(is_customer, GROUP_CUSTOMER, 0)),
    )
    recency_skew = _RECENCY_SKEW_BY_DEPTH[depth] * rng.lognormal(0.0, 0.1, n)
    open_rate = np.clip(
        np.where(
            is_customer,
            0.35 + 0.2 * engagement_percentile,
            0.12 + 0.08 * depth + 0.25 * engagement_percentile,
        ),
        0,
        0.9,
    )
    click_rate = np.where(is_customer, 0.15, 0.08 + 0.06 * depth)
    attend_rate = 0.35 + 0.1 * depth

    # CRM identifiers and free-text properties.
    hubspot = 1_000_000_000 + index * 97 + rng.integers(0, 97, n)
    hubspot_null = rng.random(n) >= 0.70
    salesforce_null = rng.random(n) >= 0.50
    salesforce = concat_strings(
        "00Q5g000", base36_strings(index * 1_000_003 + rng.integers(0, 1_000_003, n), 10)
    )
    occupation_strings = [answer for answers in OCCUPATIONS for answer in answers]
    occupation_sizes = np.array([len(answers) for answers in OCCUPATIONS])
    occupation_offsets = np.cumsum(occupation_sizes) - occupation_sizes
    occupation = occupation_offsets[seniority] + (
        occupation_sizes[seniority] * rng.random(n)
    ).astype(np.int64)
    occupation_null = rng.random(n) >= 0.30

    updated_us = created_us + np.floor(
        (as_of_us - created_us) * (0.3 + 0.7 * rng.random(n))
    ).astype(np.int64)
    updated_us = floor_to_second(updated_us)

    job_title = take_strings(TITLES, title)
    # The source draw happens while the table is built: keep it in this position.
    table = pa.table(
        {
            "contact_id": contact_ids,
            "email": email,
            "first_name": take_strings([text for text, _ in first_names], first_name),
            "last_name": take_strings([text for text, _ in last_names], last_name),
            "job_title": job_title,
            "company": company,
            "industry": take_strings(INDUSTRIES, industry),
            "employee_count": pa.array(employees, type=pa.int64()),
            "annual_revenue": pa.array(revenue.astype(np.float64)),
            "country": take_strings(COUNTRIES, country),
            "original_source": take_strings(SOURCES, rng.choice(len(SOURCES), n, p=SOURCE_WEIGHTS)),
            "lifecycle_stage": take_strings(STAGES, stage, mask=stage_blank),
            "email_opt_out": pa.array(opt_out),
            "created_at": timestamps(created_us),
            "updated_at": timestamps(updated_us),
            "hubspot_id": pc.if_else(pa.array(hubspot_null), None, digit_strings(hubspot)),
            "salesforce_id": pc.if_else(pa.array(salesforce_null), None, salesforce),
            OCCUPATION_COLUMN: take_strings(occupation_strings, occupation, mask=occupation_null),
            JAPANESE_TITLE_COLUMN: pc.if_else(pa.array(is_japanese), job_title, None),
        },
        schema=CONTACT_SCHEMA,
    )
    table = _append_older_records(table, rng, created_us, updated_us, stage, stage_blank, employees)

    population = Population(
        contact_count=n,
        as_of_us=as_of_us,
        id_width=id_width,
        contact_ids=contact_ids,
        created_us=created_us,
        created_age=created_age,
        window=window,
        seniority=seniority,
        employee_count=employees,
        internal=internal,
        competitor=competitor,
        fit_score=fit_score,
        engagement=engagement,
        depth=depth,
        is_customer=is_customer,
        opportunity=opportunity,
        at_risk=at_risk,
        expansion=expansion,
        conversion_age=conversion_age,
        silence_days=silence_days,
        opt_out=opt_out,
        unsubscribe_age=unsubscribe_age,
        prospect_group=prospect_group,
        customer_group=customer_group,
        recency_skew=recency_skew,
        open_rate=open_rate,
        click_rate=click_rate,
        attend_rate=attend_rate,
        prospect_min_age=np.where(is_customer, conversion_age, silence_days),
    )
    return population, table


def _append_older_records(
    table: pa.Table,
    rng: np.random.Generator,
    created_us: np.ndarray,
    updated_us: np.ndarray,
    stage: np.ndarray,
    stage_blank: np.ndarray,
    employees: np.ndarray,
) -> pa.Table:
    """~2% of contacts also appear with an older version of their record.

    They are appended at the end, so only `updated_at`, not file order, picks the right one.
    """
    duplicated = np.flatnonzero(rng.random(len(created_us)) < 0.02)
    if not len(duplicated):
        return table
    older_us = created_us[duplicated] + np.floor(
        (updated_us[duplicated] - created_us[duplicated]) * 0.8 * rng.random(len(duplicated))
    ).astype(np.int64)
    older_stage = np.where(
        stage_blank[duplicated], STAGE_SUBSCRIBER, np.maximum(stage[duplicated] - 1, 0)
    )
    older = table.take(pa.array(duplicated))
    older = older.set_column(
        older.schema.get_field_index("updated_at"),
        "updated_at",
        timestamps(floor_to_second(older_us)),
    )
    older = older.set_column(
        older.schema.get_field_index("lifecycle_stage"),
        "lifecycle_stage",
        take_strings(STAGES, older_stage),
    )
    older = older.set_column(
        older.schema.get_field_index("employee_count"),
        "employee_count",
        pa.array(np.maximum(1, np.rint(employees[duplicated] * 0.8)).astype(np.int64)),
    )
    return pa.concat_tables([table, older])
