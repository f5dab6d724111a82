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
import shutil
import uuid

__all__ = ["atomic_path", "write_text_atomically", "write_json_atomically", "replace_directory"]

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

    The temporary name keeps all of `path`'s suffixes
    (`epoch-3.tmp-<id>.weights.h5`), since some writers (Keras, NumPy)
    choose or check the format by them.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stem, dot, suffixes = path.name.partition(".")
    temporary = path.with_name(f"{stem}{TEMPORARY_MARKER}{uuid.uuid4().hex[:8]}{dot}{suffixes}")
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


def replace_directory(source, destination):
    """Moves the finished folder `source` to `destination`, replacing what is there.

    A folder cannot be renamed over a non-empty one, so an old `destination`
    is first renamed aside and removed once the new one is in place: a kill
    leaves either folder whole (at worst the old one under its aside name),
    never a mixture of the two.
    """
    source, destination = pathlib.Path(source), pathlib.Path(destination)
    for path in source.rglob("*"):
        if path.is_file():
            _fsync(path)
    aside = None
    if destination.exists():
        aside = destination.with_name(f".{destination.name}{TEMPORARY_MARKER}old-{uuid.uuid4().hex[:8]}")
        os.replace(destination, aside)
    os.replace(source, destination)
    _fsync(destination.parent)
    if aside is not None:
        shutil.rmtree(aside)


def remove_temporaries(folder):
    """Deletes what interrupted atomic writes left under `folder` (names holding `TEMPORARY_MARKER`)."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob(f"*{TEMPORARY_MARKER}*"), key=lambda path: len(path.parts)):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()


@contextlib.contextmanager
def exclusively(lock_path):
    """Holds an advisory lock on `lock_path` (created if missing) for the block, waiting for any other
    process that holds it: work that several processes may start at once on the same folder (preparing
    a TFDS copy) is done by one while the others wait, then find it done. Released however the block or
    the process ends. Where there is no `fcntl` (Windows), nothing is locked.

    Example:
        ```python
        from keras_vq.utils.atomic import exclusively

        with exclusively("prepare.lock"):
            print("one process at a time here")
        ```
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock_path = pathlib.Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
