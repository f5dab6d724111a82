"""What identifies the content of a dataset's files, cheaply: for caches keyed on it."""

import hashlib
import pathlib


def files_fingerprint(root, paths):
    """SHA-256 (hex) of `root` and, for every file in `paths`, its path
    (relative to `root` when inside it), its size and its modification time in nanoseconds.

    Any file added, removed, truncated or rewritten changes it (a rewrite sets
    a new modification time), so a cache keyed on it is never served for
    changed data; only file metadata is read, so 60,000 images cost a
    fraction of a second rather than a pass over their bytes.
    """
    root = pathlib.Path(root).resolve()
    digest = hashlib.sha256(f"{root}\n".encode())
    for path in sorted(pathlib.Path(path).resolve() for path in paths):
        status = path.stat()
        name = path.relative_to(root) if root in path.parents else path  # e.g. labels shipped with keras_vq.
        digest.update(f"{name}|{status.st_size}|{status.st_mtime_ns}\n".encode())
    return digest.hexdigest()
