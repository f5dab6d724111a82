"""The one order in which every reader lists a split's examples.

Examples are sorted by the SHA-1 of their key, so that order is fixed by
the data alone yet mixes classes and speakers: a slice such as
`train[:90%]` is then a fair sample of the whole split, and it is the same
slice in the TFDS builders (which store examples in this order, with
shuffling disabled) and in the NumPy path.
"""

import hashlib


def canonical_order(keys):
    """`keys` (strings) sorted by their SHA-1 digest."""
    return sorted(keys, key=lambda key: hashlib.sha1(key.encode("utf-8")).digest())
