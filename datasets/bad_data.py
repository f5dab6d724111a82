"""What happens when data is missing or a file is bad.

A missing or empty data directory raises `DataNotFoundError`, whose message
says where the data must go and how to get it. A file that does not decode,
or decodes to the wrong shape, raises `BadFileError` naming the file, unless
the caller opted into skipping: then `BadFileSkipper` counts the skipped
files and warns once, with the count and the first few names, when reading
ends.
"""

import warnings

__all__ = ["DataNotFoundError", "BadFileError"]

NAMES_SHOWN_IN_WARNINGS = 5


class DataNotFoundError(FileNotFoundError):
    """The data directory is missing, empty or not in the expected layout."""


class BadFileError(ValueError):
    """A data file is corrupt, truncated or not what its dataset promises."""

    def __init__(self, path, problem):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class BadFileSkipper:
    """Raises on a bad file, or, with `skip_bad_files=True`, counts it.

    Use as a context manager around a reading loop; the warning is issued on
    exit, so one run produces one warning however many files were skipped.
    """

    def __init__(self, skip_bad_files=False, what="files"):
        self.skip_bad_files = bool(skip_bad_files)
        self.what = what
        self.skipped = []

    def handle(self, error):
        """Records `error` (a `BadFileError`) or re-raises it."""
        if not self.skip_bad_files:
            raise error
        self.skipped.append(error)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if self.skipped:
            shown = "; ".join(str(error) for error in self.skipped[:NAMES_SHOWN_IN_WARNINGS])
            more = len(self.skipped) - NAMES_SHOWN_IN_WARNINGS
            warnings.warn(
                f"skipped {len(self.skipped)} bad {self.what} (skip_bad_files=True): {shown}"
                + (f"; and {more} more" if more > 0 else ""),
                stacklevel=2,
            )
        return False
