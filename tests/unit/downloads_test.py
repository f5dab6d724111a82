"""Downloads against a local HTTP server: resumption, retries, checks, safe extraction."""

import hashlib
import io
import tarfile
import warnings

import numpy as np
import pytest

from keras_vq.datasets import archives, downloads
from keras_vq.datasets.bad_data import BadFileError
from keras_vq.datasets.kaokore import kaokore_files
from keras_vq.datasets.librispeech import librispeech_files
from tests import data_helpers
from tests.http_fixture_server import FixtureServer
from tests.passes import BACKEND_INDEPENDENT

pytestmark = BACKEND_INDEPENDENT

PAYLOAD = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()
PAYLOAD_SHA256 = hashlib.sha256(PAYLOAD).hexdigest()


def test_interrupted_download_is_kept_as_part_file_and_resumed_with_a_range_request(tmp_path):
    destination = tmp_path / "archive.bin"
    with FixtureServer() as server:
        server.add("/archive.bin", PAYLOAD, cut_times=1)
        with pytest.raises(downloads.DownloadError, match="closed after 150000 of 300000 bytes"):
            downloads.download_file(server.url("/archive.bin"), destination, retries=0, progress=False)
        assert not destination.exists()  # Never taken for complete.
        assert downloads.partial_path(destination).stat().st_size == 150_000
        downloads.download_file(server.url("/archive.bin"), destination, expected_sha256=PAYLOAD_SHA256, progress=False)
        assert server.requests_for("/archive.bin")[-1] == ("/archive.bin", "bytes=150000-")
    assert destination.read_bytes() == PAYLOAD
    assert not downloads.partial_path(destination).exists()


def test_transient_failures_are_retried_with_back_off(tmp_path):
    with FixtureServer() as server:
        server.add("/file", PAYLOAD, fail_times=2)
        downloads.download_file(server.url("/file"), tmp_path / "file", backoff_seconds=0.01, progress=False)
        assert len(server.requests_for("/file")) == 3
    assert (tmp_path / "file").read_bytes() == PAYLOAD


def test_not_found_is_not_retried_and_the_error_names_the_url(tmp_path):
    with FixtureServer() as server:
        with pytest.raises(
            downloads.DownloadError, match=r"could not download http://127\.0\.0\.1:\d+/missing .*HTTP 404"
        ):
            downloads.download_file(server.url("/missing"), tmp_path / "x", backoff_seconds=0.01, progress=False)
        assert len(server.requests_for("/missing")) == 1
    assert not (tmp_path / "x").exists()


def test_checksum_mismatch_leaves_nothing_behind(tmp_path):
    with FixtureServer() as server:
        server.add("/file", PAYLOAD)
        with pytest.raises(downloads.DownloadError, match="SHA-256 differs"):
            downloads.download_file(
                server.url("/file"),
                tmp_path / "file",
                expected_sha256="0" * 64,
                retries=1,
                backoff_seconds=0.01,
                progress=False,
            )
    assert list(tmp_path.iterdir()) == []


def test_existing_file_with_wrong_checksum_is_not_overwritten(tmp_path):
    existing = tmp_path / "file"
    existing.write_bytes(b"the user's own bytes")
    with pytest.raises(BadFileError, match="delete it to download it again"):
        downloads.download_file("http://127.0.0.1:9/never", existing, expected_sha256=PAYLOAD_SHA256)
    assert existing.read_bytes() == b"the user's own bytes"


def _serve_kaokore(server, tmp_path, rows=data_helpers.KAOKORE_ROWS):
    """Serves each labelled image at /img/<index>; returns (urls.txt, labels.csv) paths."""
    largest = max(int(name[:8]) for name, *_ in rows)
    urls = [server.url(f"/img/{index}") for index in range(largest + 1)]
    for seed, (name, *_) in enumerate(rows):
        server.add(f"/img/{int(name[:8])}", data_helpers.kaokore_image_bytes(seed))
    urls_path = tmp_path / "urls.txt"
    urls_path.write_text("\n".join(urls) + "\n")
    return urls_path, data_helpers.write_kaokore_labels(tmp_path / "labels.csv", rows)


