"""Writing files that a later run reads, so that a kill never leaves a torn one.

`atomic_path(path)` hands out a temporary path beside `path`; whatever is
written there is flushed to disk and renamed over `path` only when the block
ends without an error. A reader sees the old file or the new one, never part
of one; a kill leaves at most a `*.tmp-*` file, which nothing reads.
"""

import contextlib
import json
import os
import pathlib
import uuid

TEMPORARY_MARKER = ".tmp-"


def _fsync(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path in `path`'s folder; on success, renames it to `path`.

    The temporary name keeps `path`'s suffix (`model.tmp-<id>.keras`), since
    some writers (Keras, NumPy) choose the format by the suffix.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.stem}{TEMPORARY_MARKER}{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        yield temporary
        _fsync(temporary)
        os.replace(temporary, path)
        _fsync(path.parent)  # The rename itself is durable once the folder is flushed.
    finally:
        if temporary.exists():
            temporary.unlink()


def write_text_atomically(path, text):
    with atomic_path(path) as temporary:
        temporary.write_text(text)


def write_json_atomically(path, value):
    write_text_atomically(path, json.dumps(value, indent=2, sort_keys=True))
