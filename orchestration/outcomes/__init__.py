"""Outcomes: how scores relate to conversions (calibration, comparison, the HTML report)."""
