"""Generate a deterministic, vectorised B2B SaaS demo data set as Parquet in the landing folder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm import tqdm

__all__ = ["generate_demo", "ENTITIES", "CHUNK_ROWS", "PART_ROWS", "ROW_GROUP_ROWS"]

ENTITIES = ("contacts", "activities", "deals", "sales_feedback")

# Activity rows aimed at per chunk of contacts (bounds memory; never changes the output).
CHUNK_ROWS = 1_000_000
# Most activity rows in one `demo_activities_<part>.parquet` file.
PART_ROWS = 5_000_000
# Parquet row group size. Row groups are cut at fixed row counts, so the files are byte-identical
# whatever chunk size was used to generate them.
ROW_GROUP_ROWS = 1_000_000
COMPRESSION = "zstd"

WINDOW_DAYS = 365.0  # activities spread over this many days before as_of
DAY_US = 86_400_000_000
SECOND_US = 1_000_000
_EPOCH = datetime(1970, 1, 1)

# --------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------

COUNTRIES = [
    "Japan",
    "United States",
    "United Kingdom",
    "Germany",
    "Singapore",
    "Australia",
    "France",
]
COUNTRY_P = [0.40, 0.25, 0.10, 0.08, 0.06, 0.06, 0.05]

INDUSTRIES = [
    "Software",
    "Manufacturing",
    "Financial Services",
    "Healthcare",
    "Retail",
    "Education",
    "Consulting",
    "Government",
    "Media",
]
INDUSTRY_P = [0.24, 0.14, 0.12, 0.10, 0.09, 0.08, 0.10, 0.05, 0.08]
INDUSTRY_FIT = np.array([0.6, 0.5, 0.5, 0.0, -0.1, -0.4, 0.1, -0.3, -0.1])

# Seniority: 0 no job / student, 1 individual contributor, 2 middle management, 3 management,
# 4 executive.
JP_TITLES = [
    ("代表取締役", 4, 0.05),
    ("経営企画", 3, 0.06),
    ("部長", 3, 0.10),
    ("課長", 2, 0.12),
    ("コンサルタント", 3, 0.07),
    ("営業責任者", 3, 0.06),
    ("マーケティング責任者", 3, 0.06),
    ("一般社員", 1, 0.36),
    ("学生", 0, 0.08),
    ("無職", 0, 0.04),
]
EN_TITLES = [
    ("CEO", 4, 0.04),
    ("CTO", 4, 0.03),
    ("VP Marketing", 3, 0.05),
    ("Head of Sales", 3, 0.05),
    ("Sales Director", 3, 0.05),
    ("Marketing Manager", 2, 0.12),
    ("Consultant", 3, 0.08),
    ("Analyst", 1, 0.16),
    ("Software Engineer", 1, 0.28),
    ("Student", 0, 0.08),
    ("Intern", 0, 0.06),
]
TITLES = [t for t, _, _ in JP_TITLES + EN_TITLES]
TITLE_SENIORITY = np.array([s for _, s, _ in JP_TITLES + EN_TITLES])
SENIORITY_FIT = np.array([-1.6, 0.0, 0.4, 1.0, 1.4])

JP_LAST = [
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("清水", "shimizu"),
    ("斎藤", "saito"),
]
JP_FIRST = [
    ("翔太", "shota"),
    ("陽菜", "hina"),
    ("大輝", "daiki"),
    ("美咲", "misaki"),
    ("蓮", "ren"),
    ("結衣", "yui"),
    ("健太", "kenta"),
    ("さくら", "sakura"),
    ("拓海", "takumi"),
    ("葵", "aoi"),
    ("悠斗", "yuto"),
    ("優奈", "yuna"),
    ("直樹", "naoki"),
    ("真由美", "mayumi"),
    ("誠", "makoto"),
    ("恵子", "keiko"),
    ("浩二", "koji"),
    ("明美", "akemi"),
]
EN_FIRST = [
    ("James", "james"),
    ("Mary", "mary"),
    ("John", "john"),
    ("Patricia", "patricia"),
    ("Robert", "robert"),
    ("Jennifer", "jennifer"),
    ("Michael", "michael"),
    ("Linda", "linda"),
    ("David", "david"),
    ("Elizabeth", "elizabeth"),
    ("Oliver", "oliver"),
    ("Emma", "emma"),
    ("Lukas", "lukas"),
    ("Sophie", "sophie"),
    ("Wei", "wei"),
    ("Priya", "priya"),
    ("Lucas", "lucas"),
    ("Chloé", "chloe"),
]
EN_LAST = [
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Williams", "williams"),
    ("Brown", "brown"),
    ("Jones", "jones"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Wilson", "wilson"),
    ("Taylor", "taylor"),
    ("Clark", "clark"),
    ("Müller", "mueller"),
    ("Schmidt", "schmidt"),
    ("Martin", "martin"),
    ("Bernard", "bernard"),
    ("Tan", "tan"),
    ("Lim", "lim"),
    ("Lee", "lee"),
    ("Walker", "walker"),
]

JP_COMPANY_WORDS = [
    ("サクラ", "sakura"),
    ("フジ", "fuji"),
    ("ヒカリ", "hikari"),
    ("ミドリ", "midori"),
    ("カゼ", "kaze"),
    ("ヤマト", "yamato"),
    ("アサヒ", "asahi"),
    ("ホシ", "hoshi"),
    ("ミナト", "minato"),
    ("ツバサ", "tsubasa"),
    ("カエデ", "kaede"),
    ("シンセイ", "shinsei"),
]
JP_COMPANY_KINDS = [
    "工業",
    "商事",
    "製作所",
    "システムズ",
    "テクノロジー",
    "ホールディングス",
    "ラボ",
]
EN_COMPANY_WORDS = [
    ("Acme", "acme"),
    ("Globex", "globex"),
    ("Initech", "initech"),
    ("Umbrella", "umbrella"),
    ("Hooli", "hooli"),
    ("Vandelay", "vandelay"),
    ("Tyrell", "tyrell"),
    ("Cyberdyne", "cyberdyne"),
    ("Wonka", "wonka"),
    ("Aperture", "aperture"),
    ("Nimbus", "nimbus"),
    ("Northwind", "northwind"),
    ("Contoso", "contoso"),
    ("Fabrikam", "fabrikam"),
]
EN_COMPANY_KINDS = [
    "Systems",
    "Holdings",
    "Labs",
    "Corp",
    "Solutions",
    "Industries",
    "Partners",
    "Technologies",
    "Group",
]
INTERNAL_COMPANY = "LeadScore Demo Inc."
INTERNAL_DOMAIN = "leadscore-demo.example"
COMPETITORS = [("Rival Analytics", "rival-analytics.example"), ("ScoreMatic", "scorematic.example")]

SOURCES = [
    "organic_search",
    "paid_search",
    "social_media",
    "email_marketing",
    "referral",
    "direct_traffic",
    "offline",
    "event",
]
SOURCE_P = [0.28, 0.14, 0.12, 0.10, 0.10, 0.14, 0.05, 0.07]
STAGES = ["subscriber", "lead", "opportunity", "customer"]
ST_SUBSCRIBER, ST_LEAD, ST_OPPORTUNITY, ST_CUSTOMER = range(4)

OCCUPATIONS = [  # free-text answers by seniority
    ["Student", "大学生", "Between jobs", "求職中"],
    ["Software engineer at a startup", "会社員", "エンジニア", "Data analyst"],
    ["Marketing manager", "マーケティング担当", "Team lead"],
    ["Head of department", "営業部長", "Business owner", "Consultant"],
    ["Founder & CEO", "経営者", "Managing director"],
]
OCCUPATION_COLUMN = "What is your current occupation"
JP_TITLE_COLUMN = "役職"

# Activity types (the shipped vocabulary).
ACTIVITY_TYPES = [
    "page_view",
    "form_submission",
    "email_sent",
    "email_open",
    "email_click",
    "email_unsubscribe",
    "email_bounce",
    "content_download",
    "webinar_registration",
    "webinar_attended",
    "event_attended",
    "social_engagement",
    "cta_click",
    "login",
    "feature_used",
    "support_ticket",
    "meeting_booked",
]
(
    T_PAGE,
    T_FORM,
    T_SENT,
    T_OPEN,
    T_CLICK,
    T_UNSUB,
    T_BOUNCE,
    T_DOWNLOAD,
    T_WEBINAR_REG,
    T_WEBINAR_ATT,
    T_EVENT,
    T_SOCIAL,
    T_CTA,
    T_LOGIN,
    T_FEATURE,
    T_TICKET,
    T_MEETING,
) = range(len(ACTIVITY_TYPES))

BLOG_TOPICS = [
    "lead-scoring",
    "marketing-automation",
    "crm-hygiene",
    "account-based-marketing",
    "email-deliverability",
    "sales-handoff",
    "content-strategy",
    "seo",
    "webinar-marketing",
    "customer-retention",
    "churn-prediction",
    "revops",
    "intent-data",
    "b2b-funnel",
    "pipeline-forecasting",
    "data-quality",
    "attribution",
    "landing-pages",
    "nurture-campaigns",
    "product-led-growth",
]
BLOG_FORMS = [
    "{t}-101",
    "{t}-guide",
    "{t}-best-practices",
    "{t}-checklist",
    "{t}-trends-2026",
    "{t}-mistakes",
    "how-to-improve-{t}",
    "{t}-benchmarks",
    "{t}-for-startups",
    "{t}-faq",
]
FEATURES = ["reports", "api", "workflows", "ai-scoring", "dashboards", "integrations", "alerts"]
NEW_FEATURES = ["ai-scoring", "predictive-churn", "workflow-builder-v2", "slack-alerts"]
PRODUCT_FEATURES = ["reports", "api", "workflows", "ai-scoring", "dashboards", "integrations"]
CASE_STUDIES = [
    "acme-manufacturing",
    "globex-finance",
    "sakura-retail",
    "hikari-software",
    "initech-saas",
    "nimbus-health",
    "yamato-logistics",
    "contoso-media",
]
DOCS = [
    "getting-started",
    "api-reference",
    "scoring-rules",
    "webhooks",
    "data-import",
    "sso",
    "crm-sync",
    "decay",
    "exports",
    "faq",
]
CONTENT = {
    "whitepaper": ["state-of-lead-scoring-2026", "b2b-buying-signals", "data-driven-sales"],
    "guide": ["lead-scoring-playbook", "mql-to-sql", "nurture-design", "scoring-model-audit"],
    "ebook": ["marketing-automation-basics", "intro-to-revops", "email-marketing-handbook"],
    "case-study": ["acme-manufacturing", "globex-finance", "sakura-retail", "hikari-software"],
}
WEBINARS = [
    "lead-scoring-101",
    "mql-sql-alignment",
    "ai-scoring-deep-dive",
    "churn-signals",
    "revops-roundtable",
    "product-update-q3",
    "japan-b2b-marketing",
    "abm-in-practice",
]
EVENTS = ["saas-summit-tokyo", "martech-london", "revops-live-nyc", "b2b-expo-osaka", "dmexco"]
SOCIAL = ["linkedin:like", "linkedin:follow", "twitter:like", "twitter:follow"]
CTAS = ["book-demo", "start-trial", "download-guide", "see-pricing", "watch-video", "talk-to-sales"]
FORMS_TOFU = ["newsletter_signup", "blog_subscribe"]
FORMS_MOFU = ["ebook_download", "whitepaper_request", "webinar_signup"]
FORMS_BOFU = ["contact_sales", "pricing_inquiry"]
PRIORITIES = ["low", "normal", "high", "urgent"]

# Row groups: 0-3 prospects by funnel depth, 4 low-fit prospects (students, no job),
# 5 customers, 6 at-risk customers, 7 expansion candidates.
N_GROUPS = 8
G_STUDENT, G_CUSTOMER, G_AT_RISK, G_EXPANSION = 4, 5, 6, 7

_PROSPECT_TYPES = [T_PAGE, T_FORM, T_SENT, T_DOWNLOAD, T_WEBINAR_REG, T_EVENT, T_SOCIAL, T_CTA]
_CUSTOMER_TYPES = [T_LOGIN, T_FEATURE, T_PAGE, T_SENT, T_TICKET, T_SOCIAL, T_EVENT, T_WEBINAR_REG]
_PROSPECT_MIX = [
    [0.540, 0.012, 0.400, 0.003, 0.002, 0.001, 0.032, 0.010],
    [0.480, 0.030, 0.320, 0.060, 0.030, 0.010, 0.040, 0.030],
    [0.500, 0.040, 0.260, 0.060, 0.030, 0.020, 0.040, 0.050],
    [0.500, 0.050, 0.220, 0.060, 0.030, 0.030, 0.050, 0.060],
    [0.520, 0.030, 0.340, 0.050, 0.010, 0.000, 0.040, 0.010],
]
_CUSTOMER_MIX = [
    [0.36, 0.26, 0.17, 0.15, 0.03, 0.01, 0.01, 0.01],
    [0.30, 0.16, 0.18, 0.15, 0.18, 0.01, 0.01, 0.01],
    [0.36, 0.28, 0.18, 0.13, 0.02, 0.01, 0.01, 0.01],
]


def _type_table() -> np.ndarray:
    table = np.zeros((N_GROUPS, len(ACTIVITY_TYPES)))
    for g, row in enumerate(_PROSPECT_MIX):
        table[g, _PROSPECT_TYPES] = row
    for g, row in enumerate(_CUSTOMER_MIX):
        table[G_CUSTOMER + g, _CUSTOMER_TYPES] = row
    return table / table.sum(axis=1, keepdims=True)


TYPE_P = _type_table()

# Target categories by activity type: (category names, weights per row group).
_PAGE_CATS = [
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
TARGET_SPEC: dict[int, tuple[list[str], list[list[float]]]] = {
    T_PAGE: (
        _PAGE_CATS,
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
    T_FORM: (
        ["form_tofu", "form_mofu", "form_bofu", "form_demo"],
        [
            [1.00, 0.00, 0.00, 0.00],
            [0.45, 0.55, 0.00, 0.00],
            [0.25, 0.50, 0.25, 0.00],
            [0.20, 0.40, 0.30, 0.10],
            [0.60, 0.40, 0.00, 0.00],
        ]
        + [[1.0, 0.0, 0.0, 0.0]] * 3,
    ),
    T_SENT: (
        ["nl", "nurture", "product_update"],
        [[0.55, 0.45, 0.0]] * 5 + [[0.45, 0.0, 0.55]] * 3,
    ),
    T_DOWNLOAD: (
        ["whitepaper", "guide", "ebook", "case-study"],
        [[0.30, 0.30, 0.25, 0.15]] * 4 + [[0.10, 0.30, 0.60, 0.00]] + [[0.3, 0.3, 0.2, 0.2]] * 3,
    ),
    T_WEBINAR_REG: (["webinar"], [[1.0]] * N_GROUPS),
    T_EVENT: (["event"], [[1.0]] * N_GROUPS),
    T_SOCIAL: (["social"], [[1.0]] * N_GROUPS),
    T_CTA: (["cta"], [[1.0]] * N_GROUPS),
    T_FEATURE: (["feature"], [[1.0]] * N_GROUPS),
    T_TICKET: (
        ["priority:low", "priority:normal", "priority:high", "priority:urgent"],
        [[0.35, 0.45, 0.15, 0.05]] * 6 + [[0.15, 0.35, 0.32, 0.18]] + [[0.35, 0.45, 0.15, 0.05]],
    ),
}

# Activity segments: blocks of rows per contact, each with its own generator.
(
    SEG_PROSPECT,
    SEG_CUSTOMER,
    SEG_DEMO,
    SEG_MEETING,
    SEG_RENEWAL,
    SEG_NEWFEAT,
    SEG_UNSUB,
    SEG_BOUNCE,
) = range(8)
N_SEGMENTS = 8
MAX_SEGMENT_ROWS = (1 << 20) - 1

# Independent random streams of the counter-based generator used for activities.
(
    R_TYPE,
    R_AGE,
    R_AGE2,
    R_CAT,
    R_SLUG,
    R_VAL1,
    R_VAL2,
    R_OPEN,
    R_OPEN_D1,
    R_OPEN_D2,
    R_CLICK,
    R_CLICK_D,
    R_ATTEND,
    R_ATTEND_D,
    R_DUP,
) = range(15)

DUPLICATE_RATE = 0.005

REPS = ["Yuki Tanaka", "Ken Sato", "Emily Clark", "James Miller", "Hana Suzuki", "Oliver Brown"]
FEEDBACK = ["true_sql", "not_ready", "unqualified"]
FEEDBACK_NOTES = [  # true_sql, not_ready, unqualified, unqualified student, unqualified rival
    ["Budget confirmed, meeting booked", "予算確保済み・商談化", "Strong fit, moving to SQL"],
    ["Interested but no budget until next quarter", "検討時期未定", "Call back in 3 months"],
    ["No purchasing authority", "No project or budget", "決裁権なし"],
    ["Student, not a buyer", "学生のため対象外", "Not employed"],
    ["Competitor", "競合他社のため対象外"],
]
PRODUCT_LINES = ["core", "analytics", "enterprise"]
DEAL_STATUS = ["open", "won", "lost"]

CONTACT_SCHEMA = pa.schema(
    [
        ("contact_id", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("job_title", pa.string()),
        ("company", pa.string()),
        ("industry", pa.string()),
        ("employee_count", pa.int64()),
        ("annual_revenue", pa.float64()),
        ("country", pa.string()),
        ("original_source", pa.string()),
        ("lifecycle_stage", pa.string()),
        ("email_opt_out", pa.bool_()),
        ("created_at", pa.timestamp("us")),
        ("updated_at", pa.timestamp("us")),
        ("hubspot_id", pa.string()),
        ("salesforce_id", pa.string()),
        (OCCUPATION_COLUMN, pa.string()),
        (JP_TITLE_COLUMN, pa.string()),
    ]
)
ACTIVITY_SCHEMA = pa.schema(
    [
        ("activity_id", pa.string()),
        ("contact_id", pa.string()),
        ("activity_type", pa.string()),
        ("occurred_at", pa.timestamp("us")),
        ("target", pa.string()),
        ("value", pa.float64()),
    ]
)
DEAL_SCHEMA = pa.schema(
    [
        ("deal_id", pa.string()),
        ("contact_id", pa.string()),
        ("created_at", pa.timestamp("us")),
        ("status", pa.string()),
        ("closed_at", pa.timestamp("us")),
        ("amount", pa.float64()),
        ("product_line", pa.string()),
    ]
)
FEEDBACK_SCHEMA = pa.schema(
    [
        ("contact_id", pa.string()),
        ("feedback", pa.string()),
        ("given_at", pa.timestamp("us")),
        ("model_id", pa.string()),
        ("given_by", pa.string()),
        ("note", pa.string()),
    ]
)


# --------------------------------------------------------------------------------------------
# Small vectorised helpers
# --------------------------------------------------------------------------------------------

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_MIX1 = _U64(0xBF58476D1CE4E5B9)
_MIX2 = _U64(0x94D049BB133111EB)


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a uint64 array (wrapping arithmetic)."""
    z = x + _GOLDEN
    z ^= z >> _U64(30)
    z *= _MIX1
    z ^= z >> _U64(27)
    z *= _MIX2
    z ^= z >> _U64(31)
    return z


