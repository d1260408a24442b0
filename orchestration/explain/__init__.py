"""`leadscore explain`: every rule, decay row, cap, feedback and stage step behind a score."""

from .query import ExplainError, explain_contact
from .render import render_explanation, to_json
from .replay import build_as_of, open_build

__all__ = [
    "ExplainError",
    "build_as_of",
    "explain_contact",
    "open_build",
    "render_explanation",
    "to_json",
]
