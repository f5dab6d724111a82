"""Extracting tar archives without writing outside the target directory.

Every member is checked before anything is written: an absolute name, a `..`
that climbs out, a link pointing outside, or a device file makes the whole
archive be refused (`UnsafeArchiveError`, naming the member). Extraction goes
to a staging folder inside the target and is moved into place only when it
has finished, so an interrupted extraction is never mistaken for a whole one.
"""

import os
import pathlib
import shutil
import tarfile

from tqdm.auto import tqdm

STAGING_PREFIX = ".extracting-"


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the target directory."""


def extract_tar(archive_path, target_dir, progress=True):
    """Extracts `archive_path` into `target_dir`; returns the top-level names.

    Files already in `target_dir` are kept: the archive's copy of a file that
    exists is not written (LibriSpeech archives share `SPEAKERS.TXT` etc.).
    """
    archive_path = pathlib.Path(archive_path)
    target = pathlib.Path(target_dir).resolve()
    target.mkdir(parents=True, exist_ok=True)
    staging = target / (STAGING_PREFIX + archive_path.name)
    if staging.exists():
        shutil.rmtree(staging)  # Left by an interrupted extraction: start again.
    with tarfile.open(archive_path) as archive:
        members = archive.getmembers()
        for member in members:
            _check_member(member, staging, archive_path)
        staging.mkdir()
        for member in tqdm(members, desc=f"extracting {archive_path.name}", disable=not progress):
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: a second guard.
                archive.extract(member, staging, filter="data")
            else:
                archive.extract(member, staging)
    top_level = sorted(path.name for path in staging.iterdir())
    _merge_into(staging, target)
    shutil.rmtree(staging)
    return top_level


def _check_member(member, staging, archive_path):
    def refuse(reason):
        raise UnsafeArchiveError(
            f"{archive_path}: refusing to extract: member {member.name!r} {reason}"
        )

    if os.path.isabs(member.name) or member.name.startswith(("/", "\\")):
        refuse("has an absolute path")
    if not _inside(staging / member.name, staging):
        refuse("would be written outside the target directory")
    if member.issym() or member.islnk():
        # A symlink's target is relative to its own folder, a hard link's to the archive root.
        link_base = (staging / member.name).parent if member.issym() else staging
        if os.path.isabs(member.linkname) or not _inside(link_base / member.linkname, staging):
            refuse(f"links outside the target directory (to {member.linkname!r})")
    if member.isdev():
        refuse("is a device file")


def _inside(path, directory):
    resolved = pathlib.Path(os.path.normpath(path))
    directory = pathlib.Path(os.path.normpath(directory))
    return resolved == directory or directory in resolved.parents


def _merge_into(source, target):
    """Moves `source`'s tree into `target`, keeping whatever `target` already has."""
    for entry in source.iterdir():
        destination = target / entry.name
        if not destination.exists():
            entry.replace(destination)
        elif entry.is_dir() and destination.is_dir():
            _merge_into(entry, destination)
