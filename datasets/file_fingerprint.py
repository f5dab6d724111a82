"""What identifies the content of a dataset's files, cheaply: for caches keyed on it."""

import hashlib
import pathlib


def files_fingerprint(root, paths):
    """SHA-256 (hex) of `root` and, for every file in `paths`, its path
    (relative to `root` when inside it), its size, its modification time,
    its inode and its inode change time (nanoseconds).

    Any file added, removed, truncated or rewritten changes it, so a cache
    keyed on it is never served for changed data. The modification time alone
    is not enough: `cp -p`, `rsync -t` and `tar` rewrite a file and set its
    old modification time back; the inode change time is the kernel's, which
    no tool can set back, and a file replaced by another has a new inode. It
    also changes when a file is only touched, renamed or its permissions set,
    and when the copy is moved: the cache is then rebuilt, once. Only file
    metadata is read, so 60,000 images cost a fraction of a second rather
    than a pass over their bytes.
    """
    root = pathlib.Path(root).resolve()
    digest = hashlib.sha256(f"{root}\n".encode())
    for path in sorted(pathlib.Path(path).resolve() for path in paths):
        status = path.stat()
        name = path.relative_to(root) if root in path.parents else path  # e.g. labels shipped with keras_vq.
        digest.update(f"{name}|{status.st_size}|{status.st_mtime_ns}|{status.st_ino}|{status.st_ctime_ns}\n".encode())
    return digest.hexdigest()
