"""Argument checks whose messages name the argument and its valid range (Sonnet's habit)."""

import math
import numbers


def check_number(name, value, low, high, low_inclusive, high_inclusive):
    """Raises ValueError naming `name` and its valid range unless `value` lies in it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    low_ok = value >= low if low_inclusive else value > low
    high_ok = value <= high if high_inclusive else value < high
    if not (low_ok and high_ok):
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        raise ValueError(f"{name} must be in range {left}{low}, {high}{right}, got {value!r}")


def check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