def test_kaokore_download_retries_rejects_garbage_and_resumes(tmp_path):
    target = tmp_path / "kaokore"
    with FixtureServer() as server:
        urls_path, labels_path = _serve_kaokore(server, tmp_path)
        server.failures_left["/img/7"] = 2  # Fails twice, then succeeds.
        server.files["/img/12"] = b"<html>rate limited</html>"  # Garbage, every time.
        options = dict(
            urls_path=urls_path, labels_path=labels_path, max_workers=3, backoff_seconds=0.01, retries=2, progress=False
        )
        with pytest.raises(BadFileError, match=r"1 of 6 images could not be downloaded.*00000012\.jpg"):
            kaokore_files.download_images(target, **options)
        downloaded = sorted(path.name for path in (target / "images_256").glob("*.jpg"))
        assert downloaded == ["00000003.jpg", "00000007.jpg", "00000011.jpg", "00000020.jpg", "00000031.jpg"]
        assert len(server.requests_for("/img/7")) == 3
        assert len(server.requests_for("/img/12")) == 3  # Garbage is retried, then refused.

        requests_before = len(server.requests)
        server.files["/img/12"] = data_helpers.kaokore_image_bytes(3)  # The server recovers.
        kaokore_files.download_images(target, **options)
        assert [path for path, _ in server.requests[requests_before:]] == ["/img/12"]  # Resumed.
    files = kaokore_files.KaokoreFiles(target)
    assert files.read("00000012.jpg")["image"].shape == (256, 256, 3)


def test_kaokore_download_can_skip_images_that_fail_with_a_counted_warning(tmp_path):
    with FixtureServer() as server:
        urls_path, labels_path = _serve_kaokore(server, tmp_path)
        server.files["/img/31"] = b"garbage"
        with pytest.warns(UserWarning, match="1 of 6 images could not be downloaded"):
            kaokore_files.download_images(
                tmp_path / "kaokore",
                urls_path=urls_path,
                labels_path=labels_path,
                retries=0,
                skip_bad_files=True,
                progress=False,
            )
    assert len(list((tmp_path / "kaokore" / "images_256").glob("*.jpg"))) == 5


