"""Check the analyst-edited scoring seeds (`seeds/*.csv`); report every problem by file and line."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .vocabulary import ALERT_CHANNELS, FEEDBACK_KINDS, trim

# --- the contract's vocabulary -------------------------------------------------------------------

SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "scoring_models": (
        "model_id",
        "name",
        "description",
        "base_stage",
        "stage_policy",
        "segment_property",
        "population_property",
        "population_operator",
        "population_value",
        "fit_cap",
        "engagement_cap",
        "total_cap",
        "enabled",
    ),
    "scoring_rules": (
        "model_id",
        "rule_id",
        "score_group",
        "description",
        "points",
        "points_mode",
        "max_points",
        "enabled",
    ),
    "rule_conditions": (
        "rule_id",
        "subject",
        "field",
        "operator",
        "value",
        "window_days",
        "min_count",
        "max_count",
    ),
    "score_decay": (
        "model_id",
        "decay_id",
        "kind",
        "activity_type",
        "days",
        "points",
        "percent",
        "description",
    ),
    "score_thresholds": (
        "model_id",
        "segment",
        "stage",
        "stage_rank",
        "score",
        "min_score",
        "required_rule_id",
    ),
    "score_bands": ("model_id", "score", "band", "min_score", "max_score"),
    "stage_exclusions": ("model_id", "exclusion_id", "property", "operator", "value", "reason"),
    "feedback_rules": ("model_id", "feedback", "points", "max_stage", "stage_override"),
    "alert_routes": ("model_id", "to_stage", "channel", "destination"),
    "crm_field_map": ("model_id", "target", "score_column", "crm_field"),
}
"""Every seed and its required columns, in the contract's order (extra columns are allowed)."""

OPTIONAL_SEEDS = frozenset({"alert_routes", "crm_field_map"})
"""Seeds that may be absent; every other seed in `SEED_COLUMNS` must exist."""

PROPERTY_OPERATORS = (
    "eq",
    "neq",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "regex",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "is_set",
    "is_not_set",
)
ACTIVITY_OPERATORS = (*PROPERTY_OPERATORS, "any")
NUMERIC_OPERATORS = frozenset({"gt", "gte", "lt", "lte"})
LIST_OPERATORS = frozenset({"in", "not_in"})
VALUELESS_OPERATORS = frozenset({"is_set", "is_not_set", "any"})

SUBJECTS = ("property", "activity")
SCORE_GROUPS = ("fit", "engagement")
POINTS_MODES = ("once", "per_occurrence")
DECAY_KINDS = ("half_life", "step", "inactivity", "unopened_email")
SCORES = ("total", "fit", "engagement")
STAGE_POLICIES = ("sticky", "follow_score")
CRM_TARGETS = ("hubspot", "salesforce")
CRM_SCORE_COLUMNS = (
    "fit_score",
    "engagement_raw",
    "decay_points",
    "engagement_score",
    "feedback_points",
    "total_score",
    "fit_band",
    "engagement_band",
    "total_band",
    "matrix_label",
    "stage",
    "stage_rank",
    "stage_reason",
    "is_excluded",
    "exclusion_reason",
    "top_reasons",
    "last_activity_at",
    "as_of",
    "lifecycle_stage",
)
"""`contact_scores` columns a CRM field can be fed from, plus `lifecycle_stage` (mapped stage)."""

ENABLED_VALUES = frozenset({"", "true", "false", "yes", "no", "1", "0"})
EXCLUDED_STAGE = "excluded"
UNQUALIFIED_STAGE = "unqualified"
DEFAULT_BASE_STAGE = "lead"
"""Defaults for blank cells (as the staging models apply them): base_stage `lead`, stage_policy
`follow_score`, points_mode `once`, threshold segment `*` and score `total`, activity operator
`any`, alert channel `log`."""

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_CRM_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def normalize(text: str | None) -> str:
    """A seed text value as compared: trimmed (spaces, tabs, CR/LF, U+3000) and lower-cased."""
    return clean(text).lower()


