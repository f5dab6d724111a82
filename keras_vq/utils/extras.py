"""Optional dependencies: which extra installs each, and an import that says so.

`import keras_vq` needs only Keras and NumPy. The rest comes with extras:

    numpy-data   Pillow, soundfile, tqdm: the file readers, `load_numpy`, `inspect`
    data         the above plus TensorFlow and TFDS: `load` (tf.data) and the TFDS builders
    plots        matplotlib: `keras_vq.plots` and the recipes' figures
    recipes      numpy-data + plots: everything the recipes need without TensorFlow
    speech-eval  pocketsphinx, jiwer, pystoi, pesq, pyworld: `keras_vq.speech_quality`

Example:

    with keras_vq.utils.extras.naming_the_extra("reading FLAC audio"):
        import soundfile
    # without soundfile: ModuleNotFoundError: reading FLAC audio needs soundfile:
    #   pip install 'keras-vq[numpy-data]'
"""

import contextlib

__all__ = ["naming_the_extra"]

# Top-level module -> (the package to install, the smallest extra that installs it).
EXTRA_OF_MODULE = {
    "PIL": ("Pillow", "numpy-data"),
    "soundfile": ("soundfile", "numpy-data"),
    "tqdm": ("tqdm", "numpy-data"),
    "matplotlib": ("matplotlib", "plots"),
    "tensorflow": ("TensorFlow", "data"),
    "tensorflow_datasets": ("TensorFlow Datasets", "data"),
    "importlib_resources": ("importlib_resources", "data"),
    "pocketsphinx": ("pocketsphinx", "speech-eval"),
    "jiwer": ("jiwer", "speech-eval"),
    "pystoi": ("pystoi", "speech-eval"),
    "pesq": ("pesq", "speech-eval"),
    "pyworld": ("pyworld", "speech-eval"),
    "scipy": ("SciPy", "speech-eval"),
    "pkg_resources": ("setuptools<81 (pyworld imports pkg_resources)", "speech-eval"),
}


@contextlib.contextmanager
def naming_the_extra(purpose):
    """Turns a missing optional module, imported inside the block, into a
    `ModuleNotFoundError` naming `purpose`, the package and the extra to install."""
    try:
        yield
    except ModuleNotFoundError as error:
        top_level = (error.name or "").split(".")[0]
        if top_level not in EXTRA_OF_MODULE:
            raise
        package, extra = EXTRA_OF_MODULE[top_level]
        raise ModuleNotFoundError(
            f"{purpose} needs {package}, which is not installed: pip install 'keras-vq[{extra}]'",
            name=error.name,
        ) from error
