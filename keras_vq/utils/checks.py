"""Argument checks whose messages name the argument and its valid range (Sonnet's habit)."""

import difflib
import inspect
import math
import numbers

import numpy as np


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


def check_bool(name, value):
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def check_odd_kernel_size(name, value):
    """A positive odd integer: a kernel centred on its position."""
    check_positive_int(name, value)
    if value % 2 == 0:
        raise ValueError(f"{name} must be odd (a centred k x k field), got {value}")


def integer_array(name, values):
    """`values` as an int NumPy array, or ValueError naming `name` if they are not whole numbers."""
    array = np.asarray(values)
    if array.dtype == bool or not (
        np.issubdtype(array.dtype, np.integer)
        or (np.issubdtype(array.dtype, np.floating) and np.all(np.isfinite(array)) and np.all(array == np.round(array)))
    ):
        raise ValueError(f"{name} must be integers, got {values!r}")
    return array.astype(np.int64)


def check_index_range(name, values, limit):
    """ValueError naming `name` unless every index in the NumPy array `values` lies in [0, limit).
    The one check of code, class and speaker indices: an index out of range would otherwise wrap (-1 is
    the last entry of a table) or read past it."""
    if values.size and (values.min() < 0 or values.max() >= limit):
        raise ValueError(f"{name} must lie in [0, {limit}); got values {values.min()}..{values.max()}")


def check_shape(name, shape, rank=None, allow_none=False):
    """`shape` as a tuple of integers >= 1 (None too with `allow_none`), of `rank` entries when given."""
    try:
        shape = tuple(shape)
    except TypeError:
        raise ValueError(f"{name} must be a tuple of sizes, got {shape!r}") from None
    ok = all(
        (allow_none and size is None)
        or (not isinstance(size, bool) and isinstance(size, numbers.Integral) and size >= 1)
        for size in shape
    )
    if not shape or not ok or (rank is not None and len(shape) != rank):
        kind = f"{rank} " if rank is not None else ""
        raise ValueError(
            f"{name} must be a tuple of {kind}positive integer sizes"
            + (" (None for any)" if allow_none else "")
            + f", got {shape!r}"
        )
    return tuple(None if size is None else int(size) for size in shape)


def check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def check_seed(name, value):
    """A seed is an integer in [0, 2**32) (what NumPy's and the backends' generators take)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 0 <= value < 2**32:
        raise ValueError(f"{name} must be an integer in [0, 2**32), got {value!r}")


def checked_figure_data(name, data):
    """`data` as a NumPy array of numbers for a figure over a whole set, or ValueError naming `name`
    when it is empty or holds NaN or infinite values (a figure would be silently NaN)."""
    data = np.asarray(data)
    if data.size == 0 or len(data) == 0:
        raise ValueError(f"{name} is empty (shape {data.shape}): there is nothing to measure")
    if data.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be an array of numbers; got dtype {data.dtype}")
    if data.dtype.kind == "f" and not np.all(np.isfinite(data)):
        raise ValueError(
            f"{name} holds {int(np.size(data) - np.isfinite(data).sum())} NaN or infinite values; "
            "the figures would be NaN"
        )
    return data


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
    own = [
        name
        for name, parameter in inspect.signature(model_class.__init__).parameters.items()
        if name != "self" and parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    candidates = own + list(MODEL_KEYWORD_ARGUMENTS)
    described = []
    for name in unknown:
        close = difflib.get_close_matches(name, candidates, n=1)
        described.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    raise TypeError(f"{model_class.__name__} got unexpected keyword argument(s) {', '.join(described)}")