def _tarball(members):
    """A .tar.gz of `{name: bytes}`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _librispeech_tarball_members():
    root = data_helpers.LIBRISPEECH_FIXTURE
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_librispeech_archive_is_downloaded_verified_and_unpacked(tmp_path):
    tarball = _tarball(_librispeech_tarball_members())
    with FixtureServer() as server:
        server.add("/train-clean-5.tar.gz", tarball, cut_times=1)
        root = librispeech_files.download_and_extract_archive(
            server.url("/train-clean-5.tar.gz"),
            tmp_path / "data",
            expected_sha256=hashlib.sha256(tarball).hexdigest(),
            backoff_seconds=0.01,
            progress=False,
        )
    files = librispeech_files.LibrispeechFiles(root)
    assert files.split_names == ["train-clean-5"] and len(files.keys("train-clean-5")) == 4
    assert not any(path.name.startswith(archives.STAGING_PREFIX) for path in (tmp_path / "data").iterdir())


def test_archive_without_a_recorded_checksum_is_refused_before_downloading(tmp_path):
    with pytest.raises(ValueError, match="no SHA-256 is recorded for http://127.0.0.1:9/x.tar.gz"):
        librispeech_files.download_and_extract_archive("http://127.0.0.1:9/x.tar.gz", tmp_path)


def test_recorded_checksums_cover_every_official_librispeech_archive():
    recorded = librispeech_files.read_checksums()
    official = [url for url in librispeech_files.ARCHIVE_URLS.values() if "/resources/12/" in url]
    assert len(official) == 7 and all(url in recorded for url in official)
    assert all(len(sha256) == 64 and size > 0 for size, sha256 in recorded.values())


@pytest.mark.parametrize(
    "evil_name, reason",
    [
        ("LibriSpeech/../../evil.txt", "would be written outside the target"),
        ("/tmp/keras_vq_evil.txt", "has an absolute path"),
    ],
)
def test_archive_member_outside_the_target_is_refused_and_nothing_is_written(tmp_path, evil_name, reason):
    members = _librispeech_tarball_members() | {evil_name: b"escaped"}
    archive = tmp_path / "evil.tar.gz"
    archive.write_bytes(_tarball(members))
    target = tmp_path / "a" / "b"
    with pytest.raises(archives.UnsafeArchiveError, match=f"member {evil_name!r} {reason}"):
        archives.extract_tar(archive, target, progress=False)
    assert not (tmp_path / "a" / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()
    assert list(target.iterdir()) == []


def test_symlink_pointing_outside_is_refused(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        link = tarfile.TarInfo("LibriSpeech/link")
        link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
        archive.addfile(link)
    (tmp_path / "link.tar.gz").write_bytes(buffer.getvalue())
    with pytest.raises(archives.UnsafeArchiveError, match="links outside the target directory"):
        archives.extract_tar(tmp_path / "link.tar.gz", tmp_path / "out", progress=False)


def test_extraction_keeps_files_already_in_the_target(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(_tarball({"LibriSpeech/SPEAKERS.TXT": b"new", "LibriSpeech/other.txt": b"other"}))
    (tmp_path / "out" / "LibriSpeech").mkdir(parents=True)
    (tmp_path / "out" / "LibriSpeech" / "SPEAKERS.TXT").write_bytes(b"mine")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        archives.extract_tar(archive, tmp_path / "out", progress=False)
    assert (tmp_path / "out" / "LibriSpeech" / "SPEAKERS.TXT").read_bytes() == b"mine"
    assert (tmp_path / "out" / "LibriSpeech" / "other.txt").read_bytes() == b"other"


def _archive_of(path, entries):
    """A .tar.gz of (name, symlink target or bytes) entries, in order."""
    with tarfile.open(path, mode="w:gz") as archive:
        for name, content in entries:
            member = tarfile.TarInfo(name)
            if isinstance(content, str):
                member.type, member.linkname = tarfile.SYMTYPE, content
                archive.addfile(member)
            else:
                member.size = len(content)
                archive.addfile(member, io.BytesIO(content))
    return path


@pytest.mark.parametrize("data_filter", ["present", "absent"])
def test_chained_dotdot_symlinks_are_refused_with_or_without_pythons_data_filter(tmp_path, monkeypatch, data_filter):
    # a/b -> .. is a/, but once it exists a/b/c -> .. is the target's parent: each hop looks harmless alone.
    if data_filter == "absent":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    archive = _archive_of(
        tmp_path / "chain.tar.gz",
        [
            ("a/b", ".."),
            ("a/b/c", ".."),
            ("a/b/c/escaped.txt", b"escaped"),
        ],
    )
    target = tmp_path / "x" / "out"
    with pytest.raises(archives.UnsafeArchiveError, match=r"member 'a/b/c' links outside the target directory"):
        archives.extract_tar(archive, target, progress=False)
    assert list(tmp_path.rglob("escaped.txt")) == [] and list(target.iterdir()) == []


def test_a_symlink_that_stays_inside_is_extracted(tmp_path):
    archive = _archive_of(tmp_path / "inside.tar.gz", [("top/data/file.txt", b"kept"), ("top/alias", "data")])
    assert archives.extract_tar(archive, tmp_path / "out", progress=False) == ["top"]
    assert (tmp_path / "out" / "top" / "alias" / "file.txt").read_bytes() == b"kept"


@pytest.mark.parametrize("cut", ["inside a member", "at a member boundary", "inside the gzip stream"])
def test_a_truncated_archive_is_refused_naming_it_and_nothing_is_extracted(tmp_path, cut):
    import gzip

    whole = _archive_of(tmp_path / "whole.tar.gz", [(f"top/f{index}", bytes(2000 + index)) for index in range(4)])
    raw = gzip.decompress(whole.read_bytes())
    with tarfile.open(whole) as archive:
        boundary = archive.getmembers()[2].offset  # Where the third member's header starts.
    data = {
        "inside a member": gzip.compress(raw[: boundary - 100]),
        "at a member boundary": gzip.compress(raw[:boundary]),
        "inside the gzip stream": whole.read_bytes()[: len(whole.read_bytes()) // 2],
    }[cut]
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(data)
    target = tmp_path / "out"
    with pytest.raises(BadFileError, match=r"truncated.tar.gz: truncated or corrupt archive"):
        archives.extract_tar(truncated, target, progress=False)
    assert list(target.iterdir()) == []
