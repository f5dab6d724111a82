"""The built docs site in a real browser: every page renders with its title, every image it shows loads
with a non-zero size, every audio player's file loads and the browser reads its duration, every internal
link resolves, and the search index exists.

Headless Chromium and its driver come from Debian's packages (`scripts/install_browser.sh`, which this
test runs when they are missing); where they cannot be installed the test skips, saying so.
"""

import functools
import http.server
import pathlib
import shutil
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import keras
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the site is checked once, in the TensorFlow pass"
)


def _browser():
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        result = subprocess.run(
            ["bash", str(ROOT / "scripts" / "install_browser.sh")], capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0 or not shutil.which("chromium"):
            pytest.skip(f"headless Chromium could not be installed here: {result.stderr.strip()[-300:]}")
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
    ):
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    return webdriver.Chrome(options=options, service=service)


@pytest.fixture
def site(built_site):
    """The strictly built site (tests/docs/conftest.py) served on 127.0.0.1; yields its base URL and folder."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_site))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", built_site
    server.shutdown()


def _status(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _audio_durations(driver):
    """[(source, seconds)] of every <audio> on the page, after the browser has loaded and decoded its
    header (a file it cannot play has no duration: NaN, reported as -1)."""
    driver.set_script_timeout(60)
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const players = Array.from(document.querySelectorAll('audio'));
        Promise.all(players.map(player => new Promise(resolve => {
            const report = () => resolve([player.currentSrc || player.src,
                                          isFinite(player.duration) ? player.duration : -1]);
            if (player.readyState >= 1) { report(); return; }
            player.addEventListener('loadedmetadata', report, {once: true});
            player.addEventListener('error', report, {once: true});
            player.preload = 'metadata';
            player.load();
        }))).then(done);
    """)


def test_every_page_renders_with_its_images_audio_links_and_search_index(site):
    base, folder = site
    pages = sorted(
        str(path.parent.relative_to(folder))
        for path in folder.rglob("index.html")
        if "search" not in path.parts and "assets" not in path.parts
    )
    assert {".", "install", "tutorials/quickstart", "tutorials/speech", "api/models"} <= set(pages), pages
    assert _status(base + "search/search_index.json") == 200
    driver = _browser()
    try:
        for page in pages:
            url = urllib.parse.urljoin(base, "" if page == "." else page + "/")
            driver.get(url)
            heading = driver.find_element("css selector", "article h1").text.strip()
            assert heading and heading in driver.title, (page, heading, driver.title)
            for source, width in driver.execute_script(
                "return Array.from(document.images).map(i => [i.currentSrc || i.src, i.naturalWidth]);"
            ):
                assert _status(source) == 200 and width > 0, (page, source, width)
            players = _audio_durations(driver)
            for source, duration in players:
                assert _status(source) == 200 and duration > 0, (page, source, duration)
            if page == "tutorials/speech":
                # Four one-second prior samples (WAV), and the evaluation's 8 utterances (MP3): the original, its
                # reconstruction and its conversion of each play for the original's length.
                samples = [duration for source, duration in players if source.endswith(".wav")]
                assert len(samples) == 4 and all(abs(duration - 1.0) < 0.01 for duration in samples), players
                clips = {}
                for source, duration in players:
                    if source.endswith(".mp3"):
                        clips.setdefault(source.rsplit("/", 1)[1].rsplit("_", 1)[0], []).append(duration)
                assert len(clips) == 8 and all(len(durations) == 3 for durations in clips.values()), clips
                assert all(
                    max(durations) - min(durations) < 0.1 and min(durations) > 4.0 for durations in clips.values()
                ), clips
            links = driver.execute_script(
                "return Array.from(document.querySelectorAll('article a[href]')).map(a => a.href);"
            )
            for link in {link.split("#")[0] for link in links if link.startswith(base)}:
                assert _status(link) == 200, (page, link)
    finally:
        driver.quit()