def clean(text: str | None) -> str:
    """A seed text value trimmed of spaces, tabs, CR/LF and the full-width space."""
    return trim(text)


# --- problems ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedProblem:
    """One mistake in a seed file: where it is (header = line 1) and what is wrong."""

    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


def format_problems(problems: Iterable[SeedProblem]) -> str:
    """One `file:line: column: message` line per problem (empty text when there are none)."""
    return "\n".join(str(problem) for problem in problems)


# --- loading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    file: str
    line: int
    values: dict[str, str]

    def text(self, column: str) -> str:
        """The trimmed value, original case."""
        return self.values.get(column, "")

    def key(self, column: str) -> str:
        """The trimmed, lower-cased value used for comparisons."""
        return self.values.get(column, "").lower()


@dataclass
class _Seed:
    name: str
    file: str
    rows: list[_Row]
    usable: bool
    """False when the file is missing, unreadable or lacks a required column."""


def base_stage(model: _Row) -> str:
    """A model's base stage, normalized (blank = `lead`)."""
    return model.key("base_stage") or DEFAULT_BASE_STAGE


def seed_label(name: str) -> str:
    return f"seeds/{name}.csv"


class _Validator:
    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = Path(seeds_dir)
        self.problems: list[SeedProblem] = []
        self.seeds: dict[str, _Seed] = {}

    # reporting

    def report(self, where: _Row | tuple[str, int], column: str, message: str) -> None:
        file, line = (where.file, where.line) if isinstance(where, _Row) else where
        self.problems.append(SeedProblem(file, line, column, message))

    # loading

    def load(self, name: str) -> _Seed:
        file = seed_label(name)
        path = self.seeds_dir / f"{name}.csv"
        required = SEED_COLUMNS[name]
        if not path.is_file():
            if name in OPTIONAL_SEEDS:
                return _Seed(name, file, [], usable=True)
            self.report((file, 1), "(file)", "required seed file is missing")
            return _Seed(name, file, [], usable=False)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.report((file, line), "(file)", "is not UTF-8 text; save the file as UTF-8 CSV")
            return _Seed(name, file, [], usable=False)

        reader = csv.reader(io.StringIO(text, newline=""))
        records: list[tuple[int, list[str]]] = []
        start = 1
        try:
            for record in reader:
                records.append((start, record))
                start = reader.line_num + 1
        except csv.Error as exc:
            self.report((file, start), "(file)", f"cannot be read as CSV: {exc}")
            return _Seed(name, file, [], usable=False)

        if not records or not any(clean(cell) for cell in records[0][1]):
            self.report(
                (file, 1), "(header)", f"the header row is missing; expected {', '.join(required)}"
            )
            return _Seed(name, file, [], usable=False)

        header = [normalize(cell) for cell in records[0][1]]
        usable = True
        seen: set[str] = set()
        for column in header:
            if column and column in seen:
                self.report((file, 1), column, "column appears twice in the header")
                usable = False
            seen.add(column)
        for column in required:
            if column not in seen:
                self.report(
                    (file, 1),
                    column,
                    f"required column is missing (expected columns: {', '.join(required)})",
                )
                usable = False
        if not usable:
            return _Seed(name, file, [], usable=False)

        rows: list[_Row] = []
        for line, record in records[1:]:
            if len(record) > len(header):
                self.report(
                    (file, line),
                    "(row)",
                    f"row has {len(record)} values but the header has {len(header)} columns "
                    "(a comma inside a value needs double quotes)",
                )
                continue
            values = {
                column: clean(cell)
                for column, cell in zip(header, record, strict=False)
                if column  # a blank header cell names no column
            }
            if not any(values.values()):
                self.report((file, line), "(row)", "row is empty; delete it")
                continue
            rows.append(_Row(file, line, values))
        return _Seed(name, file, rows, usable=True)

    # field checks (each returns the parsed value, or None after reporting a problem)

    def required(self, row: _Row, column: str, what: str = "") -> str | None:
        value = row.text(column)
        if not value:
            self.report(row, column, f"is required{what}")
            return None
        return value

    def choice(self, row: _Row, column: str, choices: Iterable[str], *, blank_ok: bool = False):
        choices = tuple(choices)
        value = row.key(column)
        if not value:
            if not blank_ok:
                self.report(row, column, f"is required; use one of: {', '.join(choices)}")
            return None
        if value not in choices:
            self.report(
                row, column, f"unknown value {row.text(column)!r}; use one of: {', '.join(choices)}"
            )
            return None
        return value

    def number(
        self,
        row: _Row,
        column: str,
        *,
        required: bool = False,
        integer: bool = False,
        minimum: float | None = None,
        positive: bool = False,
        maximum: float | None = None,
        why: str = "",
    ) -> float | None:
        text = row.text(column)
        kind = "a whole number" if integer else "a number"
        if not text:
            if required:
                self.report(row, column, f"is required{why}; expected {kind}")
            return None
        pattern = _INTEGER if integer else _NUMBER
        if not pattern.fullmatch(text):
            self.report(row, column, f"{text!r} is not {kind}")
            return None
        value = float(text)
        if not math.isfinite(value):
            self.report(row, column, f"{text!r} is not {kind}")
            return None
        if positive and value <= 0:
            self.report(row, column, f"must be greater than 0{why}, not {text}")
            return None
        if minimum is not None and value < minimum:
            self.report(row, column, f"must be {minimum:g} or more{why}, not {text}")
            return None
        if maximum is not None and value > maximum:
            self.report(row, column, f"must be {maximum:g} or less{why}, not {text}")
            return None
        return value

    def enabled(self, row: _Row) -> bool:
        value = row.key("enabled")
        if value not in ENABLED_VALUES:
            self.report(
                row,
                "enabled",
                f"unknown value {row.text('enabled')!r}; use true or false (blank = true)",
            )
            return True
        return value not in {"false", "no", "0"}

    def model_ref(self, row: _Row, models: dict[str, _Row] | None) -> str | None:
        model_id = self.required(row, "model_id")
        if model_id is None:
            return None
        key = model_id.lower()
        if models is None:  # scoring_models.csv is unusable: its own problem was reported
            return None
        if key not in models:
            self.report(
                row, "model_id", f"unknown model {model_id!r} (not in seeds/scoring_models.csv)"
            )
            return None
        return key

    def condition(
        self,
        row: _Row,
        *,
        operators: tuple[str, ...],
        operator_column: str = "operator",
        value_column: str = "value",
    ) -> None:
        """Check an operator and its value (conditions, exclusions, populations).

        A blank operator means `any` where `any` is allowed (activity conditions).
        """
        blank_ok = "any" in operators
        if row.key(operator_column) == "any" and not blank_ok:
            self.report(row, operator_column, "operator any only works for activity conditions")
            return
        operator = self.choice(row, operator_column, operators, blank_ok=blank_ok)
        if operator is None or operator in VALUELESS_OPERATORS:
            return
        value = row.text(value_column)
        if not value:
            self.report(row, value_column, f"is required for operator {operator}")
            return
        if operator in NUMERIC_OPERATORS:
            if not _NUMBER.fullmatch(value):
                self.report(
                    row, value_column, f"operator {operator} compares numbers; {value!r} is not one"
                )
        elif operator == "between":
            parts = [clean(part) for part in value.split("|")]
            if len(parts) != 2 or not all(_NUMBER.fullmatch(part) for part in parts):
                self.report(
                    row,
                    value_column,
                    f"operator between needs two numbers as low|high, e.g. 10|50; got {value!r}",
                )
            elif float(parts[0]) > float(parts[1]):
                self.report(
                    row, value_column, f"between {value!r}: the low bound is above the high bound"
                )
        elif operator in LIST_OPERATORS:
            if not any(clean(part) for part in value.split("|")):
                self.report(row, value_column, f"operator {operator} needs at least one value")
        elif operator == "regex":
            problem = regex_problem(value)
            if problem:
                self.report(row, value_column, problem)

    # --- the seeds ---------------------------------------------------------------------------

    def run(self) -> list[SeedProblem]:
        for name in SEED_COLUMNS:
            self.seeds[name] = self.load(name)

        models = self.check_models()
        rules = self.check_rules(models)
        self.check_conditions(rules)
        self.check_decay(models)
        stages = self.check_thresholds(models, rules)
        self.check_bands(models)
        self.check_exclusions(models)
        self.check_feedback(models, stages)
        self.check_alert_routes(models, stages)
        self.check_crm_field_map(models)
        return sorted(self.problems, key=lambda p: (p.file, p.line))

    def rows(self, name: str) -> list[_Row]:
        return self.seeds[name].rows

    def check_models(self) -> dict[str, _Row] | None:
        """The models by normalized id, or None when scoring_models.csv is unusable."""
        seed = self.seeds["scoring_models"]
        models: dict[str, _Row] = {}
        for row in seed.rows:
            model_id = self.required(row, "model_id")
            if model_id is not None:
                key = model_id.lower()
                if key in models:
                    self.report(
                        row,
                        "model_id",
                        f"duplicate model_id {model_id!r} (first on line {models[key].line})",
                    )
                else:
                    models[key] = row
            if row.key("base_stage") == EXCLUDED_STAGE:
                self.report(row, "base_stage", "'excluded' is reserved for stage exclusions")
            self.choice(row, "stage_policy", STAGE_POLICIES, blank_ok=True)
            if row.text("population_property"):
                self.condition(
                    row,
                    operators=PROPERTY_OPERATORS,
                    operator_column="population_operator",
                    value_column="population_value",
                )
            else:
                for column in ("population_operator", "population_value"):
                    if row.text(column):
                        self.report(
                            row,
                            column,
                            "is set but population_property is blank "
                            "(blank population_property = every contact)",
                        )
            for column in ("fit_cap", "engagement_cap", "total_cap"):
                self.number(row, column, minimum=0, why=" (caps limit absolute values)")
            self.enabled(row)
        return models if seed.usable else None

    def check_rules(self, models: dict[str, _Row] | None) -> dict[str, tuple[str | None, _Row]]:
        """Rules by normalized id: (normalized model id, row)."""
        rules: dict[str, tuple[str | None, _Row]] = {}
        for row in self.rows("scoring_rules"):
            model = self.model_ref(row, models)
            rule_id = self.required(row, "rule_id")
            if rule_id is not None:
                key = rule_id.lower()
                if key in rules:
                    self.report(
                        row,
                        "rule_id",
                        f"duplicate rule_id {rule_id!r} (first on line {rules[key][1].line}); "
                        "rule ids are unique across the file",
                    )
                else:
                    rules[key] = (model, row)
            self.choice(row, "score_group", SCORE_GROUPS)
            self.number(row, "points", required=True)
            self.choice(row, "points_mode", POINTS_MODES, blank_ok=True)
            self.number(row, "max_points", minimum=0, why=" (it caps the absolute value)")
            self.enabled(row)
        return rules

    def check_conditions(self, rules: dict[str, tuple[str | None, _Row]]) -> None:
        seed = self.seeds["rule_conditions"]
        rules_usable = self.seeds["scoring_rules"].usable
        conditions: dict[str, list[str | None]] = {}
        for row in seed.rows:
            rule_id = self.required(row, "rule_id")
            subject = self.choice(row, "subject", SUBJECTS)
            if rule_id is not None:
                key = rule_id.lower()
                if key in rules:
                    conditions.setdefault(key, []).append(subject)
                elif rules_usable:
                    self.report(
                        row,
                        "rule_id",
                        f"unknown rule {rule_id!r} (not in seeds/scoring_rules.csv)",
                    )
            field = self.required(
                row,
                "field",
                " (a contact property, or an activity type / * for activity conditions)",
            )
            if subject == "property" and field == "*":
                self.report(
                    row, "field", "'*' (any activity type) only works for activity conditions"
                )
            if subject != "property":
                self.condition(row, operators=ACTIVITY_OPERATORS)
                self.number(row, "window_days", positive=True)
                low = self.number(row, "min_count", integer=True, minimum=0)
                high = self.number(row, "max_count", integer=True, minimum=0)
                if low is not None and high is not None and low > high:
                    self.report(
                        row,
                        "min_count",
                        f"min_count {low:g} is above max_count {high:g}; the condition never holds",
                    )
            else:
                self.condition(row, operators=PROPERTY_OPERATORS)
                for column in ("window_days", "min_count", "max_count"):
                    if row.text(column):
                        self.report(row, column, "only applies to activity conditions; leave blank")

        if not seed.usable:
            return
        for key, (_model, row) in rules.items():
            subjects = conditions.get(key, [])
            if not subjects:
                self.report(
                    row,
                    "rule_id",
                    f"rule {row.text('rule_id')!r} has no conditions in seeds/rule_conditions.csv",
                )
            elif row.key("points_mode") == "per_occurrence":
                activities = sum(1 for subject in subjects if subject == "activity")
                if activities != 1:
                    self.report(
                        row,
                        "points_mode",
                        "per_occurrence needs exactly one activity condition "
                        f"(rule has {activities})",
                    )

    def check_decay(self, models: dict[str, _Row] | None) -> None:
        seen: dict[tuple[str | None, str], _Row] = {}
        for row in self.rows("score_decay"):
            model = self.model_ref(row, models)
            decay_id = self.required(row, "decay_id")
            if decay_id is not None:
                key = (model or row.key("model_id"), decay_id.lower())
                if key in seen:
                    self.report(
                        row,
                        "decay_id",
                        f"duplicate decay_id {decay_id!r} for model {row.text('model_id')!r} "
                        f"(first on line {seen[key].line})",
                    )
                else:
                    seen[key] = row
            kind = self.choice(row, "kind", DECAY_KINDS)
            if kind in ("half_life", "step"):
                self.number(row, "days", required=True, positive=True, why=f" for {kind}")
                self.number(row, "points")
            elif kind in ("inactivity", "unopened_email"):
                self.number(row, "days", required=True, minimum=0, why=f" for {kind}")
                self.number(row, "points", required=True, why=f" for {kind}")
            else:
                self.number(row, "days", minimum=0)
                self.number(row, "points")
            self.number(
                row,
                "percent",
                required=kind == "step",
                minimum=0,
                maximum=100,
                why=" for step" if kind == "step" else "",
            )

    def check_thresholds(
        self,
        models: dict[str, _Row] | None,
        rules: dict[str, tuple[str | None, _Row]],
    ) -> dict[str, set[str]]:
        """Known stages per model: base_stage, threshold stages and `unqualified`."""
        stages: dict[str, set[str]] = {}
        for key, row in (models or {}).items():
            stages[key] = {base_stage(row), UNQUALIFIED_STAGE}
        seen: dict[tuple[str, str, str], _Row] = {}
        rank_of_stage: dict[tuple[str, str], tuple[int, _Row]] = {}
        stage_of_rank: dict[tuple[str, int], tuple[str, _Row]] = {}
        rules_usable = self.seeds["scoring_rules"].usable
        for row in self.rows("score_thresholds"):
            model = self.model_ref(row, models)
            model_key = model or row.key("model_id")
            segment = row.text("segment") or "*"
            stage = self.required(row, "stage")
            stage_key = stage.lower() if stage else None
            if stage_key == EXCLUDED_STAGE:
                self.report(row, "stage", "'excluded' is reserved for stage exclusions")
                stage_key = None
            elif stage_key and model and models and stage_key == base_stage(models[model]):
                self.report(
                    row,
                    "stage",
                    f"{stage!r} is the model's base_stage (rank 0); use another stage",
                )
                stage_key = None
            if model and stage_key:
                stages.setdefault(model, set()).add(stage_key)
            if stage_key:
                key = (model_key, segment.lower(), stage_key)
                if key in seen:
                    self.report(
                        row,
                        "stage",
                        f"duplicate threshold for model {row.text('model_id')!r}, segment "
                        f"{segment!r}, stage {stage!r} (first on line {seen[key].line})",
                    )
                else:
                    seen[key] = row
            if segment != "*" and model and models and not models[model].text("segment_property"):
                self.report(
                    row,
                    "segment",
                    f"model {row.text('model_id')!r} has no segment_property, so only * applies",
                )
            rank = self.number(
                row,
                "stage_rank",
                required=True,
                integer=True,
                minimum=1,
                why=" (base_stage has rank 0)",
            )
            if rank is not None and stage_key:
                rank_int = int(rank)
                previous = rank_of_stage.get((model_key, stage_key))
                if previous is None:
                    rank_of_stage[(model_key, stage_key)] = (rank_int, row)
                elif previous[0] != rank_int:
                    self.report(
                        row,
                        "stage_rank",
                        f"stage {stage!r} has rank {previous[0]} on line {previous[1].line}; "
                        "one stage keeps one rank",
                    )
                other = stage_of_rank.get((model_key, rank_int))
                if other is None:
                    stage_of_rank[(model_key, rank_int)] = (stage_key, row)
                elif other[0] != stage_key:
                    self.report(
                        row,
                        "stage_rank",
                        f"rank {rank_int} is already used by stage {other[0]!r} on line "
                        f"{other[1].line}; ranks must differ",
                    )
            min_score = self.number(row, "min_score")
            self.choice(row, "score", SCORES, blank_ok=True)
            required_rule = row.text("required_rule_id")
            if required_rule:
                found = rules.get(required_rule.lower())
                if found is None:
                    if rules_usable:
                        self.report(
                            row,
                            "required_rule_id",
                            f"unknown rule {required_rule!r} (not in seeds/scoring_rules.csv)",
                        )
                elif model and found[0] and found[0] != model:
                    self.report(
                        row,
                        "required_rule_id",
                        f"rule {required_rule!r} belongs to model {found[1].text('model_id')!r}, "
                        f"not {row.text('model_id')!r}",
                    )
                elif not self.enabled_quiet(found[1]):
                    self.report(
                        row,
                        "required_rule_id",
                        f"rule {required_rule!r} is disabled, so this stage is never reached",
                    )
            elif min_score is None and not row.text("min_score"):
                self.report(
                    row,
                    "min_score",
                    "neither min_score nor required_rule_id is set, so every contact qualifies",
                )
        return stages

    @staticmethod
    def enabled_quiet(row: _Row) -> bool:
        return row.key("enabled") not in {"false", "no", "0"}

    def check_bands(self, models: dict[str, _Row] | None) -> None:
        bands: dict[tuple[str, str], list[tuple[float, float, str, _Row]]] = {}
        names: dict[tuple[str, str, str], _Row] = {}
        for row in self.rows("score_bands"):
            model = self.model_ref(row, models)
            score = self.choice(row, "score", SCORES)
            band = self.required(row, "band")
            low = self.number(row, "min_score")
            high = self.number(row, "max_score")
            bad_number = (row.text("min_score") and low is None) or (
                row.text("max_score") and high is None
            )
            if low is not None and high is not None and low >= high:
                self.report(
                    row,
                    "min_score",
                    f"min_score {low:g} must be below max_score {high:g} "
                    "(min inclusive, max exclusive)",
                )
                continue
            model_key = model or row.key("model_id")
            if score is None or band is None:
                continue
            name_key = (model_key, score, band.lower())
            if name_key in names:
                self.report(
                    row,
                    "band",
                    f"duplicate band {band!r} for model {row.text('model_id')!r} score {score} "
                    f"(first on line {names[name_key].line})",
                )
            else:
                names[name_key] = row
            if bad_number:
                continue
            interval = (
                -math.inf if low is None else low,
                math.inf if high is None else high,
                band,
                row,
            )
            for other_low, other_high, other_band, other_row in bands.get((model_key, score), []):
                if interval[0] < other_high and other_low < interval[1]:
                    self.report(
                        row,
                        "min_score",
                        f"band {band!r} overlaps band {other_band!r} (line {other_row.line}) "
                        f"of model {row.text('model_id')!r} score {score}",
                    )
                    break
            bands.setdefault((model_key, score), []).append(interval)

    def check_exclusions(self, models: dict[str, _Row] | None) -> None:
        seen: dict[tuple[str, str], _Row] = {}
        for row in self.rows("stage_exclusions"):
            model = self.model_ref(row, models)
            exclusion_id = self.required(row, "exclusion_id")
            if exclusion_id is not None:
                key = (model or row.key("model_id"), exclusion_id.lower())
                if key in seen:
                    self.report(
                        row,
                        "exclusion_id",
                        f"duplicate exclusion_id {exclusion_id!r} for model "
                        f"{row.text('model_id')!r} (first on line {seen[key].line})",
                    )
                else:
                    seen[key] = row
            self.required(row, "property")
            self.condition(row, operators=PROPERTY_OPERATORS)

    def stage_ref(
        self, row: _Row, column: str, model: str | None, stages: dict[str, set[str]], *, blank_ok
    ) -> None:
        value = row.text(column)
        if not value:
            if not blank_ok:
                self.report(row, column, "is required")
            return
        key = value.lower()
        if key == EXCLUDED_STAGE:
            self.report(row, column, "'excluded' is set only by stage exclusions")
            return
        if model is None or model not in stages or not self.seeds["score_thresholds"].usable:
            return
        if key not in stages[model]:
            known = ", ".join(sorted(stages[model]))
            self.report(
                row,
                column,
                f"unknown stage {value!r} for model {row.text('model_id')!r} (known: {known})",
            )

    def check_feedback(self, models: dict[str, _Row] | None, stages: dict[str, set[str]]) -> None:
        seen: dict[tuple[str, str], _Row] = {}
        for row in self.rows("feedback_rules"):
            model = self.model_ref(row, models)
            feedback = self.choice(row, "feedback", FEEDBACK_KINDS)
            if feedback is not None:
                key = (model or row.key("model_id"), feedback)
                if key in seen:
                    self.report(
                        row,
                        "feedback",
                        f"duplicate feedback {feedback!r} for model {row.text('model_id')!r} "
                        f"(first on line {seen[key].line})",
                    )
                else:
                    seen[key] = row
            self.number(row, "points")
            self.stage_ref(row, "max_stage", model, stages, blank_ok=True)
            self.stage_ref(row, "stage_override", model, stages, blank_ok=True)

    def check_alert_routes(
        self, models: dict[str, _Row] | None, stages: dict[str, set[str]]
    ) -> None:
        seen: dict[tuple[str, str, str, str], _Row] = {}
        for row in self.rows("alert_routes"):
            model = self.model_ref(row, models)
            self.stage_ref(row, "to_stage", model, stages, blank_ok=False)
            channel = self.choice(row, "channel", ALERT_CHANNELS, blank_ok=True) or "log"
            destination = row.text("destination")
            if (
                channel in ("webhook", "slack")
                and destination
                and not re.match(r"https?://", destination, re.IGNORECASE)
            ):
                self.report(
                    row,
                    "destination",
                    f"a {channel} destination must be an http(s) URL (blank = the environment's)",
                )
            key = (model or row.key("model_id"), row.key("to_stage"), channel, destination)
            if key in seen:
                self.report(
                    row,
                    "to_stage",
                    f"duplicate alert route (first on line {seen[key].line}); "
                    "it would send every alert twice",
                )
            else:
                seen[key] = row

    def check_crm_field_map(self, models: dict[str, _Row] | None) -> None:
        columns: dict[tuple[str, str, str], _Row] = {}
        fields: dict[tuple[str, str], _Row] = {}
        for row in self.rows("crm_field_map"):
            model = self.model_ref(row, models)
            model_key = model or row.key("model_id")
            target = self.choice(row, "target", CRM_TARGETS)
            score_column = self.choice(row, "score_column", CRM_SCORE_COLUMNS)
            crm_field = self.required(row, "crm_field")
            if crm_field is not None and not _CRM_FIELD.fullmatch(crm_field):
                self.report(
                    row,
                    "crm_field",
                    f"{crm_field!r} is not a CRM field name (letters, digits and _)",
                )
            if target is None:
                continue
            if score_column is not None:
                key = (model_key, target, score_column)
                if key in columns:
                    self.report(
                        row,
                        "score_column",
                        f"{score_column} is already mapped for model {row.text('model_id')!r} "
                        f"and {target} on line {columns[key].line}",
                    )
                else:
                    columns[key] = row
            if crm_field is not None:
                field_key = (target, crm_field.lower())
                if field_key in fields:
                    self.report(
                        row,
                        "crm_field",
                        f"{target} field {crm_field!r} is already written by line "
                        f"{fields[field_key].line}",
                    )
                else:
                    fields[field_key] = row


