"""Landing files in the encodings Excel writes: Shift-JIS (CP932) and UTF-16 are read correctly,
a UTF-8 BOM never reaches a header, and any other encoding fails the file with how to re-save."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.ingest import ingest_landing
from orchestration.ingest.encoding import detect_encoding

CONTACTS = (
    "contact_id,job_title,役職,company\n"
    "c1,部長,代表取締役,株式会社テスト\n"
    ",no id,,\n"
    "c2,マネージャー,,ＡＢＣ商事\n"
)
ACTIVITIES = (
    "contact_id,activity_type,occurred_at,target\n"
    "c1,form_submission,2026-10-01,資料請求\n"
    "c2,page_view,yesterday,料金\n"
)


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "landing"
    for entity in ("contacts", "activities"):
        (root / entity).mkdir(parents=True)
    return root


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "build.duckdb")) as connection:
        yield connection


def properties(con) -> list[tuple]:
    return con.execute(
        "select _file_path, _row_number, contact_id, property_header, property_value "
        "from raw.contact_properties order by all"
    ).fetchall()


def quarantine(con) -> list[tuple]:
    return con.execute(
        "select file_path, row_number, reason from ops.landing_quarantine order by all"
    ).fetchall()


def test_a_shift_jis_csv_from_excel_loads_with_its_japanese_text_and_line_numbers(con, landing):
    (landing / "contacts" / "excel.csv").write_bytes(CONTACTS.encode("cp932"))
    summary = ingest_landing(con, landing)
    [result] = summary.files
    assert (result.status, result.encoding, result.rows_loaded) == ("loaded", "cp932", 2)
    assert "contacts/excel.csv: not UTF-8, read as cp932" in summary.describe()
    assert properties(con) == [
        ("contacts/excel.csv", 2, "c1", "company", "株式会社テスト"),
        ("contacts/excel.csv", 2, "c1", "job_title", "部長"),
        ("contacts/excel.csv", 2, "c1", "役職", "代表取締役"),
        ("contacts/excel.csv", 4, "c2", "company", "ＡＢＣ商事"),
        ("contacts/excel.csv", 4, "c2", "job_title", "マネージャー"),
    ]
    assert quarantine(con) == [("contacts/excel.csv", 3, "missing contact_id")]


def test_a_shift_jis_file_with_kanji_only_values_is_read_too(con, landing):
    (landing / "activities" / "forms.csv").write_bytes(ACTIVITIES.encode("cp932"))
    summary = ingest_landing(con, landing)
    assert [f.encoding for f in summary.files] == ["cp932"]
    assert con.execute("select contact_id, target from raw.activities").fetchall() == [
        ("c1", "資料請求")
    ]
    assert quarantine(con) == [("activities/forms.csv", 3, "unparseable occurred_at: yesterday")]


def test_a_utf8_bom_never_reaches_the_first_header(con, landing):
    (landing / "contacts" / "bom.csv").write_bytes(b"\xef\xbb\xbf" + CONTACTS.encode("utf-8"))
    (landing / "activities" / "bom.csv").write_bytes(
        b"\xef\xbb\xbf" + ACTIVITIES.replace("yesterday", "2026-10-02").encode("utf-8")
    )
    summary = ingest_landing(con, landing)
    assert [(f.status, f.encoding) for f in summary.files] == [("loaded", None)] * 2
    assert con.execute("select count(*) from raw.activities").fetchone() == (2,)
    headers = {row[3] for row in properties(con)}
    assert headers == {"job_title", "役職", "company"}  # no "\ufeffcontact_id" property
    assert con.execute("select contact_id from raw.contacts order by 1").fetchall() == [
        ("c1",),
        ("c2",),
    ]


def test_a_utf16_unicode_text_file_is_read(con, landing):
    text = CONTACTS.replace(",", "\t")  # Excel's "Unicode Text" is tab-separated UTF-16
    (landing / "contacts" / "unicode.txt.csv").write_bytes(text.encode("utf-16"))
    [result] = ingest_landing(con, landing).files
    assert (result.status, result.encoding, result.rows_loaded) == ("loaded", "utf-16", 2)
    assert ("contacts/unicode.txt.csv", 2, "c1", "役職", "代表取締役") in properties(con)


def test_another_encoding_fails_the_file_with_how_to_resave_it_and_loads_nothing(con, landing):
    latin1 = "contact_id,company\nc1,ACME\nc2,Société Générale\n".encode("latin-1")
    (landing / "contacts" / "latin1.csv").write_bytes(latin1)
    (landing / "contacts" / "good.csv").write_text("contact_id\nc9\n", encoding="utf-8")
    summary = ingest_landing(con, landing)
    [failed] = summary.file_errors
    message = (
        "is not UTF-8 text (line 3 is in another encoding, e.g. Windows-1252 or Latin-1); save "
        'it as UTF-8 (in Excel: "CSV UTF-8 (Comma delimited) (*.csv)"; in an editor: encoding '
        "UTF-8) and put it in the landing folder again"
    )
    assert (failed.path, failed.error) == ("contacts/latin1.csv", message)
    assert f"! contacts/latin1.csv: {message}" in summary.describe()
    assert con.execute("select contact_id from raw.contacts").fetchall() == [("c9",)]
    assert quarantine(con) == [("contacts/latin1.csv", None, f"file not loaded: {message}")]


def test_a_bad_byte_deep_in_a_large_file_is_found_on_its_line(tmp_path):
    path = tmp_path / "big.csv"
    good = "contact_id,company\n" + "".join(f"c{i},company {i}\n" for i in range(120_000))
    path.write_bytes(good.encode() + "c-x,Café\n".encode("latin-1"))  # past the first MiB
    assert path.stat().st_size > 2 * (1 << 20)
    detected = detect_encoding(path)
    assert (detected.name, detected.first_bad_line) == ("unknown", 120_002)
    assert not detected.readable


def test_utf8_with_or_without_a_bom_needs_no_copy(tmp_path):
    plain, bom = tmp_path / "plain.csv", tmp_path / "bom.csv"
    plain.write_text(CONTACTS, encoding="utf-8")
    bom.write_text(CONTACTS, encoding="utf-8-sig")
    assert [detect_encoding(p).name for p in (plain, bom)] == ["utf-8", "utf-8"]
