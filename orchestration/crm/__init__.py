"""CRM export: changed scores written back to HubSpot and Salesforce, and to a CSV outbox.

Only what changed since the target last accepted it is sent (ops.export_ledger), batch by
batch, so nothing is lost or sent twice; tokens come from the environment and are never
logged or stored. See docs/crm.md.
"""

from ..config import CrmConfigError
from .common import CrmError
from .export import run_crm_exports
from .hubspot import setup_hubspot_properties
from .ledger import LEDGER_TABLE, ensure_export_ledger
from .outbox import OUTBOX_FILE
from .policy import ExportPolicy, policy_from_env
from .summary import ExportSummary, TargetSummary

__all__ = [
    "LEDGER_TABLE",
    "OUTBOX_FILE",
    "CrmConfigError",
    "CrmError",
    "ExportPolicy",
    "ExportSummary",
    "TargetSummary",
    "ensure_export_ledger",
    "policy_from_env",
    "run_crm_exports",
    "setup_hubspot_properties",
]
