"""Activity rows: generated chunk by chunk of contacts from counter-based random streams."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .behaviour import ACTIVITY_TYPE_CDF, GROUP_AT_RISK
from .columns import concat_strings, digit_strings, take_strings, timestamps
from .people import Population
from .sampling import CounterRandom, pick_category
from .schemas import ACTIVITY_SCHEMA
from .segments import (
    SEGMENT_BOUNCE,
    SEGMENT_COUNT,
    SEGMENT_CUSTOMER,
    SEGMENT_DEMO_REQUEST,
    SEGMENT_MEETING,
    SEGMENT_NEW_FEATURES,
    SEGMENT_PROSPECT,
    SEGMENT_RENEWAL,
    SEGMENT_UNSUBSCRIBE,
)
from .targets import TargetVocabulary
from .world import (
    ACTIVITY_TYPES,
    TYPE_EMAIL_BOUNCE,
    TYPE_EMAIL_CLICK,
    TYPE_EMAIL_OPEN,
    TYPE_EMAIL_SENT,
    TYPE_EMAIL_UNSUBSCRIBE,
    TYPE_FEATURE_USED,
    TYPE_FORM_SUBMISSION,
    TYPE_LOGIN,
    TYPE_MEETING_BOOKED,
    TYPE_PAGE_VIEW,
    TYPE_SUPPORT_TICKET,
    TYPE_WEBINAR_ATTENDED,
    TYPE_WEBINAR_REGISTRATION,
)

# Independent random streams of the counter-based generator used for activities.
(
    STREAM_TYPE,
    STREAM_AGE,
    STREAM_TAPER,
    STREAM_CATEGORY,
    STREAM_SLUG,
    STREAM_VALUE_1,
    STREAM_VALUE_2,
    STREAM_OPEN,
    STREAM_OPEN_DELAY_1,
    STREAM_OPEN_DELAY_2,
    STREAM_CLICK,
    STREAM_CLICK_DELAY,
    STREAM_ATTEND,
    STREAM_ATTEND_DELAY,
    STREAM_DUPLICATE,
) = range(15)

DUPLICATE_RATE = 0.005

# Sort-key suffixes: a follow-up row sorts right after the row that caused it.
_FOLLOW_UP_OPEN, _FOLLOW_UP_CLICK, _FOLLOW_UP_ATTEND = 1, 2, 3


@dataclass
class ActivityRows:
    contact_index: np.ndarray
    sort_key: np.ndarray  # unique per row, stable tiebreak
    activity_type: np.ndarray
    target: np.ndarray  # vocabulary index, -1 = null
    occurred_us: np.ndarray
    value: np.ndarray  # nan = null


def _segment_row_keys(
    segment_rows: np.ndarray, start: int, segment: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Contact index and unique key (contact << 24 | segment << 20 | sequence) of each row."""
    rows_per_contact = segment_rows[:, segment]
    total = int(rows_per_contact.sum())
    if total == 0:
        return None
    local_contact = np.repeat(np.arange(len(rows_per_contact)), rows_per_contact)
    sequence = np.arange(total) - np.repeat(
        np.cumsum(rows_per_contact) - rows_per_contact, rows_per_contact
    )
    contact_index = local_contact + start
    key = (
        (contact_index.astype(np.uint64) << np.uint64(24))
        | np.uint64(segment << 20)
        | sequence.astype(np.uint64)
    )
    return contact_index, key


def _pick_targets(
    vocabulary: TargetVocabulary,
    counter_random: CounterRandom,
    key: np.ndarray,
    activity_type: np.ndarray,
    group: np.ndarray,
    occurred_us: np.ndarray,
) -> np.ndarray:
    target = np.full(len(key), -1, dtype=np.int64)
    category_draw = counter_random.uniform(key, STREAM_CATEGORY)
    slug_draw = counter_random.uniform(key, STREAM_SLUG)
    for target_type, (
        cdf,
        offsets,
        sizes,
        newsletter_position,
    ) in vocabulary.targets_by_type.items():
        rows = activity_type == target_type
        if not rows.any():
            continue
        category = pick_category(category_draw[rows], cdf, group[rows])
        size = sizes[category]
        indices = offsets[category] + np.minimum(
            (size * slug_draw[rows] ** 1.7).astype(np.int64), size - 1
        )
        if newsletter_position >= 0:
            is_newsletter = category == newsletter_position
            indices[is_newsletter] = vocabulary.newsletter(occurred_us[rows][is_newsletter])
        target[rows] = indices
    target[activity_type == TYPE_MEETING_BOOKED] = vocabulary.categories["meeting"][0]
    return target


