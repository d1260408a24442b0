"""HubSpot: CRM v3 contacts batch update, and the custom contact properties it writes."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from ..config import SEEDS_DIR, CrmConfigError, EnvVar, HubSpotConfig, hubspot_config
from ..contracts import model_column_types
from ..delivery import DeliveryError, HttpClient, Scrubber, error_text
from .common import (
    ACCEPTED,
    BatchRejected,
    BatchResult,
    CrmError,
    ExportItem,
    ItemOutcome,
    TargetAborted,
    batch_failure,
    truncate,
)
from .mapping import DEFAULT_FIELD_MAP, HUBSPOT, LIFECYCLE_COLUMN, FieldMapping, read_field_map_csv
from .policy import ExportPolicy, policy_from_env
from .sql_values import value_kind

BATCH_UPDATE_PATH = "/crm/v3/objects/contacts/batch/update"
PROPERTIES_PATH = "/crm/v3/properties/contacts"
GROUPS_PATH = "/crm/v3/properties/contacts/groups"
MAX_BATCH = 100
PROPERTY_GROUP = "leadscore"
PROPERTY_GROUP_LABEL = "Lead scoring (leadscore)"
BUILT_IN_LIFECYCLE = "lifecyclestage"

log = logging.getLogger(__name__)


def hubspot_client(
    config: HubSpotConfig,
    policy: ExportPolicy,
    logger: logging.Logger,
    scrub: Scrubber | None = None,
) -> HttpClient:
    return HttpClient(
        "HubSpot", policy, logger, base_url=config.base_url, token=config.token, scrub=scrub
    )


def _norm(key: Any) -> str:
    return str(key).strip().lower()


def batch_outcomes(keys: Sequence[str], status: int, body: Any) -> list[ItemOutcome]:
    """Per input, whether HubSpot accepted it, from a 200/207 batch-update answer.

    Errors name the inputs they concern in `context.ids` (the ids or e-mails sent). An input is
    accepted when it is named in `results` (by id or e-mail property), or when every error was
    attributed to other inputs and the results account for all the rest. Anything HubSpot did
    not confirm counts as failed: it is sent again next run rather than silently lost.
    """
    body = body if isinstance(body, dict) else {}
    failed: dict[str, str] = {}
    unattributed: list[str] = []
    for error in body.get("errors") or []:
        if not isinstance(error, dict):
            continue
        message = truncate(
            f"{error.get('category') or error.get('status') or 'error'}: "
            f"{error.get('message') or 'no message'}"
        )
        context = error.get("context") if isinstance(error.get("context"), dict) else {}
        ids = context.get("ids") or context.get("id") or []
        ids = [ids] if isinstance(ids, str) else ids
        if ids:
            for key in ids:
                failed.setdefault(_norm(key), message)
        else:
            unattributed.append(message)
    results = [r for r in body.get("results") or [] if isinstance(r, dict)]
    confirmed: set[str] = set()
    for result in results:
        if result.get("id") is not None:
            confirmed.add(_norm(result["id"]))
        properties = result.get("properties") if isinstance(result.get("properties"), dict) else {}
        if properties.get("email"):
            confirmed.add(_norm(properties["email"]))
    remaining = sum(1 for key in keys if _norm(key) not in failed)
    by_count = not unattributed and (status == 200 or len(results) >= remaining)
    outcomes = []
    for key in keys:
        norm = _norm(key)
        if norm in failed:
            outcomes.append(ItemOutcome(False, failed[norm]))
        elif norm in confirmed or by_count:
            outcomes.append(ACCEPTED)
        else:
            reason = "; ".join(unattributed) or "no result for this record"
            outcomes.append(ItemOutcome(False, truncate(f"not confirmed by HubSpot: {reason}")))
    return outcomes


class HubSpotSender:
    """Sends batches of contact updates; matched by record id, else by e-mail."""

    target = HUBSPOT

    def __init__(
        self,
        config: HubSpotConfig,
        policy: ExportPolicy,
        logger: logging.Logger,
        scrub: Scrubber | None = None,
    ):
        self.batch_size = max(1, min(policy.hubspot_batch_size, MAX_BATCH))
        self.client = hubspot_client(config, policy, logger, scrub)

    def close(self) -> None:
        self.client.close()

    def batch_key(self, item: ExportItem) -> object:
        # The two kinds go to separate batches (the issue: "a separate batch" for e-mails).
        return (item.key_kind, _norm(item.record_key))

    def batch_group(self, item: ExportItem) -> str:
        return item.key_kind

    def send(self, batch: list[ExportItem]) -> BatchResult:
        inputs = []
        for item in batch:
            entry: dict[str, Any] = {"id": item.record_key, "properties": item.values}
            if item.key_kind == "email":
                entry["idProperty"] = "email"
            inputs.append(entry)
        try:
            response, tries = self.client.request("POST", BATCH_UPDATE_PATH, {"inputs": inputs})
        except DeliveryError as exc:
            raise batch_failure(exc) from None
        status = response.status_code
        if status in (401, 403):
            raise TargetAborted(_auth_message(response, self.client.scrub), tries)
        if status == 204:
            return BatchResult([ACCEPTED] * len(batch), tries)
        if status not in (200, 207):
            raise BatchRejected(
                self.client.scrub(
                    f"HubSpot refused the batch (HTTP {status}): {error_text(response)}"
                ),
                tries,
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        keys = [str(item.record_key) for item in batch]
        outcomes = [
            ItemOutcome(o.accepted, self.client.scrub(o.error) if o.error else None)
            for o in batch_outcomes(keys, status, body)
        ]
        return BatchResult(outcomes, tries)


def _auth_message(response: httpx.Response, scrub: Scrubber, *, setup: bool = False) -> str:
    if response.status_code == 401:
        hint = f"check {EnvVar.HUBSPOT_ACCESS_TOKEN} (a private app's access token)"
    else:
        scope = "crm.schemas.contacts.write" if setup else "crm.objects.contacts.write"
        hint = f"the private app may lack the scope {scope}"
    return scrub(
        f"HubSpot refused the request (HTTP {response.status_code}): {error_text(response)}; {hint}"
    )


# --- setup: custom contact properties -------------------------------------------------------

_LONG_TEXT_COLUMNS = frozenset({"top_reasons", "stage_reason", "exclusion_reason"})


def property_definition(mapping: FieldMapping) -> dict[str, Any]:
    """The HubSpot property (type, fieldType, group, label) for one mapped score column.

    The type follows the column's `data_type` in marts/contact_scores.yml.
    """
    column = mapping.score_column
    definition: dict[str, Any] = {
        "name": mapping.crm_field,
        "label": f"Leadscore {mapping.model_id}: {column.replace('_', ' ')}",
        "description": (
            f"Written by leadscore from marts.contact_scores.{column} (model {mapping.model_id})."
        ),
        "groupName": PROPERTY_GROUP,
    }
    kind = value_kind(model_column_types("contact_scores").get(column, ""))
    if kind in ("int", "decimal", "float"):
        definition.update(type="number", fieldType="number")
    elif kind in ("timestamp", "timestamptz"):
        definition.update(type="datetime", fieldType="date")
    elif kind == "bool":
        definition.update(
            type="bool",
            fieldType="booleancheckbox",
            options=[
                {"label": "Yes", "value": "true", "displayOrder": 0},
                {"label": "No", "value": "false", "displayOrder": 1},
            ],
        )
    elif column in _LONG_TEXT_COLUMNS:
        definition.update(type="string", fieldType="textarea")
    else:
        definition.update(type="string", fieldType="text")
    return definition


def _json_results(response: httpx.Response, what: str, scrub: Scrubber) -> list[dict[str, Any]]:
    if response.status_code in (401, 403):
        raise CrmError(_auth_message(response, scrub, setup=True))
    if response.status_code != 200:
        raise CrmError(
            scrub(
                f"HubSpot refused to list {what} (HTTP {response.status_code}): "
                f"{error_text(response)}"
            )
        )
    try:
        results = response.json().get("results") or []
    except (ValueError, AttributeError):
        raise CrmError(f"HubSpot answered an unreadable list of {what}") from None
    return [r for r in results if isinstance(r, dict)]


def _request(client: HttpClient, method: str, path: str, body: Any = None) -> httpx.Response:
    try:
        response, _ = client.request(method, path, body)
    except DeliveryError as exc:
        raise CrmError(exc.describe()) from None
    return response


def _create(client: HttpClient, path: str, body: dict[str, Any], what: str) -> bool:
    """POST one definition; True when created, False when it already existed (409)."""
    response = _request(client, "POST", path, body)
    if response.status_code in (200, 201):
        return True
    if response.status_code == 409:
        return False
    if response.status_code in (401, 403):
        raise CrmError(_auth_message(response, client.scrub, setup=True))
    raise CrmError(
        client.scrub(
            f"HubSpot refused to create {what} (HTTP {response.status_code}): "
            f"{error_text(response)}"
        )
    )


def setup_properties(
    config: HubSpotConfig,
    field_map: Iterable[FieldMapping],
    policy: ExportPolicy,
    logger: logging.Logger | None = None,
) -> list[str]:
    """Create the `leadscore` property group and every mapped property that is missing."""
    logger = logger or log
    wanted: dict[str, FieldMapping] = {}
    for mapping in field_map:
        if mapping.target != HUBSPOT:
            continue
        if mapping.score_column == LIFECYCLE_COLUMN:
            if mapping.crm_field.lower() != BUILT_IN_LIFECYCLE:
                logger.warning(
                    "HubSpot field %s (lifecycle stage) is not created: lifecycle values are "
                    "HubSpot's own; map lifecycle_stage to %s",
                    mapping.crm_field,
                    BUILT_IN_LIFECYCLE,
                )
            continue
        wanted.setdefault(mapping.crm_field.lower(), mapping)
    created: list[str] = []
    with hubspot_client(config, policy, logger) as client:
        response = _request(client, "GET", PROPERTIES_PATH)
        existing = {
            str(p.get("name", "")).lower()
            for p in _json_results(response, "contact properties", client.scrub)
        }
        missing = [m for name, m in wanted.items() if name not in existing]
        if not missing:
            return created
        response = _request(client, "GET", GROUPS_PATH)
        groups = {
            str(g.get("name", "")).lower()
            for g in _json_results(response, "property groups", client.scrub)
        }
        if PROPERTY_GROUP not in groups:
            _create(
                client,
                GROUPS_PATH,
                {"name": PROPERTY_GROUP, "label": PROPERTY_GROUP_LABEL, "displayOrder": -1},
                f"the property group {PROPERTY_GROUP}",
            )
            logger.info("HubSpot property group %s created", PROPERTY_GROUP)
        for mapping in missing:
            definition = property_definition(mapping)
            if _create(client, PROPERTIES_PATH, definition, f"property {mapping.crm_field}"):
                created.append(mapping.crm_field)
                logger.info("HubSpot contact property %s created", mapping.crm_field)
    return created


def setup_hubspot_properties(
    env: Mapping[str, str] | None = None,
    *,
    field_map: Iterable[FieldMapping] | None = None,
    policy: ExportPolicy | None = None,
    log: logging.Logger | None = None,
) -> list[str]:
    """Create the custom contact properties the field map writes; returns the names created.

    Reads HUBSPOT_ACCESS_TOKEN / HUBSPOT_BASE_URL from `env` (default the environment) and the
    field map from seeds/crm_field_map.csv unless given. Existing properties are left alone.
    """
    config = hubspot_config(env)
    if config is None:
        raise CrmConfigError(f"{EnvVar.HUBSPOT_ACCESS_TOKEN} is not set")
    if field_map is None:
        field_map = read_field_map_csv(SEEDS_DIR / "crm_field_map.csv") or list(DEFAULT_FIELD_MAP)
    return setup_properties(config, field_map, policy or policy_from_env(env), log)
