"""Local stand-ins for the HubSpot and Salesforce APIs, and a CRM-ready build database.

Each fake is an `http.server` in a thread on 127.0.0.1 (ephemeral port) implementing the
documented request and response shapes the exporter relies on:

- HubSpot CRM v3: `POST /crm/v3/objects/contacts/batch/update` (<= 100 inputs, by id or by
  `idProperty=email`; 200 when all succeed, 207 with `errors[].context.ids` otherwise),
  `GET/POST /crm/v3/properties/contacts` and `GET/POST /crm/v3/properties/contacts/groups`.
- Salesforce: `PATCH /services/data/v61.0/composite/sobjects` (<= 200 records, `allOrNone`,
  a list of SaveResults `{id, success, errors: [{statusCode, message, fields}]}` in order).

Both check `Authorization: Bearer <token>` (401 otherwise) and accept injected faults (429 with
Retry-After, 5xx, no answer, slow answers to requests they still carry out) for the next
requests.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

SEED_FIELD_MAP = Path(__file__).resolve().parents[2] / "seeds" / "crm_field_map.csv"


@dataclass
class RecordedRequest:
    method: str
    path: str
    body: Any
    authorized: bool


@dataclass
class Fault:
    status: int | None = None
    retry_after: str | None = None
    delay: float = 0.0
    body: Any = None
    path: str | None = None
    process: bool = False


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply = self.server.fake.dispatch(
            self.command, self.path, self.headers.get("Authorization"), raw
        )
        if reply is None:  # a slow answer the client gave up on
            return
        payload = b"" if reply.body is None else json.dumps(reply.body).encode("utf-8")
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer


class FakeServer:
    """A JSON API on 127.0.0.1 with bearer-token auth, a request log and injectable faults."""

    def __init__(self, token: str):
        self.token = token
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self.lock = threading.RLock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(
        self,
        status: int | None = None,
        *,
        retry_after: str | None = None,
        delay: float = 0.0,
        body: Any = None,
        path: str | None = None,
        times: int = 1,
        process: bool = False,
    ) -> None:
        """Answer the next `times` authorized requests (to `path`, if given) with a fault.

        `delay` alone: no answer after that long (the request is not carried out). With
        `process`: carried out and answered as usual, only `delay` late (a slow server, or one
        whose answer arrives after the client gave up).
        """
        with self.lock:
            for _ in range(times):
                self.faults.append(Fault(status, retry_after, delay, body, path, process))

    def calls(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def unauthorized(self, presented: str | None) -> Reply:
        raise NotImplementedError

    def route(self, method: str, path: str, body: Any) -> Reply:
        raise NotImplementedError

    def default_fault_body(self, status: int) -> Any:
        return {"status": "error", "message": f"HTTP {status}"}

    def dispatch(
        self, method: str, raw_path: str, authorization: str | None, raw: bytes
    ) -> Reply | None:
        path = urlsplit(raw_path).path
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        authorized = authorization == f"Bearer {self.token}"
        with self.lock:
            self.requests.append(RecordedRequest(method, path, body, authorized))
            if not authorized:
                return self.unauthorized(authorization)
            fault = next((f for f in self.faults if f.path in (None, path)), None)
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None and fault.process:
            time.sleep(fault.delay)
        elif fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
                if fault.status is None:
                    return None
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            status = fault.status or 500
            return Reply(status, fault.body or self.default_fault_body(status), headers)
        with self.lock:
            try:
                return self.route(method, path, body)
            except Exception as exc:  # a bug in the fake: make it visible
                return Reply(500, {"status": "error", "message": f"fake server bug: {exc!r}"})


# --- HubSpot --------------------------------------------------------------------------------

HUBSPOT_BUILT_IN = ("email", "firstname", "lastname", "lifecyclestage", "hs_object_id")
LIFECYCLE_OPTIONS = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
_NOW = "2026-11-01T00:00:00.000Z"


class FakeHubSpot(FakeServer):
    """Contacts by record id (with an e-mail each), contact properties and property groups."""

    MAX_INPUTS = 100

    def __init__(
        self,
        token: str,
        contacts: Mapping[str, str | None] | None = None,
        *,
        properties: Iterable[str] = (),
        strict_properties: bool = True,
    ):
        super().__init__(token)
        self.contacts: dict[str, dict[str, Any]] = {
            record_id: {"email": email} for record_id, email in (contacts or {}).items()
        }
        self.properties: dict[str, dict[str, Any]] = {
            name: {"name": name, "type": "string", "fieldType": "text", "groupName": "contactinfo"}
            for name in (*HUBSPOT_BUILT_IN, *properties)
        }
        self.properties["lifecyclestage"].update(type="enumeration", fieldType="select")
        self.groups: dict[str, dict[str, Any]] = {
            "contactinformation": {"name": "contactinformation", "label": "Contact information"}
        }
        self.strict_properties = strict_properties
        self.failing: set[str] = set()
        """Record ids or e-mails whose updates fail with a per-record error."""
        self.updates: list[tuple[str, dict[str, Any]]] = []
        """(record id, properties) of every accepted input, in order."""

    def unauthorized(self, presented: str | None) -> Reply:
        # A careless API could echo what it was sent: the exporter must scrub it.
        return Reply(
            401,
            {
                "status": "error",
                "message": f"Authentication credentials not found: {presented!s} is invalid",
                "category": "INVALID_AUTHENTICATION",
            },
        )

    def default_fault_body(self, status: int) -> Any:
        if status == 429:
            return {
                "status": "error",
                "message": "You have reached your ten_secondly_rolling limit.",
                "errorType": "RATE_LIMIT",
                "policyName": "TEN_SECONDLY_ROLLING",
            }
        return {"status": "error", "message": "internal error", "category": "INTERNAL_ERROR"}

    def add_contact(self, record_id: str, email: str | None = None) -> None:
        with self.lock:
            self.contacts[record_id] = {"email": email}

    def updated_ids(self) -> list[str]:
        with self.lock:
            return [record_id for record_id, _ in self.updates]

    @staticmethod
    def _error(status: int, message: str, category: str = "VALIDATION_ERROR") -> Reply:
        return Reply(status, {"status": "error", "message": message, "category": category})

    def route(self, method: str, path: str, body: Any) -> Reply:
        if (method, path) == ("POST", "/crm/v3/objects/contacts/batch/update"):
            return self._batch_update(body)
        if path == "/crm/v3/properties/contacts":
            if method == "GET":
                return Reply(200, {"results": list(self.properties.values())})
            if method == "POST":
                return self._create_property(body)
        if path == "/crm/v3/properties/contacts/groups":
            if method == "GET":
                return Reply(200, {"results": list(self.groups.values())})
            if method == "POST":
                return self._create_group(body)
        return self._error(404, f"no route {method} {path}", "OBJECT_NOT_FOUND")

    def _create_group(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not body.get("name") or not body.get("label"):
            return self._error(400, "name and label are required")
        if body["name"] in self.groups:
            return self._error(409, f"group {body['name']} exists", "OBJECT_ALREADY_EXISTS")
        group = {"name": body["name"], "label": body["label"], "archived": False}
        group["displayOrder"] = body.get("displayOrder", -1)
        self.groups[body["name"]] = group
        return Reply(201, group)

    def _create_property(self, body: Any) -> Reply:
        required = ("name", "label", "type", "fieldType", "groupName")
        if not isinstance(body, dict) or any(not body.get(k) for k in required):
            return self._error(400, f"a property needs {', '.join(required)}")
        name = body["name"]
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            return self._error(400, f"invalid property name {name!r}")
        if name in self.properties:
            return self._error(409, f"Property named '{name}' already exists.", "CONFLICT")
        if body["groupName"] not in self.groups:
            return self._error(400, f"property group {body['groupName']} does not exist")
        types = {"number": "number", "string": "text|textarea", "datetime": "date", "bool": ""}
        if body["type"] not in types:
            return self._error(400, f"invalid type {body['type']}")
        if body["type"] == "bool" and not body.get("options"):
            return self._error(400, "a bool property needs options")
        self.properties[name] = dict(body)
        return Reply(201, {**body, "createdAt": _NOW, "updatedAt": _NOW})

    def _invalid_property(self, name: str, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"property {name}: values must be strings"
        definition = self.properties.get(name)
        if definition is None:
            return f'Property "{name}" does not exist' if self.strict_properties else None
        if value == "":
            return None
        if definition.get("type") == "number":
            try:
                float(value)
            except ValueError:
                return f"{value!r} is not a valid number for {name}"
        if name == "lifecyclestage" and value not in LIFECYCLE_OPTIONS:
            return f"{value!r} was not one of the allowed options for lifecyclestage"
        return None

    def _batch_update(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
            return self._error(400, "Invalid input JSON: inputs is required")
        inputs = body["inputs"]
        if len(inputs) > self.MAX_INPUTS:
            return self._error(400, f"Batch size {len(inputs)} exceeds the limit of 100 inputs")
        id_properties = {i.get("idProperty") for i in inputs if isinstance(i, dict)}
        if len(id_properties) > 1:
            return self._error(400, "all inputs of a batch must use the same idProperty")
        ids = [str(i.get("id")).lower() for i in inputs if isinstance(i, dict)]
        if len(ids) != len(set(ids)):
            return self._error(400, "Duplicate IDs found in batch input")
        problems = []
        for entry in inputs:
            properties = entry.get("properties") if isinstance(entry, dict) else None
            if not isinstance(properties, dict) or entry.get("id") in (None, ""):
                return self._error(400, "each input needs an id and properties")
            problems += [
                p for n, v in properties.items() if (p := self._invalid_property(n, v)) is not None
            ]
        if problems:
            return self._error(400, "Property values were not valid: " + "; ".join(problems))
        by_email = {
            str(c.get("email")).lower(): record_id
            for record_id, c in self.contacts.items()
            if c.get("email")
        }
        results, missing, refused = [], [], []
        for entry in inputs:
            key = str(entry["id"])
            if entry.get("idProperty") == "email":
                record_id = by_email.get(key.lower())
            elif entry.get("idProperty") in (None, "hs_object_id"):
                record_id = key if key in self.contacts else None
            else:
                return self._error(400, f"unsupported idProperty {entry['idProperty']}")
            if record_id is None:
                missing.append(key)
                continue
            if key.lower() in self.failing or record_id in self.failing:
                refused.append(key)
                continue
            self.contacts[record_id].update(entry["properties"])
            self.updates.append((record_id, dict(entry["properties"])))
            results.append(
                {
                    "id": record_id,
                    "properties": {**entry["properties"], "hs_object_id": record_id},
                    "createdAt": _NOW,
                    "updatedAt": _NOW,
                    "archived": False,
                }
            )
        errors = []
        if missing:
            errors.append(
                {
                    "status": "error",
                    "category": "OBJECT_NOT_FOUND",
                    "message": "Could not get some CONTACT objects, they may be deleted or "
                    "not exist. Check that ids are valid.",
                    "context": {"ids": missing},
                }
            )
        if refused:
            errors.append(
                {
                    "status": "error",
                    "category": "VALIDATION_ERROR",
                    "message": "The record is locked by a workflow",
                    "context": {"ids": refused},
                }
            )
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": _NOW,
            "completedAt": _NOW,
        }
        if errors:
            answer.update(errors=errors, numErrors=len(missing) + len(refused))
            return Reply(207, answer)
        return Reply(200, answer)


# --- Salesforce -----------------------------------------------------------------------------


class FakeSalesforce(FakeServer):
    """Lead (or Contact) records by id, updated through sObject Collections."""

    MAX_RECORDS = 200

    def __init__(
        self,
        token: str,
        records: Iterable[str] = (),
        *,
        sobject: str = "Lead",
        fields: Iterable[str] | None = None,
        api_version: str = "v61.0",
    ):
        super().__init__(token)
        self.sobject = sobject
        self.api_version = api_version
        self.records: dict[str, dict[str, Any]] = {record_id: {} for record_id in records}
        self.fields = set(fields) if fields is not None else None
        self.failing: set[str] = set()
        self.updates: list[tuple[str, dict[str, Any]]] = []

    @property
    def path(self) -> str:
        return f"/services/data/{self.api_version}/composite/sobjects"

    def unauthorized(self, presented: str | None) -> Reply:
        return Reply(
            401,
            [
                {
                    "message": f"Session expired or invalid ({presented})",
                    "errorCode": "INVALID_SESSION_ID",
                }
            ],
        )

    def default_fault_body(self, status: int) -> Any:
        if status == 429:
            return [{"message": "too many requests", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        return [{"message": "service unavailable", "errorCode": "SERVER_UNAVAILABLE"}]

    def updated_ids(self) -> list[str]:
        with self.lock:
            return [record_id for record_id, _ in self.updates]

    def route(self, method: str, path: str, body: Any) -> Reply:
        if path != self.path:
            return Reply(404, [{"errorCode": "NOT_FOUND", "message": "resource does not exist"}])
        if method != "PATCH":
            return Reply(405, [{"errorCode": "METHOD_NOT_ALLOWED", "message": method}])
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            return Reply(400, [{"errorCode": "JSON_PARSER_ERROR", "message": "records required"}])
        records = body["records"]
        if len(records) > self.MAX_RECORDS:
            return Reply(
                400,
                [
                    {
                        "message": "record limit reached. cannot submit more than 200 records "
                        "into this call",
                        "errorCode": "EXCEEDED_ID_LIMIT",
                    }
                ],
            )
        if self.fields is not None:
            for record in records:
                for name in record:
                    if name not in ("attributes", "id") and name not in self.fields:
                        return Reply(
                            400,
                            [
                                {
                                    "message": f"No such column '{name}' on sobject of type "
                                    f"{self.sobject}",
                                    "errorCode": "INVALID_FIELD",
                                }
                            ],
                        )
        results: list[dict[str, Any]] = []
        staged: list[tuple[str, dict[str, Any]]] = []
        for record in records:
            record_id = record.get("id") if isinstance(record, dict) else None
            attributes = record.get("attributes") if isinstance(record, dict) else None
            error = None
            if not isinstance(attributes, dict) or attributes.get("type") != self.sobject:
                error = ("INVALID_TYPE", f"attributes.type must be {self.sobject}", [])
            elif not record_id:
                error = ("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            elif record_id not in self.records:
                error = ("ENTITY_IS_DELETED", "entity is deleted", [])
            elif record_id in self.failing:
                fields = [n for n in record if n not in ("attributes", "id")][:1]
                error = ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Score locked by a rule", fields)
            if error:
                code, message, fields = error
                results.append(
                    {
                        "id": record_id,
                        "success": False,
                        "errors": [{"statusCode": code, "message": message, "fields": fields}],
                    }
                )
            else:
                values = {n: v for n, v in record.items() if n not in ("attributes", "id")}
                staged.append((record_id, values))
                results.append({"id": record_id, "success": True, "errors": []})
        if body.get("allOrNone") and any(not r["success"] for r in results):
            rolled_back = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid",
                "fields": [],
            }
            return Reply(
                200,
                [
                    r
                    if not r["success"]
                    else {"id": r["id"], "success": False, "errors": [rolled_back]}
                    for r in results
                ],
            )
        for record_id, values in staged:
            self.records[record_id].update(values)
            self.updates.append((record_id, values))
        return Reply(200, results)


# --- a build database with the tables the exporter reads ------------------------------------


def seed_field_map_rows(path: Path = SEED_FIELD_MAP) -> list[tuple[str, str, str, str]]:
    """The shipped seed as staging.stg_crm_field_map holds it (normalized)."""
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return [
            (
                row["model_id"].strip().lower(),
                row["target"].strip().lower(),
                row["score_column"].strip().lower(),
                row["crm_field"].strip(),
            )
            for row in csv.DictReader(handle)
        ]


def build_crm_database(
    path: Path,
    contacts: Sequence[Mapping[str, Any]],
    scores: Sequence[Mapping[str, Any]],
    field_map: Sequence[tuple[str, str, str, str]] | None = None,
) -> Path:
    """marts.contact_scores, marts.contacts and staging.stg_crm_field_map as plain tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute(
            """
            create or replace table marts.contacts (
                contact_id varchar, email varchar, first_name varchar,
                hubspot_id varchar, salesforce_id varchar
            )
            """
        )
        con.execute(
            """
            create or replace table marts.contact_scores (
                model_id varchar, contact_id varchar,
                fit_score decimal(18, 2), engagement_score decimal(18, 2),
                total_score decimal(18, 2),
                fit_band varchar, engagement_band varchar, total_band varchar,
                matrix_label varchar, stage varchar, stage_rank integer,
                is_excluded boolean, exclusion_reason varchar, top_reasons varchar,
                last_activity_at timestamp, as_of timestamp
            )
            """
        )
        con.execute(
            """
            create or replace table staging.stg_crm_field_map (
                model_id varchar, crm_target varchar, score_column varchar, crm_field varchar
            )
            """
        )
        _insert(
            con,
            "marts.contacts",
            [
                (
                    c["contact_id"],
                    c.get("email"),
                    c.get("first_name"),
                    c.get("hubspot_id"),
                    c.get("salesforce_id"),
                )
                for c in contacts
            ],
        )
        _insert(con, "marts.contact_scores", [_score_row(s) for s in scores])
        _insert(
            con,
            "staging.stg_crm_field_map",
            seed_field_map_rows() if field_map is None else field_map,
        )
    return path


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """All rows in one statement (executemany is slow in DuckDB)."""
    if not rows:
        return
    width = len(rows[0])
    placeholders = ", ".join(["(" + ", ".join(["?"] * width) + ")"] * len(rows))
    con.execute(
        f"insert into {table} values {placeholders}", [value for row in rows for value in row]
    )


def _score_row(score: Mapping[str, Any]) -> list[Any]:
    total = Decimal(str(score.get("total_score", 0)))
    fit = Decimal(str(score.get("fit_score", total)))
    stage = score.get("stage", "lead")
    return [
        score.get("model_id", "lead"),
        score["contact_id"],
        fit,
        Decimal(str(score.get("engagement_score", total - fit))),
        total,
        score.get("fit_band", "A"),
        score.get("engagement_band", "1"),
        score.get("total_band", "hot" if total >= 50 else "cold"),
        score.get("matrix_label", "A1"),
        stage,
        score.get("stage_rank", {"lead": 0, "mql": 1, "sql": 2}.get(stage, 0)),
        bool(score.get("is_excluded", False)),
        score.get("exclusion_reason"),
        score.get("top_reasons", "demo_request +50"),
        score.get("last_activity_at", datetime(2026, 10, 30, 12, 0)),
        score.get("as_of", datetime(2026, 11, 1)),
    ]
