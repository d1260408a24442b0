"""The fixed vocabularies of the simulated world: places, industries, people, companies, content."""

from __future__ import annotations

import numpy as np

from ..vocabulary import SHIPPED_ACTIVITY_TYPES

WINDOW_DAYS = 365.0  # activities spread over this many days before as_of

COUNTRIES = [
    "Japan",
    "United States",
    "United Kingdom",
    "Germany",
    "Singapore",
    "Australia",
    "France",
]
COUNTRY_WEIGHTS = [0.40, 0.25, 0.10, 0.08, 0.06, 0.06, 0.05]

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
INDUSTRY_WEIGHTS = [0.24, 0.14, 0.12, 0.10, 0.09, 0.08, 0.10, 0.05, 0.08]
INDUSTRY_FIT = np.array([0.6, 0.5, 0.5, 0.0, -0.1, -0.4, 0.1, -0.3, -0.1])

# Seniority: 0 no job / student, 1 individual contributor, 2 middle management, 3 management,
# 4 executive.
JAPANESE_TITLES = [
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
ENGLISH_TITLES = [
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
TITLES = [title for title, _, _ in JAPANESE_TITLES + ENGLISH_TITLES]
TITLE_SENIORITY = np.array([seniority for _, seniority, _ in JAPANESE_TITLES + ENGLISH_TITLES])
SENIORITY_FIT = np.array([-1.6, 0.0, 0.4, 1.0, 1.4])

JAPANESE_LAST_NAMES = [
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
JAPANESE_FIRST_NAMES = [
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
ENGLISH_FIRST_NAMES = [
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
ENGLISH_LAST_NAMES = [
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

JAPANESE_COMPANY_WORDS = [
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
JAPANESE_COMPANY_KINDS = [
    "工業",
    "商事",
    "製作所",
    "システムズ",
    "テクノロジー",
    "ホールディングス",
    "ラボ",
]
ENGLISH_COMPANY_WORDS = [
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
ENGLISH_COMPANY_KINDS = [
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
SOURCE_WEIGHTS = [0.28, 0.14, 0.12, 0.10, 0.10, 0.14, 0.05, 0.07]
STAGES = ["subscriber", "lead", "opportunity", "customer"]
STAGE_SUBSCRIBER, STAGE_LEAD, STAGE_OPPORTUNITY, STAGE_CUSTOMER = range(4)

OCCUPATIONS = [  # free-text answers by seniority
    ["Student", "大学生", "Between jobs", "求職中"],
    ["Software engineer at a startup", "会社員", "エンジニア", "Data analyst"],
    ["Marketing manager", "マーケティング担当", "Team lead"],
    ["Head of department", "営業部長", "Business owner", "Consultant"],
    ["Founder & CEO", "経営者", "Managing director"],
]


# Activity types: the shipped vocabulary, in the order their indices below follow.
ACTIVITY_TYPES = list(SHIPPED_ACTIVITY_TYPES)
(
    TYPE_PAGE_VIEW,
    TYPE_FORM_SUBMISSION,
    TYPE_EMAIL_SENT,
    TYPE_EMAIL_OPEN,
    TYPE_EMAIL_CLICK,
    TYPE_EMAIL_UNSUBSCRIBE,
    TYPE_EMAIL_BOUNCE,
    TYPE_CONTENT_DOWNLOAD,
    TYPE_WEBINAR_REGISTRATION,
    TYPE_WEBINAR_ATTENDED,
    TYPE_EVENT_ATTENDED,
    TYPE_SOCIAL_ENGAGEMENT,
    TYPE_CTA_CLICK,
    TYPE_LOGIN,
    TYPE_FEATURE_USED,
    TYPE_SUPPORT_TICKET,
    TYPE_MEETING_BOOKED,
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
    "{topic}-101",
    "{topic}-guide",
    "{topic}-best-practices",
    "{topic}-checklist",
    "{topic}-trends-2026",
    "{topic}-mistakes",
    "how-to-improve-{topic}",
    "{topic}-benchmarks",
    "{topic}-for-startups",
    "{topic}-faq",
]
FEATURE_PAGES = [
    "reports",
    "api",
    "workflows",
    "ai-scoring",
    "dashboards",
    "integrations",
    "alerts",
]
NEW_FEATURE_PAGES = ["ai-scoring", "predictive-churn", "workflow-builder-v2", "slack-alerts"]
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
DOC_PAGES = [
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
DOWNLOADS_BY_KIND = {
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
SOCIAL_ENGAGEMENTS = ["linkedin:like", "linkedin:follow", "twitter:like", "twitter:follow"]
CALLS_TO_ACTION = [
    "book-demo",
    "start-trial",
    "download-guide",
    "see-pricing",
    "watch-video",
    "talk-to-sales",
]
TOP_OF_FUNNEL_FORMS = ["newsletter_signup", "blog_subscribe"]
MIDDLE_OF_FUNNEL_FORMS = ["ebook_download", "whitepaper_request", "webinar_signup"]
BOTTOM_OF_FUNNEL_FORMS = ["contact_sales", "pricing_inquiry"]
TICKET_PRIORITIES = ["low", "normal", "high", "urgent"]

SALES_REPS = [
    "Yuki Tanaka",
    "Ken Sato",
    "Emily Clark",
    "James Miller",
    "Hana Suzuki",
    "Oliver Brown",
]
FEEDBACK_VERDICTS = ["true_sql", "not_ready", "unqualified"]
FEEDBACK_NOTES = [  # true_sql, not_ready, unqualified, unqualified student, unqualified rival
    ["Budget confirmed, meeting booked", "予算確保済み・商談化", "Strong fit, moving to SQL"],
    ["Interested but no budget until next quarter", "検討時期未定", "Call back in 3 months"],
    ["No purchasing authority", "No project or budget", "決裁権なし"],
    ["Student, not a buyer", "学生のため対象外", "Not employed"],
    ["Competitor", "競合他社のため対象外"],
]
PRODUCT_LINES = ["core", "analytics", "enterprise"]
DEAL_STATUS = ["open", "won", "lost"]
