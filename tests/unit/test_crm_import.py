"""`leadscore import`: CRM exports as they are, in English and Japanese, in Excel's encodings."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.ingest.crm_import import ImportError_, import_export, parse_mappings

HUBSPOT_EN = [
    ["Record ID", "First Name", "Last Name", "Email", "Job Title", "Lifecycle Stage",
     "Create Date", "Company Name", "Number of Employees", "Favourite colour"],
    ["101", "Aiko", "Sato", "aiko@example.jp", "Director", "lead", "2024-03-12 09:14",
     "Acme", "250", "blue"],
    ["102", "Ben", "Lee", "ben@example.com", "Engineer", "subscriber", "2024/03/13 10:00",
     "Beta", "12", ""],
]  # fmt: skip
HUBSPOT_JA = [
    ["レコードID", "名", "姓", "Eメール", "役職", "ライフサイクルステージ", "作成日", "会社名",
     "好きな色"],
    ["201", "愛子", "佐藤", "aiko@example.jp", "部長", "リード", "2024/03/12 09:14",
     "株式会社アクメ", "青"],
    ["202", "健", "鈴木", "ken@example.jp", "代表取締役", "顧客", "2024-03-13 10:00", "ベータ",
     ""],
]  # fmt: skip


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


def landed(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_a_hubspot_export_in_english(tmp_path):
    summary = import_export("hubspot", write(tmp_path / "export.csv", HUBSPOT_EN), tmp_path)
    assert summary.path == tmp_path / "contacts" / "hubspot-export.csv"
    rows = landed(summary.path)
    assert list(rows[0]) == [
        "contact_id", "first_name", "last_name", "email", "job_title", "lifecycle_stage",
        "created_at", "company", "employee_count", "Favourite colour",
    ]  # fmt: skip
    assert rows[0]["contact_id"] == "101" and rows[0]["Favourite colour"] == "blue"
    # ISO text stays as written; other export formats become ISO
    assert [r["created_at"] for r in rows] == ["2024-03-12 09:14", "2024-03-13 10:00:00"]
    assert summary.rows == 2 and summary.properties == ["Favourite colour"]
    assert summary.mapped["contact_id"] == "Record ID"


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-16"])
def test_a_hubspot_export_in_japanese_in_excels_encodings(tmp_path, encoding):
    export = write(tmp_path / "コンタクト.csv", HUBSPOT_JA, encoding)
    summary = import_export("hubspot", export, tmp_path)
    rows = landed(summary.path)
    assert list(rows[0])[:8] == [
        "contact_id", "first_name", "last_name", "email", "job_title", "lifecycle_stage",
        "created_at", "company",
    ]  # fmt: skip
    assert rows[0]["job_title"] == "部長" and rows[1]["company"] == "ベータ"
    assert rows[0]["好きな色"] == "青"  # never mojibake
    assert rows[0]["created_at"] == "2024-03-12 09:14:00"
    assert summary.encoding == {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    assert summary.path.read_bytes().startswith(b"contact_id,")  # UTF-8, no BOM


def test_a_salesforce_lead_report_and_api_names(tmp_path):
    report = [
        ["Lead ID", "First Name", "Last Name", "Company / Account", "Title", "Lead Status",
         "Lead Source", "Email", "Email Opt Out", "Create Date"],
        ["00Q5g00000ABCDE", "Ann", "Ito", "Acme", "CTO", "Open", "Web", "ann@x.jp", "0",
         "3/15/2024 2:30 PM"],
    ]  # fmt: skip
    rows = landed(import_export("salesforce", write(tmp_path / "r.csv", report), tmp_path).path)
    assert rows[0]["contact_id"] == "00Q5g00000ABCDE"
    assert (rows[0]["company"], rows[0]["job_title"], rows[0]["lifecycle_stage"]) == (
        "Acme", "CTO", "Open",
    )  # fmt: skip
    assert rows[0]["original_source"] == "Web" and rows[0]["email_opt_out"] == "0"
    assert rows[0]["created_at"] == "2024-03-15 14:30:00"
    api = [
        ["Id", "LastName", "Company", "CreatedDate"],
        ["00Q1", "Ito", "Acme", "2024-03-15T05:30:00.000Z"],
    ]
    rows = landed(import_export("salesforce", write(tmp_path / "api.csv", api), tmp_path).path)
    assert rows[0] == {
        "contact_id": "00Q1", "last_name": "Ito", "company": "Acme",
        "created_at": "2024-03-15T05:30:00.000Z",
    }  # fmt: skip


def test_any_csv_with_an_id_mapping_and_full_width_headers(tmp_path):
    export = write(
        tmp_path / "list.csv", [["顧客番号", "ＥＭＡＩＬ", "地域"], ["c-1", "a@x.jp", "関東"]]
    )
    with pytest.raises(ImportError_, match="no contact id column.*顧客番号.*--map"):
        import_export("csv", export, tmp_path)
    summary = import_export("csv", export, tmp_path, parse_mappings(["顧客番号=contact_id"]))
    assert landed(summary.path) == [{"contact_id": "c-1", "ＥＭＡＩＬ": "a@x.jp", "地域": "関東"}]
    # a hubspot export whose admin renamed the id column
    renamed = write(tmp_path / "h.csv", [["Contact No", "Eメール"], ["9", "k@x.jp"]])
    summary = import_export(
        "hubspot", renamed, tmp_path, parse_mappings([" contact no =contact_id"])
    )
    assert landed(summary.path) == [{"contact_id": "9", "email": "k@x.jp"}]


@pytest.mark.parametrize(
    ("rows", "mappings", "message"),
    [
        ([["Record ID", "Email", "E-mail"], ["1", "a", "b"]], ["E-mail=email"],
         "two columns would both be 'email': 'Email' and 'E-mail'"),
        ([["Record ID"], ["1"]], ["Nope=contact_id"], "--map names header.*nope.*found: Record ID"),
        ([["Record ID"], ["1"]], ["contact_id"], "write it as header=column"),
        ([], [], "is empty"),
    ],
)  # fmt: skip
def test_mistakes_are_clear_errors(tmp_path, rows, mappings, message):
    export = write(tmp_path / "e.csv", rows)
    with pytest.raises(ImportError_, match=message):
        import_export("hubspot", export, tmp_path, parse_mappings(mappings))


def test_unreadable_files_are_refused_with_what_to_do(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Record ID,City\n1,Z\xfcrich\n".encode("latin-1"))
    with pytest.raises(ImportError_, match="not UTF-8 text.*save it as UTF-8"):
        import_export("hubspot", latin, tmp_path)
    with pytest.raises(ImportError_, match="Excel workbook"):
        import_export("hubspot", write(tmp_path / "x.xlsx", [["a"]]), tmp_path)
    with pytest.raises(ImportError_, match="no such file"):
        import_export("hubspot", tmp_path / "missing.csv", tmp_path)


def test_the_command_reports_what_it_wrote_and_never_a_traceback(tmp_path):
    export = write(tmp_path / "export.csv", HUBSPOT_EN + [["", "No", "Id"] + [""] * 7])
    runner = CliRunner()
    result = runner.invoke(
        main, ["--data-dir", str(tmp_path / "data"), "import", "HubSpot", str(export)]
    )
    assert result.exit_code == 0, result.output
    assert "imported 3 contact(s) from a hubspot export (utf-8)" in result.output
    assert "Record ID -> contact_id" in result.output
    assert "1 row(s) have no Record ID" in result.output
    assert (tmp_path / "data" / "landing" / "contacts" / "hubspot-export.csv").is_file()
    bad = runner.invoke(main, ["--data-dir", str(tmp_path / "data"), "import", "csv", str(export)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output
    assert "no contact id column" in bad.output