class _CounterRng:
    """Counter-based random numbers: a pure function of (seed, stream, key).

    Activity rows are keyed by (contact, segment, sequence), so every value is the same whichever
    chunk of contacts generates it: output does not depend on the chunk size.
    """

    def __init__(self, seed: int) -> None:
        base = _splitmix64(np.array([seed & 0xFFFF_FFFF_FFFF_FFFF], dtype=np.uint64))
        streams = np.arange(1, 65, dtype=np.uint64) * _GOLDEN
        self._salts = _splitmix64(_splitmix64(base ^ streams))

    def uniform(self, key: np.ndarray, stream: int) -> np.ndarray:
        """Uniform floats in the open interval (0, 1)."""
        h = _splitmix64(key ^ self._salts[stream])
        return ((h >> _U64(11)).astype(np.float64) + 0.5) * (1.0 / (1 << 53))

    def normal(self, key: np.ndarray, stream1: int, stream2: int) -> np.ndarray:
        """Standard normal draws (Box-Muller)."""
        u1 = self.uniform(key, stream1)
        u2 = self.uniform(key, stream2)
        return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _cdf(table: np.ndarray | list) -> np.ndarray:
    t = np.asarray(table, dtype=np.float64)
    t = np.atleast_2d(t)
    sums = t.sum(axis=1, keepdims=True)
    t = np.where(sums > 0, t / np.where(sums > 0, sums, 1.0), 0.0)
    t[sums[:, 0] <= 0, 0] = 1.0
    cdf = np.cumsum(t, axis=1)
    cdf[:, -1] = 1.0
    return cdf


