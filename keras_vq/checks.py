"""Argument checks whose messages name the argument and its valid range (Sonnet's habit)."""

import difflib
import inspect
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


# What keras.Model's functional constructor takes besides inputs and outputs; it drops anything else silently.
MODEL_KEYWORD_ARGUMENTS = ("name", "trainable")


def check_model_kwargs(model_class, kwargs):
    """Raises TypeError naming every keyword in `kwargs` that `model_class` does not take.

    Keras' functional `Model.__init__` ignores unknown keywords, so a misspelt
    argument (`num_clases=10`) would build a model without it. The nearest of
    the constructor's own arguments is suggested for each.
    """
    unknown = sorted(set(kwargs) - set(MODEL_KEYWORD_ARGUMENTS))
    if not unknown:
        return
    own = [name for name, parameter in inspect.signature(model_class.__init__).parameters.items()
           if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD]
    candidates = own + list(MODEL_KEYWORD_ARGUMENTS)
    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, candidates, n=1)
        described.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise TypeError(f"{model_class.__name__} got unexpected keyword argument(s) {', '.join(described)}")
