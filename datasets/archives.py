"""Extracting tar archives without writing outside the target directory.

Every member is checked before anything is written: an absolute name, a `..`
that climbs out, a link pointing outside (following the archive's earlier
symlinks, as the file system will), or a device file makes the whole
archive be refused (`UnsafeArchiveError`, naming the member); our check
stands alone, and Python's `data` filter, where it exists, is a second
guard. A truncated archive is refused (`BadFileError`). Extraction goes
to a staging folder inside the target and is moved into place only when it
has finished, so an interrupted extraction is never mistaken for a whole one.
"""

import gzip
import os
import pathlib
import shutil
import tarfile
import zlib

from keras_vq.datasets.bad_data import BadFileError
from keras_vq.utils.extras import naming_the_extra

with naming_the_extra("showing extraction progress"):
    from tqdm.auto import tqdm

STAGING_PREFIX = ".extracting-"


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the target directory."""


def extract_tar(archive_path, target_dir, progress=True):
    """Extracts `archive_path` into `target_dir`; returns the top-level names.

    Files already in `target_dir` are kept: the archive's copy of a file that
    exists is not written (LibriSpeech archives share `SPEAKERS.TXT` etc.).
    A truncated or corrupt archive raises `BadFileError` naming it, with
    nothing extracted.
    """
    archive_path = pathlib.Path(archive_path)
    target = pathlib.Path(target_dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    staging = target / (STAGING_PREFIX + archive_path.name)
    if staging.exists():
        shutil.rmtree(staging)  # Left by an interrupted extraction: start again.
    try:
        with tarfile.open(archive_path) as archive:
            members = archive.getmembers()
            _check_end_of_archive(archive, archive_path)
            links = {}
            for member in members:
                _check_member(member, links, archive_path)
            staging.mkdir()
            for member in tqdm(members, desc=f"extracting {archive_path.name}", disable=not progress):
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: a second guard.
                    archive.extract(member, staging, filter="data")
                else:
                    archive.extract(member, staging)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise BadFileError(
            archive_path,
            f"truncated or corrupt archive ({type(error).__name__}: {error}); delete it and download it again",
        ) from error
    top_level = sorted(path.name for path in staging.iterdir())
    _merge_into(staging, target)
    shutil.rmtree(staging)
    return top_level


def _check_end_of_archive(archive, archive_path):
    """A tar stream ends with zero blocks; one cut at a member boundary reads
    as a whole, shorter archive unless that end marker is checked."""
    archive.fileobj.seek(archive.offset)
    end = archive.fileobj.read(tarfile.BLOCKSIZE)
    if len(end) < tarfile.BLOCKSIZE or end.count(0) != tarfile.BLOCKSIZE:
        raise tarfile.ReadError(f"no end-of-archive marker after its {len(archive.getmembers())} members")


def _check_member(member, links, archive_path):
    """Refuses `member` unless it, and what it links to, stays inside the target.

    Paths are resolved as the file system will resolve them after the members
    before it are written: `links` maps each earlier symlink (its resolved
    path) to its resolved target, so a chain such as `a/b -> ..` then
    `a/b/c -> ..` is followed rather than read as plain folder names.
    """

    def refuse(reason):
        raise UnsafeArchiveError(f"{archive_path}: refusing to extract: member {member.name!r} {reason}")

    if os.path.isabs(member.name) or member.name.startswith(("/", "\\")):
        refuse("has an absolute path")
    if member.isdev():
        refuse("is a device file")
    *parents, base = member.name.replace("\\", "/").split("/")
    folder = _resolve(parents, links)
    if folder is None or base == "..":
        refuse("would be written outside the target directory")
    if not (member.issym() or member.islnk()):
        return
    if os.path.isabs(member.linkname):
        refuse(f"links outside the target directory (to {member.linkname!r})")
    # A symlink's target is relative to its own folder, a hard link's to the archive root.
    start = folder if member.issym() else []
    linked = _resolve(start + member.linkname.replace("\\", "/").split("/"), links)
    if linked is None:
        refuse(f"links outside the target directory (to {member.linkname!r})")
    if member.issym():
        links["/".join(folder + [base])] = linked


def _resolve(components, links):
    """The path of `components` (relative to the target) after following the
    archive's symlinks in `links`, as a list of names; None if it leaves the target."""
    resolved = []
    for component in components:
        if component in ("", "."):
            continue
        if component == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        resolved.append(component)
        joined = "/".join(resolved)
        if joined in links:
            resolved = list(links[joined])
    return resolved


def _merge_into(source, target):
    """Moves `source`'s tree into `target`, keeping whatever `target` already has."""
    for entry in source.iterdir():
        destination = target / entry.name
        if not destination.exists():
            entry.replace(destination)
        elif entry.is_dir() and destination.is_dir():
            _merge_into(entry, destination)