def _activity_values(
    counter_random: CounterRandom, key: np.ndarray, activity_type: np.ndarray, group: np.ndarray
) -> np.ndarray:
    """Seconds on page, minutes logged in, feature use count; null for other types."""
    value = np.full(len(key), np.nan)
    page = activity_type == TYPE_PAGE_VIEW
    if page.any():
        z = counter_random.normal(key[page], STREAM_VALUE_1, STREAM_VALUE_2)
        value[page] = np.clip(np.rint(np.exp(np.log(35.0) + 0.9 * z)), 1, 1800)
    login = activity_type == TYPE_LOGIN
    if login.any():
        z = counter_random.normal(key[login], STREAM_VALUE_1, STREAM_VALUE_2)
        at_risk_factor = np.where(group[login] == GROUP_AT_RISK, 0.6, 1.0)
        minutes = np.exp(np.log(14.0) + 0.7 * z) * at_risk_factor
        value[login] = np.round(np.clip(minutes, 0.5, 480.0), 1)
    feature = activity_type == TYPE_FEATURE_USED
    if feature.any():
        uniform = counter_random.uniform(key[feature], STREAM_VALUE_1)
        value[feature] = np.floor(-np.log(uniform) * 5.0) + 1.0
    return value


def _follow_up_rows(
    population: Population,
    counter_random: CounterRandom,
    contact_index: np.ndarray,
    key: np.ndarray,
    activity_type: np.ndarray,
    target: np.ndarray,
    age: np.ndarray,
) -> list[ActivityRows]:
    """Opens and clicks of sent emails, attendance of registered webinars (always later)."""
    follow_ups = []

    def add_rows(selected: np.ndarray, ages: np.ndarray, kind: int, new_type: int) -> None:
        contacts = contact_index[selected]
        # Never inside a silent period, never after as_of.
        keep = ages >= population.silence_days[contacts]
        contacts = contacts[keep]
        follow_ups.append(
            ActivityRows(
                contact_index=contacts,
                sort_key=key[selected][keep] * np.uint64(4) + np.uint64(kind),
                activity_type=np.full(len(contacts), new_type, dtype=np.int64),
                target=target[selected][keep],
                occurred_us=population.occurred_at(contacts, ages[keep]),
                value=np.full(len(contacts), np.nan),
            )
        )

    sent = np.flatnonzero(activity_type == TYPE_EMAIL_SENT)
    if len(sent):
        open_draw = counter_random.uniform(key[sent], STREAM_OPEN)
        opened = sent[open_draw < population.open_rate[contact_index[sent]]]
        opened_key = key[opened]
        delay = counter_random.normal(opened_key, STREAM_OPEN_DELAY_1, STREAM_OPEN_DELAY_2)
        hours = np.clip(np.exp(np.log(3.0) + 1.1 * delay), 0.03, 240)
        open_age = age[opened] - hours / 24.0
        add_rows(opened, open_age, _FOLLOW_UP_OPEN, TYPE_EMAIL_OPEN)
        click_draw = counter_random.uniform(opened_key, STREAM_CLICK)
        clicked = click_draw < population.click_rate[contact_index[opened]]
        click_minutes = 0.5 + 30.0 * counter_random.uniform(opened_key, STREAM_CLICK_DELAY)
        click_age = open_age - click_minutes / 1440.0
        add_rows(opened[clicked], click_age[clicked], _FOLLOW_UP_CLICK, TYPE_EMAIL_CLICK)
    registrations = np.flatnonzero(activity_type == TYPE_WEBINAR_REGISTRATION)
    if len(registrations):
        attend_draw = counter_random.uniform(key[registrations], STREAM_ATTEND)
        attended = registrations[attend_draw < population.attend_rate[contact_index[registrations]]]
        attend_days = 1.0 + 20.0 * counter_random.uniform(key[attended], STREAM_ATTEND_DELAY)
        add_rows(attended, age[attended] - attend_days, _FOLLOW_UP_ATTEND, TYPE_WEBINAR_ATTENDED)
    return follow_ups


