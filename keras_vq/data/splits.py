"""Split strings: a split name, optionally sliced the way TFDS slices.

`"train"`, `"train[:90%]"`, `"train[90%:]"`, `"train[100:200]"`. Percent
boundaries round to the nearest example, as TFDS's default ("closest")
rounding does, so a slice picks the same examples in the tf.data path
(which hands the string to TFDS) and in the NumPy path (which uses
`select_keys` on the canonical order).
"""

import dataclasses
import re

SPLIT_PATTERN = re.compile(r"^(?P<name>[\w\-.]+)(\[(?P<start>-?\d+%?)?:(?P<stop>-?\d+%?)?\])?$")


@dataclasses.dataclass(frozen=True)
class SplitSpec:
    name: str
    start: str | None = None
    stop: str | None = None

    @property
    def sliced(self):
        return self.start is not None or self.stop is not None


def parse_split(split):
    match = SPLIT_PATTERN.match(str(split).replace(" ", ""))
    if match is None:
        raise ValueError(
            f"split {split!r} is not a split name with an optional slice, "
            "e.g. 'train', 'train[:90%]', 'train[90%:]' or 'train[100:200]'"
        )
    return SplitSpec(match["name"], match["start"], match["stop"])


def _boundary(text, num_examples, default):
    if text is None:
        return default
    if text.endswith("%"):
        percent = int(text[:-1])
        if not -100 <= percent <= 100:
            raise ValueError(f"slice boundary {text} is outside [-100%, 100%]")
        index = int(round(percent * num_examples / 100.0))
    else:
        index = int(text)
    if index < 0:
        index += num_examples
    return min(max(index, 0), num_examples)


def select_keys(keys, spec):
    """The keys a (possibly sliced) split selects, in their given order."""
    keys = list(keys)
    start = _boundary(spec.start, len(keys), 0)
    stop = _boundary(spec.stop, len(keys), len(keys))
    if start >= stop:
        bounds = f"[{spec.start or ''}:{spec.stop or ''}]"
        raise ValueError(
            f"split {spec.name}{bounds} selects no examples: of {len(keys)}, it starts at {start} and stops at {stop}"
        )
    return keys[start:stop]
