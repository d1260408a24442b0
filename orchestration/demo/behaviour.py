"""How each row group of contacts behaves: its activity-type mix and target-category weights."""

from __future__ import annotations

import numpy as np

from .sampling import cdf_table
from .world import (
    ACTIVITY_TYPES,
    TYPE_CONTENT_DOWNLOAD,
    TYPE_CTA_CLICK,
    TYPE_EMAIL_SENT,
    TYPE_EVENT_ATTENDED,
    TYPE_FEATURE_USED,
    TYPE_FORM_SUBMISSION,
    TYPE_LOGIN,
    TYPE_PAGE_VIEW,
    TYPE_SOCIAL_ENGAGEMENT,
    TYPE_SUPPORT_TICKET,
    TYPE_WEBINAR_REGISTRATION,
)

# Row groups: 0-3 prospects by funnel depth, 4 low-fit prospects (students, no job),
# 5 customers, 6 at-risk customers, 7 expansion candidates.
GROUP_COUNT = 8
GROUP_LOW_FIT, GROUP_CUSTOMER, GROUP_AT_RISK, GROUP_EXPANSION = 4, 5, 6, 7

# The activity types each mix row below weighs, in column order.
_PROSPECT_TYPES = [
    TYPE_PAGE_VIEW,
    TYPE_FORM_SUBMISSION,
    TYPE_EMAIL_SENT,
    TYPE_CONTENT_DOWNLOAD,
    TYPE_WEBINAR_REGISTRATION,
    TYPE_EVENT_ATTENDED,
    TYPE_SOCIAL_ENGAGEMENT,
    TYPE_CTA_CLICK,
]
_CUSTOMER_TYPES = [
    TYPE_LOGIN,
    TYPE_FEATURE_USED,
    TYPE_PAGE_VIEW,
    TYPE_EMAIL_SENT,
    TYPE_SUPPORT_TICKET,
    TYPE_SOCIAL_ENGAGEMENT,
    TYPE_EVENT_ATTENDED,
    TYPE_WEBINAR_REGISTRATION,
]
_PROSPECT_TYPE_WEIGHTS = [  # row groups 0-4
    [0.540, 0.012, 0.400, 0.003, 0.002, 0.001, 0.032, 0.010],
    [0.480, 0.030, 0.320, 0.060, 0.030, 0.010, 0.040, 0.030],
    [0.500, 0.040, 0.260, 0.060, 0.030, 0.020, 0.040, 0.050],
    [0.500, 0.050, 0.220, 0.060, 0.030, 0.030, 0.050, 0.060],
    [0.520, 0.030, 0.340, 0.050, 0.010, 0.000, 0.040, 0.010],
]
_CUSTOMER_TYPE_WEIGHTS = [  # row groups 5-7
    [0.36, 0.26, 0.17, 0.15, 0.03, 0.01, 0.01, 0.01],
    [0.30, 0.16, 0.18, 0.15, 0.18, 0.01, 0.01, 0.01],
    [0.36, 0.28, 0.18, 0.13, 0.02, 0.01, 0.01, 0.01],
]


def _activity_type_weights() -> np.ndarray:
    """Normalised (row group x activity type) probabilities."""
    table = np.zeros((GROUP_COUNT, len(ACTIVITY_TYPES)))
    for group, row in enumerate(_PROSPECT_TYPE_WEIGHTS):
        table[group, _PROSPECT_TYPES] = row
    for offset, row in enumerate(_CUSTOMER_TYPE_WEIGHTS):
        table[GROUP_CUSTOMER + offset, _CUSTOMER_TYPES] = row
    return table / table.sum(axis=1, keepdims=True)


ACTIVITY_TYPE_WEIGHTS = _activity_type_weights()

# Target categories by activity type: (category names, weights per row group).
_PAGE_CATEGORIES = [
    "blog",
    "product",
    "features",
    "features_new",
    "case_studies",
    "careers",
    "docs",
    "contact",
    "pricing",
    "demo",
    "renewal",
]
TARGET_CATEGORIES: dict[int, tuple[list[str], list[list[float]]]] = {
    TYPE_PAGE_VIEW: (
        _PAGE_CATEGORIES,
        [
            [0.72, 0.05, 0.06, 0.00, 0.03, 0.05, 0.07, 0.02, 0.00, 0.00, 0.00],
            [0.58, 0.08, 0.11, 0.00, 0.08, 0.03, 0.08, 0.03, 0.006, 0.002, 0.00],
            [0.40, 0.10, 0.12, 0.01, 0.08, 0.02, 0.06, 0.04, 0.11, 0.06, 0.00],
            [0.32, 0.10, 0.12, 0.01, 0.08, 0.01, 0.05, 0.06, 0.14, 0.11, 0.00],
            [0.60, 0.04, 0.05, 0.00, 0.03, 0.20, 0.06, 0.01, 0.01, 0.00, 0.00],
            [0.20, 0.08, 0.15, 0.03, 0.03, 0.01, 0.43, 0.02, 0.03, 0.00, 0.02],
            [0.15, 0.06, 0.10, 0.01, 0.02, 0.02, 0.50, 0.05, 0.05, 0.00, 0.04],
            [0.18, 0.08, 0.18, 0.08, 0.03, 0.01, 0.38, 0.02, 0.04, 0.00, 0.00],
        ],
    ),
    TYPE_FORM_SUBMISSION: (
        ["form_top_of_funnel", "form_middle_of_funnel", "form_bottom_of_funnel", "form_demo"],
        [
            [1.00, 0.00, 0.00, 0.00],
            [0.45, 0.55, 0.00, 0.00],
            [0.25, 0.50, 0.25, 0.00],
            [0.20, 0.40, 0.30, 0.10],
            [0.60, 0.40, 0.00, 0.00],
        ]
        + [[1.0, 0.0, 0.0, 0.0]] * 3,
    ),
    TYPE_EMAIL_SENT: (
        ["newsletter", "nurture", "product_update"],
        [[0.55, 0.45, 0.0]] * 5 + [[0.45, 0.0, 0.55]] * 3,
    ),
    TYPE_CONTENT_DOWNLOAD: (
        ["whitepaper", "guide", "ebook", "case-study"],
        [[0.30, 0.30, 0.25, 0.15]] * 4 + [[0.10, 0.30, 0.60, 0.00]] + [[0.3, 0.3, 0.2, 0.2]] * 3,
    ),
    TYPE_WEBINAR_REGISTRATION: (["webinar"], [[1.0]] * GROUP_COUNT),
    TYPE_EVENT_ATTENDED: (["event"], [[1.0]] * GROUP_COUNT),
    TYPE_SOCIAL_ENGAGEMENT: (["social"], [[1.0]] * GROUP_COUNT),
    TYPE_CTA_CLICK: (["cta"], [[1.0]] * GROUP_COUNT),
    TYPE_FEATURE_USED: (["feature"], [[1.0]] * GROUP_COUNT),
    TYPE_SUPPORT_TICKET: (
        ["priority:low", "priority:normal", "priority:high", "priority:urgent"],
        [[0.35, 0.45, 0.15, 0.05]] * 6 + [[0.15, 0.35, 0.32, 0.18]] + [[0.35, 0.45, 0.15, 0.05]],
    ),
}

ACTIVITY_TYPE_CDF = cdf_table(ACTIVITY_TYPE_WEIGHTS)