def _general_rows(
    population: Population,
    counter_random: CounterRandom,
    vocabulary: TargetVocabulary,
    contact_index: np.ndarray,
    key: np.ndarray,
    segment: int,
) -> list[ActivityRows]:
    """The bulk of the activity: a funnel mix for prospects, product usage for customers."""
    age_draw = counter_random.uniform(key, STREAM_AGE)
    max_age = population.window[contact_index]
    if segment == SEGMENT_CUSTOMER:
        group = population.customer_group[contact_index]
        min_age = np.zeros(len(contact_index))
        max_age = np.minimum(population.conversion_age[contact_index], max_age)
    else:
        group = population.prospect_group[contact_index]
        min_age = population.prospect_min_age[contact_index]
    type_draw = counter_random.uniform(key, STREAM_TYPE)
    activity_type = pick_category(type_draw, ACTIVITY_TYPE_CDF, group)
    # Sent email is spread evenly over time, whatever the contact's recency.
    recency_skew = (
        1.0
        if segment == SEGMENT_CUSTOMER
        else np.where(activity_type == TYPE_EMAIL_SENT, 1.0, population.recency_skew[contact_index])
    )
    age = min_age + np.maximum(max_age - min_age, 0.0) * age_draw**recency_skew

    # Opted-out contacts received email only before they unsubscribed.
    opted = (activity_type == TYPE_EMAIL_SENT) & population.opt_out[contact_index]
    if opted.any():
        unsubscribed = population.unsubscribe_age[contact_index[opted]]
        before_unsubscribe = np.minimum(np.maximum(min_age[opted], unsubscribed), max_age[opted])
        age[opted] = before_unsubscribe + (max_age[opted] - before_unsubscribe) * age_draw[opted]
    # At-risk customers: logins and feature usage taper off over the last 60 days, while
    # support tickets pile up recently.
    usage = (activity_type == TYPE_LOGIN) | (activity_type == TYPE_FEATURE_USED)
    taper = (group == GROUP_AT_RISK) & usage
    if segment == SEGMENT_CUSTOMER and taper.any():
        taper_draw = counter_random.uniform(key[taper], STREAM_TAPER)
        taper_age_draw = age_draw[taper]
        age[taper] = np.where(
            taper_draw < 0.95,
            60.0 + (max_age[taper] - 60.0) * taper_age_draw,
            60.0 * np.sqrt(taper_age_draw),
        )
    tickets = (group == GROUP_AT_RISK) & (activity_type == TYPE_SUPPORT_TICKET)
    if segment == SEGMENT_CUSTOMER and tickets.any():
        age[tickets] = max_age[tickets] * age_draw[tickets] ** 2.5

    occurred_us = population.occurred_at(contact_index, age)
    target = _pick_targets(vocabulary, counter_random, key, activity_type, group, occurred_us)
    value = _activity_values(counter_random, key, activity_type, group)
    rows = [
        ActivityRows(contact_index, key * np.uint64(4), activity_type, target, occurred_us, value)
    ]
    follow_ups = _follow_up_rows(
        population, counter_random, contact_index, key, activity_type, target, age
    )
    return rows + follow_ups


def _fixed_rows(
    population: Population,
    counter_random: CounterRandom,
    vocabulary: TargetVocabulary,
    contact_index: np.ndarray,
    key: np.ndarray,
    segment: int,
) -> ActivityRows:
    """Rows with a fixed meaning: demo requests, meetings, renewal and new-feature views, ..."""
    age_draw = counter_random.uniform(key, STREAM_AGE)
    slug_draw = counter_random.uniform(key, STREAM_SLUG)
    n = len(contact_index)
    window = population.window[contact_index]
    customer_max_age = np.minimum(population.conversion_age[contact_index], window)
    target = np.zeros(n, dtype=np.int64)
    if segment in (SEGMENT_DEMO_REQUEST, SEGMENT_MEETING):
        min_age = population.prospect_min_age[contact_index]
        hot_skew = 3.0 if segment == SEGMENT_DEMO_REQUEST else 4.0
        age = min_age + (window - min_age) * age_draw**hot_skew
        if segment == SEGMENT_DEMO_REQUEST:
            activity_type = TYPE_FORM_SUBMISSION
            target[:] = vocabulary.categories["form_demo"][0]
        else:
            activity_type = TYPE_MEETING_BOOKED
            target[:] = vocabulary.categories["meeting"][0]
    elif segment == SEGMENT_RENEWAL:
        at_risk = population.at_risk[contact_index]
        age = np.where(at_risk, np.minimum(customer_max_age, 30.0), customer_max_age) * age_draw
        activity_type = TYPE_PAGE_VIEW
        target[:] = vocabulary.categories["renewal"][0]
    elif segment == SEGMENT_NEW_FEATURES:
        age = np.minimum(customer_max_age, 30.0) * age_draw
        activity_type = TYPE_PAGE_VIEW
        target = vocabulary.pick_in_category("features_new", slug_draw, skew=1.0)
    elif segment == SEGMENT_UNSUBSCRIBE:
        age = population.unsubscribe_age[contact_index]
        activity_type = TYPE_EMAIL_UNSUBSCRIBE
    else:  # SEGMENT_BOUNCE
        is_customer = population.is_customer[contact_index]
        min_age = np.where(is_customer, 0.0, population.silence_days[contact_index])
        age = min_age + (window - min_age) * age_draw
        activity_type = TYPE_EMAIL_BOUNCE
    occurred_us = population.occurred_at(contact_index, age)
    if segment in (SEGMENT_UNSUBSCRIBE, SEGMENT_BOUNCE):
        target = vocabulary.newsletter(occurred_us)
    activity_types = np.full(n, activity_type, dtype=np.int64)
    value = _activity_values(counter_random, key, activity_types, np.zeros(n, dtype=np.int64))
    return ActivityRows(
        contact_index, key * np.uint64(4), activity_types, target, occurred_us, value
    )