# --- regular expressions -------------------------------------------------------------------------


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` cannot run in DuckDB's RE2 engine (as a case-insensitive search), or None."""
    unsupported = _re2_unsupported(pattern)
    if unsupported:
        return f"regex {pattern!r} uses {unsupported}, which DuckDB's RE2 engine does not support"
    try:
        re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"invalid regex {pattern!r}: {exc}"
    return None


def _re2_unsupported(pattern: str) -> str | None:
    """The first construct Python's `re` accepts but RE2 rejects, by name."""
    i = 0
    in_class = False
    length = len(pattern)
    while i < length:
        char = pattern[i]
        if char == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not in_class and nxt in "123456789" and nxt:
                return f"a backreference (\\{nxt})"
            if nxt == "Z":
                return "\\Z (use $)"
            i += 2
            continue
        if in_class:
            if char == "]":
                in_class = False
            i += 1
            continue
        if char == "[":
            in_class = True
            i += 1
            if pattern[i : i + 1] == "^":
                i += 1
            if pattern[i : i + 1] == "]":  # a literal ] first in the class
                i += 1
            continue
        if char == "(" and pattern[i + 1 : i + 2] == "?":
            rest = pattern[i + 2 :]
            if rest.startswith(("=", "!")):
                return f"a lookahead ((?{rest[0]})"
            if rest.startswith(("<=", "<!")):
                return f"a lookbehind ((?{rest[:2]})"
            if rest.startswith("P="):
                return "a named backreference ((?P=)"
            if rest.startswith(">"):
                return "an atomic group ((?>)"
            if rest.startswith("("):
                return "a conditional group ((?()"
            i += 2
            continue
        if char in "*+?" and pattern[i + 1 : i + 2] == "+":
            return f"a possessive quantifier ({char}+)"
        i += 1
    return None


# --- entry point ---------------------------------------------------------------------------------


def validate_seeds(seeds_dir: Path) -> list[SeedProblem]:
    """Every problem in the seeds under `seeds_dir`, sorted by file then line."""
    return _Validator(Path(seeds_dir)).run()
