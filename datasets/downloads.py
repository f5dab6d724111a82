"""HTTP downloads that resume, retry with back-off, and never pass a partial file off as complete.

A file is written to `<destination>.part` and renamed to `<destination>`
only once it is whole: its length matches the server's, its SHA-256 matches
the recorded one (when given) and `check(path)` accepts it (when given). An
interrupted download leaves the `.part` file; the next attempt asks the
server for the rest with an HTTP `Range` request. A destination that already
exists is kept, never downloaded again.
"""

import concurrent.futures
import hashlib
import http.client
import pathlib
import time
import urllib.error
import urllib.request

from keras_vq.datasets.bad_data import BadFileError
from keras_vq.utils.extras import naming_the_extra

with naming_the_extra("showing download progress"):
    from tqdm.auto import tqdm

PARTIAL_SUFFIX = ".part"
USER_AGENT = "keras-vq (https://github.com/keras-vq/keras-vq)"
CHUNK_BYTES = 1 << 20
# Status codes worth retrying: the server or a proxy may recover.
TRANSIENT_HTTP_STATUS = {408, 425, 429, 500, 502, 503, 504}


class DownloadError(OSError):
    """A download failed for good (after its retries, or with a permanent error)."""


def sha256_of_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def partial_path(destination):
    destination = pathlib.Path(destination)
    return destination.with_name(destination.name + PARTIAL_SUFFIX)


def download_file(
    url,
    destination,
    *,
    expected_sha256=None,
    check=None,
    retries=4,
    backoff_seconds=1.0,
    timeout_seconds=60.0,
    progress=True,
):
    """Downloads `url` to `destination` (a path); returns the path.

    Args:
        expected_sha256: hex digest the whole file must have.
        check: callable `check(path)` raising `BadFileError` if the file is
            unusable (e.g. not a decodable image). A failed check is retried:
            servers sometimes answer with an error page.
        retries: attempts after the first; the wait before attempt `n` is
            `backoff_seconds * 2**(n - 1)`.
        progress: show a byte-count progress bar.

    Raises:
        DownloadError: on a permanent HTTP error or when every attempt failed.
        BadFileError: when an existing `destination` fails its checksum.
    """
    destination = pathlib.Path(destination)
    if destination.exists():
        if expected_sha256 and sha256_of_file(destination) != expected_sha256:
            raise BadFileError(
                destination,
                f"exists but its SHA-256 is not the recorded {expected_sha256}; delete it to download it again",
            )
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = partial_path(destination)
    failures = []
    for attempt in range(retries + 1):
        if attempt:
            time.sleep(backoff_seconds * 2 ** (attempt - 1))
        try:
            _fetch_rest(url, part, timeout_seconds, progress)
            if expected_sha256 and sha256_of_file(part) != expected_sha256:
                part.unlink()
                raise BadFileError(url, f"SHA-256 differs from the recorded {expected_sha256}")
            if check is not None:
                try:
                    check(part)
                except BadFileError:
                    part.unlink()
                    raise
            part.replace(destination)
            return destination
        except urllib.error.HTTPError as error:
            failures.append(f"HTTP {error.code}")
            if error.code not in TRANSIENT_HTTP_STATUS:
                break
        except (urllib.error.URLError, http.client.HTTPException, OSError, BadFileError) as error:
            failures.append(str(error))
    raise DownloadError(
        f"could not download {url} to {destination} after {len(failures)} attempt(s): " + "; ".join(failures)
    )


def _fetch_rest(url, part, timeout_seconds, progress):
    """Appends the bytes of `url` that `part` lacks; raises if the body is cut short."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout_seconds)
    except urllib.error.HTTPError as error:
        if error.code == 416 and have:  # Range past the end: the part may be whole.
            return
        raise
    with response:
        if have and response.status != 206:
            have = 0  # The server ignored the Range header: start again.
        remaining = response.headers.get("Content-Length")
        expected_total = have + int(remaining) if remaining is not None else None
        with (
            open(part, "ab" if have else "wb") as file,
            tqdm(
                total=expected_total,
                initial=have,
                unit="B",
                unit_scale=True,
                desc=pathlib.Path(url).name[-40:],
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
                file.write(chunk)
                bar.update(len(chunk))
    size = part.stat().st_size
    if expected_total is not None and size != expected_total:
        raise DownloadError(f"{url}: connection closed after {size} of {expected_total} bytes")


def download_files(
    jobs,
    *,
    max_workers=8,
    check=None,
    retries=4,
    backoff_seconds=1.0,
    timeout_seconds=60.0,
    progress=True,
    description="downloading",
):
    """Downloads many `(url, destination)` pairs, at most `max_workers` at once.

    Files already at their destination are kept. Every job is attempted even
    when some fail, so a second call only fetches what is still missing.
    Returns `{destination: error}` for the jobs that failed for good.
    """
    if max_workers < 1:
        raise ValueError(f"max_workers must be a positive integer, got {max_workers}")
    pending = [(url, pathlib.Path(dest)) for url, dest in jobs if not pathlib.Path(dest).exists()]
    failures = {}
    with (
        concurrent.futures.ThreadPoolExecutor(max_workers=max_workers) as pool,
        tqdm(total=len(pending), unit="file", desc=description, disable=not progress) as bar,
    ):
        futures = {
            pool.submit(
                download_file,
                url,
                destination,
                check=check,
                retries=retries,
                backoff_seconds=backoff_seconds,
                timeout_seconds=timeout_seconds,
                progress=False,
            ): destination
            for url, destination in pending
        }
        for future in concurrent.futures.as_completed(futures):
            error = future.exception()
            if error is not None:
                failures[futures[future]] = error
            bar.update(1)
    return failures