_ACTIVITY_TYPE_NAMES = pa.array(ACTIVITY_TYPES, type=pa.string())


def activity_chunk(
    population: Population,
    counter_random: CounterRandom,
    vocabulary: TargetVocabulary,
    start: int,
    stop: int,
) -> pa.Table:
    """Activities of contacts `start` to `stop` (exclusive), sorted by contact and time."""
    assert population.segment_rows is not None
    segment_rows = population.segment_rows[start:stop]
    parts: list[ActivityRows] = []
    for segment in range(SEGMENT_COUNT):
        keyed = _segment_row_keys(segment_rows, start, segment)
        if keyed is None:
            continue
        contact_index, key = keyed
        if segment in (SEGMENT_PROSPECT, SEGMENT_CUSTOMER):
            parts.extend(
                _general_rows(population, counter_random, vocabulary, contact_index, key, segment)
            )
        else:
            parts.append(
                _fixed_rows(population, counter_random, vocabulary, contact_index, key, segment)
            )
    if not parts:
        return ACTIVITY_SCHEMA.empty_table()

    def concatenated(field: str) -> np.ndarray:
        return np.concatenate([getattr(part, field) for part in parts])

    contact_index = concatenated("contact_index")
    sort_key = concatenated("sort_key")
    occurred_us = concatenated("occurred_us")
    order = np.lexsort((sort_key, occurred_us, contact_index))
    contact_index, sort_key, occurred_us = contact_index[order], sort_key[order], occurred_us[order]
    activity_type = concatenated("activity_type")[order]
    target = concatenated("target")[order]
    value = concatenated("value")[order]
    position = np.arange(len(contact_index))
    first_of_contact = np.ones(len(contact_index), dtype=bool)
    first_of_contact[1:] = contact_index[1:] != contact_index[:-1]
    sequence = position - np.maximum.accumulate(np.where(first_of_contact, position, 0))

    # ~0.5% exact duplicates (same activity_id and every other column), right after the original.
    duplicate = counter_random.uniform(sort_key, STREAM_DUPLICATE) < DUPLICATE_RATE
    repeated = np.repeat(position, 1 + duplicate)
    contact_index, sequence = contact_index[repeated], sequence[repeated]
    activity_type, target = activity_type[repeated], target[repeated]
    occurred_us, value = occurred_us[repeated], value[repeated]
    activity_id = concat_strings(
        "A",
        digit_strings(contact_index + 1, population.id_width),
        "-",
        digit_strings(sequence + 1, 5),
    )
    return pa.table(
        {
            "activity_id": activity_id,
            "contact_id": pc.take(population.contact_ids, pa.array(contact_index)),
            "activity_type": pc.take(_ACTIVITY_TYPE_NAMES, pa.array(activity_type)),
            "occurred_at": timestamps(occurred_us),
            "target": take_strings(vocabulary.array, np.maximum(target, 0), mask=target < 0),
            "value": pa.array(value, mask=np.isnan(value)),
        },
        schema=ACTIVITY_SCHEMA,
    )
