"""Transparent points from outcomes: L1 logistic regression (scikit-learn), cross-validated."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from .training import Candidate, TrainingSet

# Points on the credit-scoring scale analysts can read: every 10 points double the odds.
POINTS_TO_DOUBLE_ODDS = 10.0
POINTS_PER_LOG_ODDS = POINTS_TO_DOUBLE_ODDS / math.log(2.0)
FOLDS = 5
INNER_FOLDS = 3
REGULARISATION_GRID = np.logspace(-2.5, 1.5, 12)  # inverse strength C of the L1 penalty
BOOTSTRAPS = 30


@dataclass(frozen=True)
class LearnedRule:
    """A candidate that earned non-zero points, with how sure the data is about them."""

    candidate: Candidate
    points: int
    points_low: int  # 5th percentile over bootstrap refits
    points_high: int  # 95th percentile
    kept_share: float  # share of refits in which it earned points
    contacts: int
    conversion_rate: float


@dataclass(frozen=True)
class ThresholdAdvice:
    mql: float | None
    sql: float | None
    rows: list[dict]


@dataclass(frozen=True)
class Calibration:
    rules: list[LearnedRule]
    regularisation: float
    cv_auc_learned: list[float]
    cv_auc_current: list[float]
    current_auc_all: float | None
    learned_scores: np.ndarray
    thresholds: ThresholdAdvice


def points_from_coefficients(coefficients: np.ndarray) -> np.ndarray:
    """Integer points: log-odds on the 10-points-double-the-odds scale, rounded."""
    return np.rint(coefficients * POINTS_PER_LOG_ODDS).astype(int)


def _fit(features, converted, regularisation: float, seed: int) -> np.ndarray:
    model = LogisticRegression(
        C=regularisation, l1_ratio=1.0, solver="liblinear", max_iter=500, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(features, converted)
    return model.coef_.ravel()


def _choose_regularisation(features, converted, seed: int) -> float:
    """The strongest L1 penalty (fewest rules) whose cross-validated AUC is within one
    standard error of the best one (the usual one-standard-error rule)."""
    folds = min(INNER_FOLDS, int(converted.sum()), int((~converted).sum()))
    if folds < 2:
        return float(REGULARISATION_GRID[len(REGULARISATION_GRID) // 2])
    search = LogisticRegressionCV(
        Cs=REGULARISATION_GRID,
        l1_ratios=(1.0,),
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        solver="liblinear",
        scoring="roc_auc",
        max_iter=500,
        random_state=seed,
        use_legacy_attributes=False,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(features, converted)
    scores = np.asarray(search.scores_).reshape(folds, -1)  # folds x strengths
    means = scores.mean(axis=0)
    best = int(np.argmax(means))
    error = scores[:, best].std(ddof=1) / np.sqrt(folds)
    good_enough = np.flatnonzero(means >= means[best] - error)
    return float(np.asarray(search.Cs_)[good_enough.min()])


def _auc(converted: np.ndarray, scores: np.ndarray) -> float | None:
    known = ~np.isnan(scores)
    if converted[known].all() or not converted[known].any():
        return None
    return float(roc_auc_score(converted[known], scores[known]))


def calibrate(training: TrainingSet, seed: int = 0) -> Calibration:
    """Learn integer points; measure them (and the current rules) on held-out folds."""
    features, converted = training.features, training.converted
    if features.shape[1] == 0:
        raise ValueError("no candidate rule holds for enough contacts to learn from")
    folds = StratifiedKFold(
        min(FOLDS, training.converted_count, len(converted) - training.converted_count),
        shuffle=True,
        random_state=seed,
    )
    cv_learned, cv_current = [], []
    for train, test in folds.split(np.zeros(len(converted)), converted):
        strength = _choose_regularisation(features[train], converted[train], seed)
        points = points_from_coefficients(_fit(features[train], converted[train], strength, seed))
        learned = _auc(converted[test], features[test] @ points.astype(float))
        current = _auc(converted[test], training.current_scores[test])
        if learned is not None:
            cv_learned.append(learned)
        if current is not None:
            cv_current.append(current)
    strength = _choose_regularisation(features, converted, seed)
    points = points_from_coefficients(_fit(features, converted, strength, seed))
    rules = _with_confidence(training, points, strength, seed)
    scores = features @ points.astype(float)
    return Calibration(
        rules=rules,
        regularisation=strength,
        cv_auc_learned=cv_learned,
        cv_auc_current=cv_current,
        current_auc_all=_auc(converted, training.current_scores),
        learned_scores=np.asarray(scores).ravel(),
        thresholds=advise_thresholds(np.asarray(scores).ravel(), converted),
    )


def _with_confidence(training: TrainingSet, points, strength: float, seed: int):
    """Refit on bootstrap resamples: how much each rule's points move, and how often it stays."""
    features, converted = training.features, training.converted
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(BOOTSTRAPS):
        sample = rng.integers(0, len(converted), len(converted))
        if converted[sample].all() or not converted[sample].any():
            continue
        draws.append(
            points_from_coefficients(_fit(features[sample], converted[sample], strength, seed))
        )
    draws = np.array(draws) if draws else np.array([points])
    hits = np.asarray(features.sum(axis=0)).ravel()
    converted_hits = np.asarray(features[converted].sum(axis=0)).ravel()
    rules = []
    for i in np.flatnonzero(points):
        rules.append(
            LearnedRule(
                candidate=training.candidates[i],
                points=int(points[i]),
                points_low=int(np.percentile(draws[:, i], 5)),
                points_high=int(np.percentile(draws[:, i], 95)),
                kept_share=float((draws[:, i] != 0).mean()),
                contacts=int(hits[i]),
                conversion_rate=float(converted_hits[i] / hits[i]) if hits[i] else 0.0,
            )
        )
    rules.sort(key=lambda rule: (-abs(rule.points), rule.candidate.key))
    return rules


def advise_thresholds(scores: np.ndarray, converted: np.ndarray) -> ThresholdAdvice:
    """Precision, recall and F per whole-point threshold; MQL and SQL by the rule
    vocabulary.THRESHOLD_CRITERION states, as marts.threshold_advice does in SQL (here for
    learned scores, which are in no table)."""
    floors = np.floor(scores)
    rows = []
    total_converted = int(converted.sum())
    for threshold in np.unique(floors)[::-1]:
        above = scores >= threshold
        count, hits = int(above.sum()), int(converted[above].sum())
        precision = hits / count
        recall = hits / total_converted if total_converted else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        f_half = (
            1.25 * precision * recall / (0.25 * precision + recall) if precision + recall else 0.0
        )
        rows.append(
            {
                "threshold": float(threshold),
                "contacts_above": count,
                "share_above": count / len(scores),
                "converted_above": hits,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "f_half": f_half,
            }
        )
    rows.sort(key=lambda row: row["threshold"])
    if not rows or not total_converted:
        return ThresholdAdvice(None, None, rows)
    mql = max(rows, key=lambda row: (row["f1"], -row["threshold"]))["threshold"]
    sql = max(
        (row for row in rows if row["threshold"] >= mql),
        key=lambda row: (row["f_half"], -row["threshold"]),
    )["threshold"]
    return ThresholdAdvice(mql, sql, rows)
