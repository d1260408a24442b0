"""The vocabulary of activity targets (pages, forms, campaigns, content), indexed by category."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .behaviour import TARGET_CATEGORIES
from .columns import DAY_US, month_index
from .sampling import cdf_table
from .world import (
    BLOG_FORMS,
    BLOG_TOPICS,
    BOTTOM_OF_FUNNEL_FORMS,
    CALLS_TO_ACTION,
    CASE_STUDIES,
    DOC_PAGES,
    DOWNLOADS_BY_KIND,
    EVENTS,
    FEATURE_PAGES,
    MIDDLE_OF_FUNNEL_FORMS,
    NEW_FEATURE_PAGES,
    PRODUCT_FEATURES,
    SOCIAL_ENGAGEMENTS,
    TICKET_PRIORITIES,
    TOP_OF_FUNNEL_FORMS,
    WEBINARS,
    WINDOW_DAYS,
)


class TargetVocabulary:
    """Every activity target string, with (offset, size) per category.

    Targets are drawn as integer indices into `array`, so a whole chunk of rows becomes strings
    with one Arrow `take`.
    """

    def __init__(self, as_of_us: int) -> None:
        self.strings: list[str] = []
        self.categories: dict[str, tuple[int, int]] = {}
        blog = [form.format(topic=topic) for topic in BLOG_TOPICS for form in BLOG_FORMS]
        self._add("blog", [f"/blog/{slug}" for slug in blog])
        self._add("product", ["/product"])
        self._add("features", [f"/features/{feature}" for feature in FEATURE_PAGES])
        self._add("features_new", [f"/features/new/{feature}" for feature in NEW_FEATURE_PAGES])
        self._add("case_studies", [f"/case-studies/{slug}" for slug in CASE_STUDIES])
        self._add("careers", ["/careers"])
        self._add("docs", [f"/docs/{page}" for page in DOC_PAGES])
        self._add("contact", ["/contact"])
        self._add("pricing", ["/pricing"])
        self._add("demo", ["/demo"])
        self._add("renewal", ["/account/renewal"])
        self._add("form_top_of_funnel", TOP_OF_FUNNEL_FORMS)
        self._add("form_middle_of_funnel", MIDDLE_OF_FUNNEL_FORMS)
        self._add("form_bottom_of_funnel", BOTTOM_OF_FUNNEL_FORMS)
        self._add("form_demo", ["demo_request"])
        # One newsletter per month, from the month before the activity window to as_of's month.
        first = month_index(np.array([as_of_us - int((WINDOW_DAYS + 1) * DAY_US)]))[0]
        last = month_index(np.array([as_of_us]))[0]
        self.first_month = int(first)
        months = np.arange(first, last + 1).astype("datetime64[M]").astype(str)
        self._add("newsletter", [f"nl-{month}" for month in months])
        self._add("nurture", [f"nurture-{i}" for i in range(1, 9)])
        self._add("product_update", [f"product-update-{i}" for i in range(1, 13)])
        for kind, slugs in DOWNLOADS_BY_KIND.items():
            self._add(kind, [f"{kind}:{slug}" for slug in slugs])
        self._add("webinar", [f"webinar:{slug}" for slug in WEBINARS])
        self._add("event", [f"event:{slug}" for slug in EVENTS])
        self._add("social", SOCIAL_ENGAGEMENTS)
        self._add("cta", [f"cta:{action}" for action in CALLS_TO_ACTION])
        self._add("feature", PRODUCT_FEATURES)
        for priority in TICKET_PRIORITIES:
            self._add(f"priority:{priority}", [f"priority:{priority}"])
        self._add("meeting", ["meeting:sales"])
        self.array = pa.array(self.strings, type=pa.string())
        # Per activity type: (category CDF per row group, category offsets, category sizes,
        # position of the newsletter category or -1).
        self.targets_by_type: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
        for activity_type, (names, table) in TARGET_CATEGORIES.items():
            offsets = np.array([self.categories[name][0] for name in names])
            sizes = np.array([self.categories[name][1] for name in names])
            newsletter_position = names.index("newsletter") if "newsletter" in names else -1
            self.targets_by_type[activity_type] = (
                cdf_table(table),
                offsets,
                sizes,
                newsletter_position,
            )

    def _add(self, name: str, strings: list[str]) -> None:
        self.categories[name] = (len(self.strings), len(strings))
        self.strings.extend(strings)

    def pick_in_category(self, name: str, slug_draw: np.ndarray, skew: float = 1.7) -> np.ndarray:
        """Indices of targets in category `name`; skew > 1 favours its first entries."""
        offset, size = self.categories[name]
        return offset + np.minimum((size * slug_draw**skew).astype(np.int64), size - 1)

    def newsletter(self, occurred_us: np.ndarray) -> np.ndarray:
        """The monthly newsletter campaign (`nl-YYYY-MM`) of each timestamp's month."""
        offset, size = self.categories["newsletter"]
        month = month_index(occurred_us) - self.first_month
        return offset + np.clip(month, 0, size - 1)
