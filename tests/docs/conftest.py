import os
import subprocess
import sys

import keras
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def built_site(once_per_pass):
    """The docs site, built once per pass by `mkdocs build --strict` (no warning allowed): its folder.

    The strict build's test and the browser's read the same site; they run on the TensorFlow pass.
    """
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the site is built once, in the TensorFlow pass")

    def build(folder):
        environment = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        result = subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(folder)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env=environment,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        assert "WARNING" not in result.stderr, result.stderr[-3000:]

    return once_per_pass("site", build)
