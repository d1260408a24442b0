"""Unit tests for the deterministic demo data generator (orchestration.demo)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from orchestration import demo
from orchestration.demo import generate_demo
from orchestration.vocabulary import SHIPPED_ACTIVITY_TYPES

AS_OF = datetime(2026, 11, 1, 9, 30, 0, 123456)
N = 300
K = 25

SHIPPED_TYPES = set(SHIPPED_ACTIVITY_TYPES)


def _generate(landing: Path, **kwargs) -> dict[str, int]:
    params = {"contacts": N, "activities_per_contact": K, "seed": 7, "as_of": AS_OF}
    params.update(kwargs)
    return generate_demo(landing, progress=False, **params)


def _hashes(landing: Path) -> dict[str, str]:
    return {
        str(p.relative_to(landing)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(landing.rglob("*.parquet"))
    }


def _read(landing: Path, entity: str) -> pa.Table:
    files = sorted((landing / entity).glob("demo_*.parquet"))
    assert files, f"no demo files for {entity}"
    return pa.concat_tables([pq.read_table(f) for f in files])


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    path = tmp_path_factory.mktemp("landing")
    return path, _generate(path)


@pytest.fixture(scope="module")
def landing(generated: tuple[Path, dict[str, int]]) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def db(landing: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for entity in demo.ENTITIES:
        con.execute(
            f"create view {entity} as select * "
            f"from read_parquet('{landing}/{entity}/demo_*.parquet')"
        )
    con.execute(
        "create view latest_contacts as select * from contacts "
        "qualify row_number() over (partition by contact_id order by updated_at desc) = 1"
    )
    return con


def _one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_files_written_and_counts_returned(generated: tuple[Path, dict[str, int]]) -> None:
    landing, counts = generated
    assert set(counts) == {"contacts", "activities", "deals", "sales_feedback"}
    assert (landing / "contacts" / "demo_contacts.parquet").is_file()
    assert (landing / "activities" / "demo_activities_0000.parquet").is_file()
    assert (landing / "deals" / "demo_deals.parquet").is_file()
    assert (landing / "sales_feedback" / "demo_sales_feedback.parquet").is_file()
    for entity, rows in counts.items():
        assert _read(landing, entity).num_rows == rows
    # ~2% of contacts appear a second time as an older record.
    assert N <= counts["contacts"] <= N * 1.06
    assert 0.85 * N * K <= counts["activities"] <= 1.15 * N * K
    assert counts["deals"] > 0
    assert counts["sales_feedback"] >= 1


def test_schemas(landing: Path) -> None:
    ts = pa.timestamp("us")
    contacts = _read(landing, "contacts").schema
    expected = {
        "contact_id": pa.string(),
        "email": pa.string(),
        "first_name": pa.string(),
        "last_name": pa.string(),
        "job_title": pa.string(),
        "company": pa.string(),
        "industry": pa.string(),
        "employee_count": pa.int64(),
        "annual_revenue": pa.float64(),
        "country": pa.string(),
        "original_source": pa.string(),
        "lifecycle_stage": pa.string(),
        "email_opt_out": pa.bool_(),
        "created_at": ts,
        "updated_at": ts,
        "hubspot_id": pa.string(),
        "salesforce_id": pa.string(),
        "What is your current occupation": pa.string(),
        "役職": pa.string(),
        "churned": pa.string(),
        "expanded": pa.string(),
        "last_purchase_date": pa.string(),
    }
    assert {f.name: f.type for f in contacts} == expected
    activities = _read(landing, "activities").schema
    assert {f.name: f.type for f in activities} == {
        "activity_id": pa.string(),
        "contact_id": pa.string(),
        "activity_type": pa.string(),
        "occurred_at": ts,
        "target": pa.string(),
        "value": pa.float64(),
    }
    deals = _read(landing, "deals").schema
    assert {f.name: f.type for f in deals} == {
        "deal_id": pa.string(),
        "contact_id": pa.string(),
        "created_at": ts,
        "status": pa.string(),
        "closed_at": ts,
        "amount": pa.float64(),
        "product_line": pa.string(),
    }
    feedback = _read(landing, "sales_feedback").schema
    assert {f.name: f.type for f in feedback} == {
        "contact_id": pa.string(),
        "feedback": pa.string(),
        "given_at": ts,
        "model_id": pa.string(),
        "given_by": pa.string(),
        "note": pa.string(),
    }


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    _generate(tmp_path / "a")
    _generate(tmp_path / "b")
    _generate(tmp_path / "c", seed=8)
    a, b, c = _hashes(tmp_path / "a"), _hashes(tmp_path / "b"), _hashes(tmp_path / "c")
    assert a == b
    assert len(a) == 4
    assert set(a) == set(c)
    assert all(a[name] != c[name] for name in a)


def test_chunk_size_does_not_change_output(tmp_path: Path) -> None:
    # Tiny chunks of contacts and small activity parts: the same bytes as a single chunk.
    one = _generate(tmp_path / "one", part_rows=2_000)
    many = _generate(tmp_path / "many", part_rows=2_000, chunk_contacts=7)
    assert one == many
    hashes = _hashes(tmp_path / "one")
    assert hashes == _hashes(tmp_path / "many")
    parts = sorted((tmp_path / "many" / "activities").glob("demo_activities_*.parquet"))
    assert len(parts) == -(-many["activities"] // 2_000) > 1
    assert all(pq.read_metadata(p).num_rows <= 2_000 for p in parts)
    # The rows are the same as with the default part size, only split differently.
    _generate(tmp_path / "single", chunk_contacts=13)
    assert _read(tmp_path / "many", "activities").equals(_read(tmp_path / "single", "activities"))


def test_module_chunk_constant_is_honoured(tmp_path: Path, monkeypatch) -> None:
    _generate(tmp_path / "ref")
    monkeypatch.setattr(demo, "CHUNK_ROWS", 500)
    _generate(tmp_path / "small")
    assert _hashes(tmp_path / "ref") == _hashes(tmp_path / "small")


def test_nothing_after_as_of(db: duckdb.DuckDBPyConnection) -> None:
    as_of = f"timestamp '{AS_OF.isoformat(sep=' ')}'"
    assert _one(db, f"select count(*) from activities where occurred_at > {as_of}") == 0
    assert _one(db, "select max(occurred_at) from activities") > AS_OF - timedelta(days=2)
    assert (
        _one(
            db, f"select count(*) from contacts where created_at > {as_of} or updated_at > {as_of}"
        )
        == 0
    )
    assert _one(db, "select count(*) from contacts where updated_at < created_at") == 0
    assert (
        _one(
            db,
            f"select count(*) from deals where created_at > {as_of} or closed_at > {as_of} "
            "or closed_at < created_at",
        )
        == 0
    )
    assert _one(db, f"select count(*) from sales_feedback where given_at > {as_of}") == 0
    # Activities stay within the last year and never predate the contact.
    assert _one(db, "select min(occurred_at) from activities") >= AS_OF - timedelta(days=366)
    assert (
        _one(
            db,
            "select count(*) from activities a join latest_contacts c using (contact_id) "
            "where a.occurred_at < c.created_at",
        )
        == 0
    )


def test_every_activity_belongs_to_a_contact(db: duckdb.DuckDBPyConnection) -> None:
    assert (
        _one(
            db,
            "select count(*) from activities where contact_id not in "
            "(select contact_id from contacts)",
        )
        == 0
    )
    assert _one(db, "select count(*) from activities where contact_id is null") == 0
    assert _one(db, "select count(distinct contact_id) from contacts") == N


def test_vocabulary(db: duckdb.DuckDBPyConnection) -> None:
    types = {r[0] for r in db.execute("select distinct activity_type from activities").fetchall()}
    assert types == SHIPPED_TYPES
    forms = {
        r[0]
        for r in db.execute(
            "select distinct target from activities where activity_type = 'form_submission'"
        ).fetchall()
    }
    assert forms <= {
        "newsletter_signup",
        "blog_subscribe",
        "ebook_download",
        "whitepaper_request",
        "webinar_signup",
        "demo_request",
        "contact_sales",
        "pricing_inquiry",
    }
    assert "demo_request" in forms
    pages = [
        r[0]
        for r in db.execute(
            "select distinct target from activities where activity_type = 'page_view'"
        ).fetchall()
    ]
    assert all(p.startswith("/") for p in pages)
    assert {"/pricing", "/demo", "/account/renewal"} <= set(pages)
    assert any(p.startswith("/blog/") for p in pages)
    assert any(p.startswith("/features/new/") for p in pages)
    bad_targets = _one(
        db,
        """select count(*) from activities where not (
            (activity_type in ('email_sent', 'email_open', 'email_click', 'email_unsubscribe',
                               'email_bounce')
                and regexp_matches(target, '^(nl-\\d{4}-\\d{2}|nurture-\\d+|product-update-\\d+)$'))
            or (activity_type = 'content_download'
                and regexp_matches(target, '^(whitepaper|guide|ebook|case-study):'))
            or (activity_type in ('webinar_registration', 'webinar_attended')
                and target like 'webinar:%')
            or (activity_type = 'event_attended' and target like 'event:%')
            or (activity_type = 'social_engagement'
                and target in ('linkedin:follow', 'linkedin:like', 'twitter:follow',
                               'twitter:like'))
            or (activity_type = 'cta_click' and target like 'cta:%')
            or (activity_type = 'meeting_booked' and target = 'meeting:sales')
            or (activity_type = 'support_ticket'
                and target in ('priority:low', 'priority:normal', 'priority:high',
                               'priority:urgent'))
            or (activity_type = 'feature_used' and target is not null)
            or (activity_type = 'login' and target is null and value > 0)
            or activity_type in ('page_view', 'form_submission'))""",
    )
    assert bad_targets == 0


def test_opens_and_clicks_follow_a_send_of_the_same_campaign(
    db: duckdb.DuckDBPyConnection,
) -> None:
    engaged = _one(
        db, "select count(*) from activities where activity_type in ('email_open', 'email_click')"
    )
    assert engaged > 0
    orphans = _one(
        db,
        """select count(*) from activities o
           where o.activity_type in ('email_open', 'email_click')
             and not exists (
               select 1 from activities s
               where s.contact_id = o.contact_id and s.activity_type = 'email_sent'
                 and s.target = o.target and s.occurred_at <= o.occurred_at)""",
    )
    assert orphans == 0
    attended_orphans = _one(
        db,
        """select count(*) from activities o
           where o.activity_type = 'webinar_attended'
             and not exists (
               select 1 from activities r
               where r.contact_id = o.contact_id and r.activity_type = 'webinar_registration'
                 and r.target = o.target and r.occurred_at <= o.occurred_at)""",
    )
    assert attended_orphans == 0


def test_exact_duplicate_activity_rows(db: duckdb.DuckDBPyConnection) -> None:
    total = _one(db, "select count(*) from activities")
    distinct_rows = _one(db, "select count(*) from (select distinct * from activities)")
    distinct_ids = _one(db, "select count(distinct activity_id) from activities")
    assert 0 < total - distinct_rows <= 0.02 * total
    # A repeated activity_id is always an exact duplicate of the whole row.
    assert distinct_ids == distinct_rows


def test_contacts_properties(db: duckdb.DuckDBPyConnection) -> None:
    jp = _one(db, "select avg((country = 'Japan')::int) from latest_contacts")
    assert 0.25 <= jp <= 0.55
    titles = {r[0] for r in db.execute("select distinct job_title from contacts").fetchall()}
    assert {"部長", "一般社員", "学生"} & titles
    assert {"CEO", "Software Engineer", "Student"} & titles
    # 役職 repeats the Japanese title for Japanese contacts only.
    mismatched = _one(
        db,
        """select count(*) from contacts where
           (country = 'Japan' and "役職" is distinct from job_title)
           or (country <> 'Japan' and "役職" is not null)""",
    )
    assert mismatched == 0
    non_jp_titles_in_japan = _one(
        db,
        "select count(*) from contacts where country = 'Japan' and not regexp_matches(job_title, "
        "'[\\x{3040}-\\x{30ff}\\x{4e00}-\\x{9fff}]')",
    )
    assert non_jp_titles_in_japan == 0
    stages = dict(
        db.execute(
            "select coalesce(lifecycle_stage, '<null>'), count(*) from latest_contacts group by 1"
        ).fetchall()
    )
    assert 0.10 * N <= stages["customer"] <= 0.20 * N
    assert stages.get("opportunity", 0) > 0 and stages["lead"] > 0 and stages["subscriber"] > 0
    filled = _one(
        db, """select avg(("What is your current occupation" is not null)::int) from contacts"""
    )
    assert 0.15 <= filled <= 0.45
    hubspot = _one(db, "select avg((hubspot_id is not null)::int) from contacts")
    assert 0.55 <= hubspot <= 0.85
    assert (
        _one(
            db,
            "select count(*) from contacts where salesforce_id is not null "
            "and not (salesforce_id like '00Q%' and length(salesforce_id) = 18)",
        )
        == 0
    )
    assert _one(db, "select count(*) from contacts where email not like '%@%.example'") == 0
    assert (
        _one(
            db,
            "select count(*) from contacts where company = 'LeadScore Demo Inc.' "
            "and email not like '%@leadscore-demo.example'",
        )
        == 0
    )


def test_duplicate_contact_records_have_distinct_updated_at(
    db: duckdb.DuckDBPyConnection,
) -> None:
    rows = db.execute(
        "select contact_id, count(*), count(distinct updated_at) from contacts "
        "group by 1 having count(*) > 1"
    ).fetchall()
    assert rows, "expected some contacts with an older duplicate record"
    assert all(n == 2 and distinct == 2 for _, n, distinct in rows)


def test_customers_have_product_usage(db: duckdb.DuckDBPyConnection) -> None:
    share = _one(
        db,
        """select avg((exists (select 1 from activities a where a.contact_id = c.contact_id
                                and a.activity_type = 'login'))::int)
           from latest_contacts c where lifecycle_stage = 'customer'""",
    )
    assert share >= 0.8
    prospects_with_logins = _one(
        db,
        """select count(*) from activities a join latest_contacts c using (contact_id)
           where a.activity_type in ('login', 'feature_used', 'support_ticket')
             and c.lifecycle_stage is distinct from 'customer'""",
    )
    assert prospects_with_logins == 0
    expansion = _one(
        db,
        f"""select count(*) from (
              select contact_id from activities
              where target like '/features/new/%'
                and occurred_at > timestamp '{AS_OF.isoformat(sep=" ")}' - interval 30 day
              group by 1 having count(*) >= 3)""",
    )
    assert expansion > 0


def test_funnel_shape(db: duckdb.DuckDBPyConnection) -> None:
    share = dict(
        db.execute(
            """select t, avg(hit::int) from (
                 select c.contact_id, t.t, exists (
                   select 1 from activities a where a.contact_id = c.contact_id and (
                     (t.t = 'demo' and a.target = 'demo_request')
                     or (t.t = 'pricing' and a.target in ('/pricing', '/demo'))
                     or (t.t = 'blog' and a.target like '/blog/%'))) hit
                 from latest_contacts c,
                      (values ('demo'), ('pricing'), ('blog')) t(t)
                 where c.lifecycle_stage is distinct from 'customer')
               group by t"""
        ).fetchall()
    )
    assert share["blog"] > share["pricing"] > share["demo"] > 0
    assert share["demo"] <= 0.10


def test_rerun_replaces_demo_files_but_keeps_others(tmp_path: Path) -> None:
    _generate(tmp_path, part_rows=1_000)
    keep = tmp_path / "activities" / "crm_export.csv"
    keep.write_text("contact_id,activity_type,occurred_at\nX1,page_view,2026-01-01\n")
    keep_parquet = tmp_path / "contacts" / "manual.parquet"
    pq.write_table(pa.table({"contact_id": ["X1"]}), keep_parquet)
    assert len(list((tmp_path / "activities").glob("demo_activities_*.parquet"))) > 1

    counts = _generate(tmp_path, contacts=50, activities_per_contact=4)
    assert keep.is_file() and keep_parquet.is_file()
    parts = sorted((tmp_path / "activities").glob("demo_*"))
    assert [p.name for p in parts] == ["demo_activities_0000.parquet"]
    assert _read(tmp_path, "activities").num_rows == counts["activities"]
    assert pq.read_table(tmp_path / "contacts" / "demo_contacts.parquet").column(
        "contact_id"
    ).to_pylist()[:2] == ["C0000001", "C0000002"]
    assert {c for c in _read(tmp_path, "contacts").column("contact_id").to_pylist()} == {
        f"C{i:07d}" for i in range(1, 51)
    }


def test_aware_as_of_is_converted_to_utc(tmp_path: Path) -> None:
    naive = _generate(tmp_path / "naive", contacts=40)
    aware_as_of = AS_OF.replace(tzinfo=UTC).astimezone(timezone(timedelta(hours=9)))
    aware = _generate(tmp_path / "aware", contacts=40, as_of=aware_as_of)
    assert naive == aware
    assert _hashes(tmp_path / "naive") == _hashes(tmp_path / "aware")


def test_zero_activities_and_invalid_arguments(tmp_path: Path) -> None:
    counts = _generate(tmp_path, contacts=20, activities_per_contact=0)
    assert counts["activities"] == 0
    assert _read(tmp_path, "activities").num_rows == 0
    with pytest.raises(ValueError):
        _generate(tmp_path, contacts=0)
    with pytest.raises(ValueError):
        _generate(tmp_path, activities_per_contact=-1)
    # Negative seeds (the CLI accepts any int) work and differ from their absolute value.
    negative = _generate(tmp_path / "neg", contacts=20, seed=-7)
    assert negative["contacts"] >= 20
    _generate(tmp_path / "pos", contacts=20, seed=7)
    assert _hashes(tmp_path / "neg") != _hashes(tmp_path / "pos")


def test_customers_show_the_trends_and_dates_the_shipped_rules_look_for(tmp_path: Path) -> None:
    """Churned customers' logins fall more often; expanders' feature usage rises more often
    (the churn_risk and cross_sell trend rules); every customer has a last purchase date."""
    landing = tmp_path / "landing"
    _generate(landing, contacts=3000, as_of=datetime(2026, 11, 1))
    con = duckdb.connect()
    contacts = _read(landing, "contacts")
    activities = _read(landing, "activities")
    con.register("contacts_table", contacts)
    con.register("activities_table", activities)
    as_of = "timestamp '2026-11-01 00:00:00'"
    rates = con.execute(
        f"""
        with per_customer as (
            select
                c.contact_id, any_value(c.churned) as churned, any_value(c.expanded) as expanded,
                count(*) filter (where a.activity_type = 'login'
                    and a.occurred_at > {as_of} - interval 30 day) as logins_now,
                count(*) filter (where a.activity_type = 'login'
                    and a.occurred_at <= {as_of} - interval 30 day
                    and a.occurred_at > {as_of} - interval 90 day) as logins_before,
                coalesce(sum(a.value) filter (where a.activity_type = 'feature_used'
                    and a.occurred_at > {as_of} - interval 30 day), 0) as usage_now,
                coalesce(sum(a.value) filter (where a.activity_type = 'feature_used'
                    and a.occurred_at <= {as_of} - interval 30 day
                    and a.occurred_at > {as_of} - interval 60 day), 0) as usage_before,
                any_value(c.last_purchase_date) as last_purchase_date
            from contacts_table as c
            left join activities_table as a using (contact_id)
            where c.lifecycle_stage = 'customer'
            group by c.contact_id
        )
        select
            avg(case when logins_now * 60 * 100 <= logins_before * 30 * 50 then 1.0 else 0 end)
                filter (where churned = 'true') as drop_churned,
            avg(case when logins_now * 60 * 100 <= logins_before * 30 * 50 then 1.0 else 0 end)
                filter (where churned = 'false') as drop_kept,
            avg(case when usage_now >= usage_before * 1.5 then 1.0 else 0 end)
                filter (where expanded = 'true') as rise_expanded,
            avg(case when usage_now >= usage_before * 1.5 then 1.0 else 0 end)
                filter (where expanded = 'false') as rise_other,
            count(*) filter (where last_purchase_date is null) as customers_without_a_date
        from per_customer
        """
    ).fetchone()
    drop_churned, drop_kept, rise_expanded, rise_other, without_date = rates
    assert drop_churned > 2 * drop_kept
    assert rise_expanded > 1.5 * rise_other
    assert without_date == 0
    # a date belongs to a customer (an older record of one may predate its conversion)
    customers = set(
        contacts.filter(pc.field("lifecycle_stage") == "customer")["contact_id"].to_pylist()
    )
    dated = contacts.filter(pc.is_valid(contacts["last_purchase_date"]))["contact_id"].to_pylist()
    assert set(dated) <= customers