def _pick(u: np.ndarray, cdf: np.ndarray, group: np.ndarray | int) -> np.ndarray:
    """Categorical draw per row from the row's group distribution (loop over groups only)."""
    if np.ndim(group) == 0:
        return np.searchsorted(cdf[int(group)], u, side="right").astype(np.int64)
    out = np.zeros(len(u), dtype=np.int64)
    for g in range(cdf.shape[0]):
        mask = group == g
        if mask.any():
            out[mask] = np.searchsorted(cdf[g], u[mask], side="right")
    return out


def _take(
    values: list[str] | pa.Array, idx: np.ndarray, mask: np.ndarray | None = None
) -> pa.Array:
    """Strings by index; `mask` True gives null."""
    arr = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
    indices = pa.array(idx.astype(np.int64), mask=mask)
    return pc.take(arr, indices)


def _digits(values: np.ndarray, width: int = 0) -> pa.Array:
    text = pc.cast(pa.array(values.astype(np.int64)), pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _base36(values: np.ndarray, width: int) -> pa.Array:
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    v = values.astype(np.int64).copy()
    chars = np.empty((len(v), width), dtype=np.uint8)
    for pos in range(width - 1, -1, -1):  # loop over character positions, not rows
        chars[:, pos] = alphabet[v % 36]
        v //= 36
    return pc.cast(pa.array(chars.view(f"S{width}").ravel()), pa.string())


def _ts(us: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pa.array(us.astype(np.int64), type=pa.timestamp("us"), mask=mask)


def _floor_second(us: np.ndarray) -> np.ndarray:
    us = us.astype(np.int64)
    return us - np.mod(us, SECOND_US)


def _percentile_rank(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(len(x))
    return (ranks + 0.5) / max(len(x), 1)


def _top_k(rng: np.random.Generator, log_weight: np.ndarray, k: int) -> np.ndarray:
    """Weighted sample without replacement (Gumbel top-k); -inf weight is never chosen."""
    keys = log_weight + rng.gumbel(size=len(log_weight))
    eligible = int(np.isfinite(keys).sum())
    k = min(k, eligible)
    chosen = np.zeros(len(log_weight), dtype=bool)
    if k > 0:
        chosen[np.argpartition(-keys, k - 1)[:k]] = True
    return chosen


# --------------------------------------------------------------------------------------------
# Target vocabulary
# --------------------------------------------------------------------------------------------


class _Vocab:
    """Every activity target string, with (offset, size) per category."""

    def __init__(self, as_of_us: int) -> None:
        self.strings: list[str] = []
        self.cats: dict[str, tuple[int, int]] = {}
        blog = [f.format(t=t) for t in BLOG_TOPICS for f in BLOG_FORMS]
        self._add("blog", [f"/blog/{s}" for s in blog])
        self._add("product", ["/product"])
        self._add("features", [f"/features/{f}" for f in FEATURES])
        self._add("features_new", [f"/features/new/{f}" for f in NEW_FEATURES])
        self._add("case_studies", [f"/case-studies/{s}" for s in CASE_STUDIES])
        self._add("careers", ["/careers"])
        self._add("docs", [f"/docs/{d}" for d in DOCS])
        self._add("contact", ["/contact"])
        self._add("pricing", ["/pricing"])
        self._add("demo", ["/demo"])
        self._add("renewal", ["/account/renewal"])
        self._add("form_tofu", FORMS_TOFU)
        self._add("form_mofu", FORMS_MOFU)
        self._add("form_bofu", FORMS_BOFU)
        self._add("form_demo", ["demo_request"])
        first = _month_index(np.array([as_of_us - int((WINDOW_DAYS + 1) * DAY_US)]))[0]
        last = _month_index(np.array([as_of_us]))[0]
        self.first_month = int(first)
        months = np.arange(first, last + 1).astype("datetime64[M]").astype(str)
        self._add("nl", [f"nl-{m}" for m in months])
        self._add("nurture", [f"nurture-{i}" for i in range(1, 9)])
        self._add("product_update", [f"product-update-{i}" for i in range(1, 13)])
        for kind, slugs in CONTENT.items():
            self._add(kind, [f"{kind}:{s}" for s in slugs])
        self._add("webinar", [f"webinar:{s}" for s in WEBINARS])
        self._add("event", [f"event:{s}" for s in EVENTS])
        self._add("social", SOCIAL)
        self._add("cta", [f"cta:{c}" for c in CTAS])
        self._add("feature", PRODUCT_FEATURES)
        for p in PRIORITIES:
            self._add(f"priority:{p}", [f"priority:{p}"])
        self._add("meeting", ["meeting:sales"])
        self.array = pa.array(self.strings, type=pa.string())
        self.spec: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
        for typ, (names, table) in TARGET_SPEC.items():
            offsets = np.array([self.cats[c][0] for c in names])
            sizes = np.array([self.cats[c][1] for c in names])
            nl_pos = names.index("nl") if "nl" in names else -1
            self.spec[typ] = (_cdf(table), offsets, sizes, nl_pos)

    def _add(self, name: str, strings: list[str]) -> None:
        self.cats[name] = (len(self.strings), len(strings))
        self.strings.extend(strings)

    def category(self, name: str, u_slug: np.ndarray, skew: float = 1.7) -> np.ndarray:
        offset, size = self.cats[name]
        return offset + np.minimum((size * u_slug**skew).astype(np.int64), size - 1)

    def newsletter(self, occurred_us: np.ndarray) -> np.ndarray:
        """The monthly newsletter campaign (`nl-YYYY-MM`) of each timestamp's month."""
        offset, size = self.cats["nl"]
        month = _month_index(occurred_us) - self.first_month
        return offset + np.clip(month, 0, size - 1)


def _month_index(us: np.ndarray) -> np.ndarray:
    return us.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)


TYPE_CDF = _cdf(TYPE_P)
_DEPTH_GAMMA = np.array([1.0, 1.2, 1.6, 2.2])
_DEPTH_ACTIVITY = np.array([0.7, 1.2, 2.0, 3.0])


# --------------------------------------------------------------------------------------------
# Contacts and their latent traits
# --------------------------------------------------------------------------------------------


@dataclass
class _Population:
    """Per-contact latent traits that drive activities, deals and feedback (arrays of length n)."""

    n: int
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
    fit_z: np.ndarray
    eng: np.ndarray
    depth: np.ndarray  # funnel depth 0..3 (customers: 3, used before they converted)
    is_customer: np.ndarray
    opportunity: np.ndarray
    at_risk: np.ndarray
    expansion: np.ndarray
    conv_age: np.ndarray  # days since the customer's won deal closed (inf otherwise)
    quiet: np.ndarray  # days of silence before as_of (0 = active)
    opt_out: np.ndarray
    unsub_age: np.ndarray
    pgroup: np.ndarray
    cgroup: np.ndarray
    gamma: np.ndarray  # recency skew of activity ages (>1: recent)
    p_open: np.ndarray
    p_click: np.ndarray
    p_attend: np.ndarray
    prospect_lo: np.ndarray  # youngest age of prospect-like activity
    counts: np.ndarray | None = None  # (n, N_SEGMENTS) rows per activity segment

    def occurred(self, gidx: np.ndarray, age_days: np.ndarray) -> np.ndarray:
        """Whole-second timestamps `age_days` before as_of, never before the contact's creation."""
        us = self.as_of_us - np.floor(np.maximum(age_days, 0.0) * DAY_US).astype(np.int64)
        return _floor_second(np.maximum(us, self.created_us[gidx]))


def _build_contacts(
    n: int, rng: np.random.Generator, as_of_us: int
) -> tuple[_Population, pa.Table]:
    width = max(7, len(str(n)))
    idx = np.arange(n)
    contact_ids = _join("C", _digits(idx + 1, width))

    # Companies (about five contacts each, a few large accounts).
    m = max(8, n // 5)
    comp_country = rng.choice(len(COUNTRIES), size=m, p=COUNTRY_P)
    comp_industry = rng.choice(len(INDUSTRIES), size=m, p=INDUSTRY_P)
    comp_emp = np.clip(np.rint(rng.lognormal(np.log(120), 1.7, m)), 1, 50_000).astype(np.int64)
    comp_rev = np.round(comp_emp * rng.lognormal(np.log(180_000), 0.5, m), -3)
    comp_jp = comp_country == 0
    rank = np.where(comp_jp, np.cumsum(comp_jp) - 1, np.cumsum(~comp_jp) - 1)
    n_words = np.where(comp_jp, len(JP_COMPANY_WORDS), len(EN_COMPANY_WORDS))
    n_kinds = np.where(comp_jp, len(JP_COMPANY_KINDS), len(EN_COMPANY_KINDS))
    word = np.where(comp_jp, 0, len(JP_COMPANY_WORDS)) + rank % n_words
    kind = np.where(comp_jp, 0, len(JP_COMPANY_KINDS)) + (rank // n_words) % n_kinds
    repeat = rank // (n_words * n_kinds)
    words = JP_COMPANY_WORDS + EN_COMPANY_WORDS
    comp_name = _join(
        _take(["", "株式会社"], comp_jp.astype(np.int64)),
        _take([w for w, _ in words], word),
        _take([" ", ""], comp_jp.astype(np.int64)),
        _take(JP_COMPANY_KINDS + EN_COMPANY_KINDS, kind),
        pc.if_else(pa.array(repeat > 0), _join(" ", _digits(repeat + 1)), ""),
    )
    comp_domain = _join(_take([s for _, s in words], word), "-", _digits(np.arange(m)), ".example")

    comp = np.minimum((m * rng.random(n) ** 1.4).astype(np.int64), m - 1)
    r = rng.random(n)
    internal = r < 0.01
    competitor = (r >= 0.01) & (r < 0.02)
    rival = competitor & (rng.random(n) < 0.5)
    scorematic = competitor & ~rival
    country = comp_country[comp]
    country = np.where(internal, np.where(rng.random(n) < 0.6, 0, 1), country)
    country = np.where(competitor, 1, country)
    is_jp = country == 0
    industry = np.where(internal | competitor, 0, comp_industry[comp])
    emp = comp_emp[comp]
    emp = np.where(internal, 120, np.where(rival, 450, np.where(scorematic, 80, emp)))
    revenue = comp_rev[comp]
    revenue = np.where(
        internal, 2.4e7, np.where(rival, 9.0e7, np.where(scorematic, 1.2e7, revenue))
    )

    jp_p = np.array([p for _, _, p in JP_TITLES])
    en_p = np.array([p for _, _, p in EN_TITLES])
    title = np.where(
        is_jp,
        rng.choice(len(JP_TITLES), n, p=jp_p / jp_p.sum()),
        len(JP_TITLES) + rng.choice(len(EN_TITLES), n, p=en_p / en_p.sum()),
    )
    seniority = TITLE_SENIORITY[title]
    firsts, lasts = JP_FIRST + EN_FIRST, JP_LAST + EN_LAST
    first = np.where(
        is_jp, rng.integers(0, len(JP_FIRST), n), len(JP_FIRST) + rng.integers(0, len(EN_FIRST), n)
    )
    last = np.where(
        is_jp, rng.integers(0, len(JP_LAST), n), len(JP_LAST) + rng.integers(0, len(EN_LAST), n)
    )

    domain = pc.take(comp_domain, pa.array(comp))
    domain = pc.if_else(pa.array(internal), INTERNAL_DOMAIN, domain)
    domain = pc.if_else(pa.array(rival), COMPETITORS[0][1], domain)
    domain = pc.if_else(pa.array(scorematic), COMPETITORS[1][1], domain)
    email = _join(
        _take([s for _, s in firsts], first),
        ".",
        _take([s for _, s in lasts], last),
        _digits(idx + 1),
        "@",
        domain,
    )
    company = pc.take(comp_name, pa.array(comp))
    company = pc.if_else(pa.array(internal), INTERNAL_COMPANY, company)
    company = pc.if_else(pa.array(rival), COMPETITORS[0][0], company)
    company = pc.if_else(pa.array(scorematic), COMPETITORS[1][0], company)

    # Latent fit, engagement propensity and buying intent.
    fit = (
        SENIORITY_FIT[seniority]
        + INDUSTRY_FIT[industry]
        + 0.35 * (np.log10(emp) - 2.0)
        + rng.normal(0.0, 0.4, n)
    )
    fit_z = (fit - fit.mean()) / (fit.std() + 1e-9)
    eng = rng.lognormal(0.0, 0.85, n)
    eng_pct = _percentile_rank(eng)
    intent = 0.8 * fit_z + 0.6 * np.log(eng) / 0.85 + rng.normal(0.0, 0.7, n)

    # Creation dates: a third joined within the last year.
    new = rng.random(n) < 0.35
    age = np.where(new, 1.0 + 364.0 * rng.random(n), 365.0 + 1095.0 * rng.random(n))
    created_us = _floor_second(np.floor(as_of_us - age * DAY_US).astype(np.int64))
    created_age = (as_of_us - created_us) / DAY_US
    window = np.minimum(WINDOW_DAYS, created_age)

    eligible = (created_age >= 60) & (seniority >= 1) & ~internal & ~competitor
    is_customer = _top_k(rng, np.where(eligible, 1.2 * fit_z, -np.inf), round(0.15 * n))
    conv_age = np.full(n, np.inf)
    conv_age[is_customer] = 15.0 + (created_age[is_customer] - 30.0) * rng.random(
        int(is_customer.sum())
    )
    rr = rng.random(n)
    at_risk = is_customer & (conv_age >= 120) & (rr < 0.22)
    expansion = is_customer & ~at_risk & (conv_age >= 30) & (rr > 0.78)

    prospect = ~is_customer & ~internal & ~competitor
    depth = np.full(n, 3, dtype=np.int64)
    if prospect.any():
        pct = _percentile_rank(intent[prospect])
        depth[prospect] = (pct >= 0.65).astype(np.int64) + (pct >= 0.87) + (pct >= 0.955)
    depth[internal | competitor] = 2
    opportunity = prospect & (rng.random(n) < np.array([0.0, 0.02, 0.30, 0.55])[depth])

    stage = np.where(rng.random(n) < 0.35 + 0.15 * depth, ST_LEAD, ST_SUBSCRIBER)
    stage[opportunity] = ST_OPPORTUNITY
    stage[is_customer] = ST_CUSTOMER
    stage_blank = (stage <= ST_LEAD) & (rng.random(n) < 0.036)
    opt_out = rng.random(n) < 0.05

    quiet_days = 60.0 + 60.0 * rng.random(n)
    quiet_p = np.array([0.25, 0.25, 0.12, 0.03])[depth]
    quiet = np.where(
        ~is_customer & (rng.random(n) < quiet_p) & (window > quiet_days + 30), quiet_days, 0.0
    )
    active_lo = np.where(is_customer, 0.0, quiet)
    unsub_age = active_lo + (window - active_lo) * rng.random(n)
    pgroup = np.where((seniority == 0) & (depth <= 1), G_STUDENT, depth)
    cgroup = np.where(
        at_risk, G_AT_RISK, np.where(expansion, G_EXPANSION, np.where(is_customer, G_CUSTOMER, 0))
    )
    gamma = _DEPTH_GAMMA[depth] * rng.lognormal(0.0, 0.1, n)
    p_open = np.clip(
        np.where(is_customer, 0.35 + 0.2 * eng_pct, 0.12 + 0.08 * depth + 0.25 * eng_pct), 0, 0.9
    )
    p_click = np.where(is_customer, 0.15, 0.08 + 0.06 * depth)
    p_attend = 0.35 + 0.1 * depth

    # CRM identifiers and free-text properties.
    hubspot = 1_000_000_000 + idx * 97 + rng.integers(0, 97, n)
    hubspot_null = rng.random(n) >= 0.70
    sf_null = rng.random(n) >= 0.50
    salesforce = _join("00Q5g000", _base36(idx * 1_000_003 + rng.integers(0, 1_000_003, n), 10))
    occ_strings = [s for group in OCCUPATIONS for s in group]
    occ_sizes = np.array([len(g) for g in OCCUPATIONS])
    occ_offsets = np.cumsum(occ_sizes) - occ_sizes
    occ = occ_offsets[seniority] + (occ_sizes[seniority] * rng.random(n)).astype(np.int64)
    occ_null = rng.random(n) >= 0.30

    updated_us = created_us + np.floor(
        (as_of_us - created_us) * (0.3 + 0.7 * rng.random(n))
    ).astype(np.int64)
    updated_us = _floor_second(updated_us)

    job_title = _take(TITLES, title)
    table = pa.table(
        {
            "contact_id": contact_ids,
            "email": email,
            "first_name": _take([s for s, _ in firsts], first),
            "last_name": _take([s for s, _ in lasts], last),
            "job_title": job_title,
            "company": company,
            "industry": _take(INDUSTRIES, industry),
            "employee_count": pa.array(emp, type=pa.int64()),
            "annual_revenue": pa.array(revenue.astype(np.float64)),
            "country": _take(COUNTRIES, country),
            "original_source": _take(SOURCES, rng.choice(len(SOURCES), n, p=SOURCE_P)),
            "lifecycle_stage": _take(STAGES, stage, mask=stage_blank),
            "email_opt_out": pa.array(opt_out),
            "created_at": _ts(created_us),
            "updated_at": _ts(updated_us),
            "hubspot_id": pc.if_else(pa.array(hubspot_null), None, _digits(hubspot)),
            "salesforce_id": pc.if_else(pa.array(sf_null), None, salesforce),
            OCCUPATION_COLUMN: _take(occ_strings, occ, mask=occ_null),
            JP_TITLE_COLUMN: pc.if_else(pa.array(is_jp), job_title, None),
        },
        schema=CONTACT_SCHEMA,
    )

    # ~2% of contacts also appear with an older version of their record (appended at the end,
    # so only `updated_at`, not file order, picks the right one).
    dup = np.flatnonzero(rng.random(n) < 0.02)
    if len(dup):
        older_us = created_us[dup] + np.floor(
            (updated_us[dup] - created_us[dup]) * 0.8 * rng.random(len(dup))
        ).astype(np.int64)
        older_stage = np.where(stage_blank[dup], ST_SUBSCRIBER, np.maximum(stage[dup] - 1, 0))
        older = table.take(pa.array(dup))
        older = older.set_column(
            older.schema.get_field_index("updated_at"), "updated_at", _ts(_floor_second(older_us))
        )
        older = older.set_column(
            older.schema.get_field_index("lifecycle_stage"),
            "lifecycle_stage",
            _take(STAGES, older_stage),
        )
        older = older.set_column(
            older.schema.get_field_index("employee_count"),
            "employee_count",
            pa.array(np.maximum(1, np.rint(emp[dup] * 0.8)).astype(np.int64)),
        )
        table = pa.concat_tables([table, older])

    pop = _Population(
        n=n,
        as_of_us=as_of_us,
        id_width=width,
        contact_ids=contact_ids,
        created_us=created_us,
        created_age=created_age,
        window=window,
        seniority=seniority,
        employee_count=emp,
        internal=internal,
        competitor=competitor,
        fit_z=fit_z,
        eng=eng,
        depth=depth,
        is_customer=is_customer,
        opportunity=opportunity,
        at_risk=at_risk,
        expansion=expansion,
        conv_age=conv_age,
        quiet=quiet,
        opt_out=opt_out,
        unsub_age=unsub_age,
        pgroup=pgroup,
        cgroup=cgroup,
        gamma=gamma,
        p_open=p_open,
        p_click=p_click,
        p_attend=p_attend,
        prospect_lo=np.where(is_customer, conv_age, quiet),
    )
    return pop, table


def _plan_counts(pop: _Population, per_contact: float, rng: np.random.Generator) -> np.ndarray:
    """Rows per (contact, activity segment); expected total = contacts x per_contact."""
    n = pop.n
    counts = np.zeros((n, N_SEGMENTS), dtype=np.int64)
    if per_contact <= 0:
        return counts
    cust = pop.is_customer
    pre_close = cust & (pop.conv_age < pop.window - 7)
    weight = (
        pop.eng
        * _DEPTH_ACTIVITY[pop.depth]
        * np.where(cust, 1.6, 1.0)
        * np.where(pop.internal | pop.competitor, 1.5, 1.0)
        * np.sqrt(np.maximum(pop.window, 1.0) / WINDOW_DAYS)  # new contacts: less history
    )
    budget = per_contact * n * weight / weight.sum()
    frac_pre = np.where(
        pre_close, (pop.window - np.minimum(pop.conv_age, pop.window)) / pop.window, 0.0
    )
    frac_pre = np.where(cust, frac_pre, 1.0)

    hot = (pop.depth == 3) & ~pop.internal & ~pop.competitor & (~cust | pre_close)
    counts[:, SEG_DEMO] = np.where(
        hot, np.where(cust, rng.random(n) < 0.8, 1 + (rng.random(n) < 0.3)), 0
    )
    counts[:, SEG_MEETING] = hot & (rng.random(n) < np.where(cust, 0.7, 0.45))
    counts[:, SEG_RENEWAL] = np.where(
        pop.at_risk, rng.integers(2, 6, n), cust & (rng.random(n) < 0.25)
    )
    counts[:, SEG_NEWFEAT] = np.where(pop.expansion, rng.integers(3, 7, n), 0)
    counts[:, SEG_UNSUB] = pop.opt_out | (rng.random(n) < 0.015)
    counts[:, SEG_BOUNCE] = rng.random(n) < 0.005

    general = np.maximum(budget - counts.sum(axis=1), 0.0)
    derived_p = 1.0 + TYPE_P[pop.pgroup, T_SENT] * pop.p_open * (1.0 + pop.p_click)
    derived_p += TYPE_P[pop.pgroup, T_WEBINAR_REG] * pop.p_attend
    derived_c = 1.0 + TYPE_P[pop.cgroup, T_SENT] * pop.p_open * (1.0 + pop.p_click)
    derived_c += TYPE_P[pop.cgroup, T_WEBINAR_REG] * pop.p_attend
    lam_p = general * frac_pre / derived_p
    lam_c = np.where(cust, general * (1.0 - frac_pre) / derived_c, 0.0)
    counts[:, SEG_PROSPECT] = rng.poisson(lam_p)
    counts[:, SEG_CUSTOMER] = rng.poisson(lam_c)
    return np.minimum(counts, MAX_SEGMENT_ROWS)


# --------------------------------------------------------------------------------------------
# Activities, generated in chunks of contacts
# --------------------------------------------------------------------------------------------


@dataclass
class _Rows:
    gidx: np.ndarray  # contact index
    sort_key: np.ndarray  # unique per row, stable tiebreak
    typ: np.ndarray
    target: np.ndarray  # vocabulary index, -1 = null
    occurred: np.ndarray  # microseconds
    value: np.ndarray  # nan = null


def _segment_keys(counts: np.ndarray, start: int, seg: int) -> tuple[np.ndarray, np.ndarray] | None:
    c = counts[:, seg]
    total = int(c.sum())
    if total == 0:
        return None
    local = np.repeat(np.arange(len(c)), c)
    seq = np.arange(total) - np.repeat(np.cumsum(c) - c, c)
    gidx = local + start
    key = (gidx.astype(np.uint64) << _U64(24)) | _U64(seg << 20) | seq.astype(np.uint64)
    return gidx, key


def _targets(
    voc: _Vocab,
    cr: _CounterRng,
    key: np.ndarray,
    typ: np.ndarray,
    group: np.ndarray,
    occurred: np.ndarray,
) -> np.ndarray:
    target = np.full(len(key), -1, dtype=np.int64)
    u_cat = cr.uniform(key, R_CAT)
    u_slug = cr.uniform(key, R_SLUG)
    for t, (cdf, offsets, sizes, nl_pos) in voc.spec.items():
        m = typ == t
        if not m.any():
            continue
        cat = _pick(u_cat[m], cdf, group[m])
        size = sizes[cat]
        idx = offsets[cat] + np.minimum((size * u_slug[m] ** 1.7).astype(np.int64), size - 1)
        if nl_pos >= 0:
            nl = cat == nl_pos
            idx[nl] = voc.newsletter(occurred[m][nl])
        target[m] = idx
    target[typ == T_MEETING] = voc.cats["meeting"][0]
    return target


def _values(cr: _CounterRng, key: np.ndarray, typ: np.ndarray, group: np.ndarray) -> np.ndarray:
    value = np.full(len(key), np.nan)
    page = typ == T_PAGE
    if page.any():
        z = cr.normal(key[page], R_VAL1, R_VAL2)
        value[page] = np.clip(np.rint(np.exp(np.log(35.0) + 0.9 * z)), 1, 1800)
    login = typ == T_LOGIN
    if login.any():
        z = cr.normal(key[login], R_VAL1, R_VAL2)
        minutes = np.exp(np.log(14.0) + 0.7 * z) * np.where(group[login] == G_AT_RISK, 0.6, 1.0)
        value[login] = np.round(np.clip(minutes, 0.5, 480.0), 1)
    feature = typ == T_FEATURE
    if feature.any():
        value[feature] = np.floor(-np.log(cr.uniform(key[feature], R_VAL1)) * 5.0) + 1.0
    return value


def _derived_rows(
    pop: _Population,
    cr: _CounterRng,
    gidx: np.ndarray,
    key: np.ndarray,
    typ: np.ndarray,
    target: np.ndarray,
    age: np.ndarray,
) -> list[_Rows]:
    """Opens and clicks of sent emails, attendance of registered webinars (always later)."""
    out = []

    def emit(sel: np.ndarray, ages: np.ndarray, kind: int, new_type: int) -> None:
        g = gidx[sel]
        keep = ages >= pop.quiet[g]  # never inside a quiet period, never after as_of
        g = g[keep]
        out.append(
            _Rows(
                gidx=g,
                sort_key=key[sel][keep] * _U64(4) + _U64(kind),
                typ=np.full(len(g), new_type, dtype=np.int64),
                target=target[sel][keep],
                occurred=pop.occurred(g, ages[keep]),
                value=np.full(len(g), np.nan),
            )
        )

    sent = np.flatnonzero(typ == T_SENT)
    if len(sent):
        opened = sent[cr.uniform(key[sent], R_OPEN) < pop.p_open[gidx[sent]]]
        k = key[opened]
        hours = np.clip(np.exp(np.log(3.0) + 1.1 * cr.normal(k, R_OPEN_D1, R_OPEN_D2)), 0.03, 240)
        open_age = age[opened] - hours / 24.0
        emit(opened, open_age, 1, T_OPEN)
        clicked = cr.uniform(k, R_CLICK) < pop.p_click[gidx[opened]]
        click_age = open_age - (0.5 + 30.0 * cr.uniform(k, R_CLICK_D)) / 1440.0
        emit(opened[clicked], click_age[clicked], 2, T_CLICK)
    reg = np.flatnonzero(typ == T_WEBINAR_REG)
    if len(reg):
        attended = reg[cr.uniform(key[reg], R_ATTEND) < pop.p_attend[gidx[reg]]]
        att_age = age[attended] - (1.0 + 20.0 * cr.uniform(key[attended], R_ATTEND_D))
        emit(attended, att_age, 3, T_WEBINAR_ATT)
    return out


def _general_rows(
    pop: _Population, cr: _CounterRng, voc: _Vocab, gidx: np.ndarray, key: np.ndarray, seg: int
) -> list[_Rows]:
    """The bulk of the activity: a funnel mix for prospects, product usage for customers."""
    u_age = cr.uniform(key, R_AGE)
    hi = pop.window[gidx]
    if seg == SEG_CUSTOMER:
        group = pop.cgroup[gidx]
        lo = np.zeros(len(gidx))
        hi = np.minimum(pop.conv_age[gidx], hi)
    else:
        group = pop.pgroup[gidx]
        lo = pop.prospect_lo[gidx]
    typ = _pick(cr.uniform(key, R_TYPE), TYPE_CDF, group)
    gamma = 1.0 if seg == SEG_CUSTOMER else np.where(typ == T_SENT, 1.0, pop.gamma[gidx])
    age = lo + np.maximum(hi - lo, 0.0) * u_age**gamma

    # Opted-out contacts received email only before they unsubscribed.
    opted = (typ == T_SENT) & pop.opt_out[gidx]
    if opted.any():
        lo2 = np.minimum(np.maximum(lo[opted], pop.unsub_age[gidx[opted]]), hi[opted])
        age[opted] = lo2 + (hi[opted] - lo2) * u_age[opted]
    # At-risk customers: logins and feature usage taper off over the last 60 days, while
    # support tickets pile up recently.
    taper = (group == G_AT_RISK) & ((typ == T_LOGIN) | (typ == T_FEATURE))
    if seg == SEG_CUSTOMER and taper.any():
        u2 = cr.uniform(key[taper], R_AGE2)
        ua = u_age[taper]
        age[taper] = np.where(u2 < 0.95, 60.0 + (hi[taper] - 60.0) * ua, 60.0 * np.sqrt(ua))
    tickets = (group == G_AT_RISK) & (typ == T_TICKET)
    if seg == SEG_CUSTOMER and tickets.any():
        age[tickets] = hi[tickets] * u_age[tickets] ** 2.5

    occurred = pop.occurred(gidx, age)
    target = _targets(voc, cr, key, typ, group, occurred)
    value = _values(cr, key, typ, group)
    rows = [_Rows(gidx, key * _U64(4), typ, target, occurred, value)]
    return rows + _derived_rows(pop, cr, gidx, key, typ, target, age)


def _fixed_rows(
    pop: _Population, cr: _CounterRng, voc: _Vocab, gidx: np.ndarray, key: np.ndarray, seg: int
) -> _Rows:
    """Rows with a fixed meaning: demo requests, meetings, renewal and new-feature views, ..."""
    u = cr.uniform(key, R_AGE)
    u_slug = cr.uniform(key, R_SLUG)
    n = len(gidx)
    customer_hi = np.minimum(pop.conv_age[gidx], pop.window[gidx])
    target = np.zeros(n, dtype=np.int64)
    if seg in (SEG_DEMO, SEG_MEETING):
        lo = pop.prospect_lo[gidx]
        hot_skew = 3.0 if seg == SEG_DEMO else 4.0
        age = lo + (pop.window[gidx] - lo) * u**hot_skew
        typ = T_FORM if seg == SEG_DEMO else T_MEETING
        target[:] = voc.cats["form_demo" if seg == SEG_DEMO else "meeting"][0]
    elif seg == SEG_RENEWAL:
        age = np.where(pop.at_risk[gidx], np.minimum(customer_hi, 30.0), customer_hi) * u
        typ = T_PAGE
        target[:] = voc.cats["renewal"][0]
    elif seg == SEG_NEWFEAT:
        age = np.minimum(customer_hi, 30.0) * u
        typ = T_PAGE
        target = voc.category("features_new", u_slug, skew=1.0)
    elif seg == SEG_UNSUB:
        age = pop.unsub_age[gidx]
        typ = T_UNSUB
    else:  # SEG_BOUNCE
        lo = np.where(pop.is_customer[gidx], 0.0, pop.quiet[gidx])
        age = lo + (pop.window[gidx] - lo) * u
        typ = T_BOUNCE
    occurred = pop.occurred(gidx, age)
    if seg in (SEG_UNSUB, SEG_BOUNCE):
        target = voc.newsletter(occurred)
    types = np.full(n, typ, dtype=np.int64)
    value = _values(cr, key, types, np.zeros(n, dtype=np.int64))
    return _Rows(gidx, key * _U64(4), types, target, occurred, value)


_TYPE_ARRAY = pa.array(ACTIVITY_TYPES, type=pa.string())


def _activity_chunk(
    pop: _Population, cr: _CounterRng, voc: _Vocab, start: int, stop: int
) -> pa.Table:
    assert pop.counts is not None
    counts = pop.counts[start:stop]
    parts: list[_Rows] = []
    for seg in range(N_SEGMENTS):
        keyed = _segment_keys(counts, start, seg)
        if keyed is None:
            continue
        gidx, key = keyed
        if seg in (SEG_PROSPECT, SEG_CUSTOMER):
            parts.extend(_general_rows(pop, cr, voc, gidx, key, seg))
        else:
            parts.append(_fixed_rows(pop, cr, voc, gidx, key, seg))
    if not parts:
        return ACTIVITY_SCHEMA.empty_table()

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    gidx, sort_key, occurred = cat("gidx"), cat("sort_key"), cat("occurred")
    order = np.lexsort((sort_key, occurred, gidx))
    gidx, sort_key, occurred = gidx[order], sort_key[order], occurred[order]
    typ, target, value = cat("typ")[order], cat("target")[order], cat("value")[order]
    pos = np.arange(len(gidx))
    first = np.ones(len(gidx), dtype=bool)
    first[1:] = gidx[1:] != gidx[:-1]
    seq = pos - np.maximum.accumulate(np.where(first, pos, 0))

    # ~0.5% exact duplicates (same activity_id and every other column), right after the original.
    take = np.repeat(pos, 1 + (cr.uniform(sort_key, R_DUP) < DUPLICATE_RATE))
    gidx, seq, typ, target = gidx[take], seq[take], typ[take], target[take]
    occurred, value = occurred[take], value[take]
    return pa.table(
        {
            "activity_id": _join("A", _digits(gidx + 1, pop.id_width), "-", _digits(seq + 1, 5)),
            "contact_id": pc.take(pop.contact_ids, pa.array(gidx)),
            "activity_type": pc.take(_TYPE_ARRAY, pa.array(typ)),
            "occurred_at": _ts(occurred),
            "target": _take(voc.array, np.maximum(target, 0), mask=target < 0),
            "value": pa.array(value, mask=np.isnan(value)),
        },
        schema=ACTIVITY_SCHEMA,
    )


def _chunk_bounds(counts: np.ndarray, chunk_contacts: int | None) -> list[tuple[int, int]]:
    n = len(counts)
    if chunk_contacts:
        step = max(1, int(chunk_contacts))
        return [(s, min(n, s + step)) for s in range(0, n, step)]
    cum = np.cumsum(counts.sum(axis=1))
    total = int(cum[-1]) if n else 0
    cuts = np.searchsorted(cum, np.arange(CHUNK_ROWS, total, CHUNK_ROWS), side="left") + 1
    edges = np.unique(np.concatenate([[0], np.minimum(cuts, n), [n]]))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


# --------------------------------------------------------------------------------------------
# Deals and sales feedback
# --------------------------------------------------------------------------------------------


def _build_deals(pop: _Population, rng: np.random.Generator) -> pa.Table:
    n = pop.n
    idx_parts, created_parts, closed_parts, status_parts, line_parts = [], [], [], [], []
    size_class = (pop.employee_count >= 100).astype(np.int64) + (pop.employee_count > 1000)
    line_cdf = _cdf([[0.75, 0.22, 0.03], [0.50, 0.35, 0.15], [0.30, 0.30, 0.40]])

    def add(idx: np.ndarray, created: np.ndarray, closed: np.ndarray, status: int, line) -> None:
        idx_parts.append(idx)
        created_parts.append(created)
        closed_parts.append(closed)
        status_parts.append(np.full(len(idx), status, dtype=np.int64))
        line_parts.append(line)

    def lines(idx: np.ndarray) -> np.ndarray:
        return _pick(rng.random(len(idx)), line_cdf, size_class[idx])

    # Customers: the won deal that made them customers, sometimes an earlier lost one.
    c = np.flatnonzero(pop.is_customer)
    cycle = np.minimum(
        14.0 + 106.0 * rng.random(len(c)), pop.created_age[c] - pop.conv_age[c] - 0.5
    )
    won_created = pop.conv_age[c] + np.maximum(cycle, 0.0)
    add(c, won_created, pop.conv_age[c], 1, lines(c))
    prior = won_created + 60.0 + 240.0 * rng.random(len(c))
    ok = (rng.random(len(c)) < 0.15) & (prior < pop.created_age[c] - 0.5)
    add(c[ok], prior[ok], prior[ok] - 14.0 - 46.0 * rng.random(int(ok.sum())), 2, lines(c[ok]))
    # Expansion candidates: an open upsell.
    e = np.flatnonzero(pop.expansion & (rng.random(n) < 0.5))
    upsell = 1 + _pick(rng.random(len(e)), _cdf([0.6, 0.4]), 0)
    add(e, 1.0 + 29.0 * rng.random(len(e)), np.full(len(e), np.nan), 0, upsell)
    # Opportunities: an open deal created recently.
    o = np.flatnonzero(pop.opportunity)
    span = np.minimum(60.0, pop.created_age[o] - 0.5)
    add(o, span * (0.05 + 0.95 * rng.random(len(o))), np.full(len(o), np.nan), 0, lines(o))
    # Other prospects: lost deals (more often for poor fit) and a few open ones.
    prospect = ~pop.is_customer & ~pop.opportunity & ~pop.internal & ~pop.competitor
    p_lost = np.array([0.005, 0.01, 0.08, 0.30])[pop.depth] * np.where(pop.fit_z < 0, 1.4, 0.7)
    p_open = np.array([0.0, 0.0, 0.04, 0.10])[pop.depth]
    r = rng.random(n)
    lost = np.flatnonzero(prospect & (r < p_lost))
    created = np.minimum(300.0, pop.window[lost]) * (0.1 + 0.9 * rng.random(len(lost)))
    add(lost, created, created * (0.2 + 0.6 * rng.random(len(lost))), 2, lines(lost))
    still_open = np.flatnonzero(prospect & (r >= p_lost) & (r < p_lost + p_open))
    span = np.minimum(45.0, pop.created_age[still_open] - 0.5)
    created = span * (0.05 + 0.95 * rng.random(len(still_open)))
    add(still_open, created, np.full(len(still_open), np.nan), 0, lines(still_open))

    idx = np.concatenate(idx_parts)
    created_age = np.concatenate(created_parts)
    closed_age = np.concatenate(closed_parts)
    status = np.concatenate(status_parts)
    line = np.concatenate(line_parts)
    created_us = pop.occurred(idx, created_age)
    closed_null = np.isnan(closed_age)
    closed_us = np.maximum(pop.occurred(idx, np.nan_to_num(closed_age)), created_us)
    base = np.array([9_000.0, 22_000.0, 85_000.0])[line]
    amount = base * rng.lognormal(0.0, 0.35, len(idx)) * (pop.employee_count[idx] / 200.0) ** 0.15
    amount = np.round(amount, -2)

    order = np.lexsort((created_us, idx))
    idx, created_us, closed_us, closed_null = (
        idx[order],
        created_us[order],
        closed_us[order],
        closed_null[order],
    )
    return pa.table(
        {
            "deal_id": _join("D", _digits(np.arange(1, len(idx) + 1), 7)),
            "contact_id": pc.take(pop.contact_ids, pa.array(idx)),
            "created_at": _ts(created_us),
            "status": _take(DEAL_STATUS, status[order]),
            "closed_at": _ts(closed_us, mask=closed_null),
            "amount": pa.array(amount[order]),
            "product_line": _take(PRODUCT_LINES, line[order]),
        },
        schema=DEAL_SCHEMA,
    )


def _build_feedback(pop: _Population, rng: np.random.Generator) -> pa.Table:
    n = pop.n
    low_fit = pop.competitor | (pop.seniority == 0)
    weight = np.array([0.3, 1.0, 8.0, 30.0])[pop.depth]
    weight = np.where(low_fit & (pop.depth >= 1), np.maximum(weight, 4.0), weight)
    weight = np.where(pop.competitor, 20.0, weight)
    weight = np.where(pop.internal | pop.is_customer, 0.0, weight)
    with np.errstate(divide="ignore"):
        chosen = np.flatnonzero(_top_k(rng, np.log(weight), max(1, round(0.02 * n))))
    cls = np.where(
        low_fit[chosen],
        0,
        np.where(pop.depth[chosen] == 3, 1, np.where(pop.depth[chosen] == 2, 2, 3)),
    )
    fb_cdf = _cdf([[0.05, 0.15, 0.80], [0.60, 0.30, 0.10], [0.30, 0.50, 0.20], [0.10, 0.50, 0.40]])
    feedback = _pick(rng.random(len(chosen)), fb_cdf, cls)
    age = np.minimum(90.0, pop.created_age[chosen]) * rng.random(len(chosen))
    # Some contacts got an earlier, different verdict that the newer one replaces.
    older_age = age + 10.0 + 50.0 * rng.random(len(chosen))
    again = (rng.random(len(chosen)) < 0.12) & (older_age < pop.created_age[chosen])
    idx = np.concatenate([chosen, chosen[again]])
    ages = np.concatenate([age, older_age[again]])
    feedback = np.concatenate([feedback, np.where(feedback[again] == 0, 1, 0)])
    given_us = pop.occurred(idx, ages)
    order = np.lexsort((given_us, idx))
    idx, given_us, feedback = idx[order], given_us[order], feedback[order]

    m = len(idx)
    reason = feedback.copy()
    reason[(feedback == 2) & (pop.seniority[idx] == 0)] = 3
    reason[(feedback == 2) & pop.competitor[idx]] = 4
    note_sizes = np.array([len(x) for x in FEEDBACK_NOTES])
    note_offsets = np.cumsum(note_sizes) - note_sizes
    note = note_offsets[reason] + (note_sizes[reason] * rng.random(m)).astype(np.int64)
    model_null = rng.random(m) < 0.85
    return pa.table(
        {
            "contact_id": pc.take(pop.contact_ids, pa.array(idx)),
            "feedback": _take(FEEDBACK, feedback),
            "given_at": _ts(given_us),
            "model_id": _take(["lead"], np.zeros(m, dtype=np.int64), mask=model_null),
            "given_by": _take(REPS, rng.integers(0, len(REPS), m)),
            "note": _take([s for x in FEEDBACK_NOTES for s in x], note),
        },
        schema=FEEDBACK_SCHEMA,
    )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


class _PartWriter:
    """Writes `demo_activities_<part>.parquet` files of at most `part_rows` rows.

    Row groups are cut at fixed row counts from a buffer, so the bytes written do not depend on
    how the rows were chunked when they were generated.
    """

    def __init__(self, folder: Path, part_rows: int, row_group_rows: int) -> None:
        self.folder = folder
        self.part_rows = max(1, int(part_rows))
        self.row_group_rows = max(1, min(int(row_group_rows), self.part_rows))
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.writer: pq.ParquetWriter | None = None
        self.in_part = 0
        self.parts = 0
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.buffer.append(table)
            self.buffered += table.num_rows
        self._drain(final=False)

    def close(self) -> int:
        self._drain(final=True)
        if self.writer is None:  # no rows at all: still write one (empty) file
            self._open()
        self._close_part()
        return self.rows

    def _drain(self, final: bool) -> None:
        while self.buffered:
            if self.writer is not None and self.in_part >= self.part_rows:
                self._close_part()
            need = min(self.row_group_rows, self.part_rows - self.in_part)
            if self.buffered < need and not final:
                return
            size = min(need, self.buffered)
            table = pa.concat_tables(self.buffer)
            rest = table.slice(size)
            self.buffer = [rest] if rest.num_rows else []
            self.buffered -= size
            if self.writer is None:
                self._open()
            assert self.writer is not None
            self.writer.write_table(table.slice(0, size).combine_chunks(), row_group_size=size)
            self.in_part += size
            self.rows += size

    def _open(self) -> None:
        path = self.folder / f"demo_activities_{self.parts:04d}.parquet"
        self.writer = pq.ParquetWriter(path, ACTIVITY_SCHEMA, compression=COMPRESSION)
        self.parts += 1
        self.in_part = 0

    def _close_part(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = None
        self.in_part = 0


def _write_table(path: Path, table: pa.Table) -> int:
    pq.write_table(
        table.combine_chunks(), path, compression=COMPRESSION, row_group_size=ROW_GROUP_ROWS
    )
    return table.num_rows


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _remove_demo_files(folder: Path) -> None:
    for path in sorted(folder.glob("demo_*")):
        if path.is_file():
            path.unlink()


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
    as_of_us = (as_of - _EPOCH) // timedelta(microseconds=1)
    landing = Path(landing_dir)
    folders = {entity: landing / entity for entity in ENTITIES}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
        _remove_demo_files(folder)

    rng_contacts, rng_plan, rng_deals, rng_feedback = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)
    )
    with tqdm(total=contacts, desc="demo activities", unit="contact", disable=not progress) as bar:
        pop, contact_table = _build_contacts(contacts, rng_contacts, as_of_us)
        counts = {
            "contacts": _write_table(folders["contacts"] / "demo_contacts.parquet", contact_table)
        }
        del contact_table
        pop.counts = _plan_counts(pop, float(activities_per_contact), rng_plan)
        voc = _Vocab(as_of_us)
        cr = _CounterRng(seed)
        writer = _PartWriter(folders["activities"], part_rows or PART_ROWS, ROW_GROUP_ROWS)
        for start, stop in _chunk_bounds(pop.counts, chunk_contacts):
            writer.write(_activity_chunk(pop, cr, voc, start, stop))
            bar.update(stop - start)
        counts["activities"] = writer.close()
    counts["deals"] = _write_table(
        folders["deals"] / "demo_deals.parquet", _build_deals(pop, rng_deals)
    )
    counts["sales_feedback"] = _write_table(
        folders["sales_feedback"] / "demo_sales_feedback.parquet",
        _build_feedback(pop, rng_feedback),
    )
    return counts
