"""Which backend pass runs each check that does not depend on the backend: it runs once, on that pass.

`scripts/test.sh` runs the suite once per backend. What a backend changes (numerics, compilation,
distribution, saving) runs on every pass; what it does not is run on one pass only, named here.
"""

import keras
import pytest


def once_on(backend, what):
    """A skip mark: `what` runs on the `backend` pass only."""
    return pytest.mark.skipif(keras.backend.backend() != backend, reason=f"{what}: runs once, on the {backend} pass")


# Recipe plumbing (runs, resumes, outputs and refusals, in subprocesses): on PyTorch, whose small runs start
# and train fastest (nothing to compile). Which data path a recipe takes depends on whether TensorFlow is
# installed, not on the backend. (The quick start, the README's main job, runs on TensorFlow as documented.)
RECIPE_PLUMBING = once_on("torch", "recipe subprocess tests")

# `fit_resumably`'s bookkeeping: step counts rounded to whole epochs, bad counts refused, a run that goes
# non-finite stopped with its last good checkpoint kept. Its arithmetic and files, on PyTorch, where each
# small fit costs ~1 s (on TensorFlow ~13 s of contended CI time: every fit traces its step afresh). What
# a backend changes, resuming to the same weights and optimizer state, runs on every pass.
TRAINING_BOOKKEEPING = once_on("torch", "resumable training's bookkeeping")

# What importing keras-vq needs, and the readers' imports: subprocesses with packages hidden, the same on
# every backend but TensorFlow (which needs itself); on the PyTorch pass.
PACKAGING = once_on("torch", "import and extras checks")

# Files, folders, downloads, archives, the file readers, TFDS's builders and the data inspection command:
# plain Python, NumPy and tf.data, no Keras model or backend op; on the PyTorch pass.
BACKEND_INDEPENDENT = once_on("torch", "files, downloads and readers (no backend op)")

# The wheel installed into fresh environments, each with the backend it names: on TensorFlow, the pass
# whose two workers ended first (scripts/test.sh: with the installs on PyTorch, its one worker ended
# last, at 922 s, against TensorFlow's 755 s; with them here, 894 s against 822 s).
INSTALLS = once_on("tensorflow", "installs into fresh environments")
