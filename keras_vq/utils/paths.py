"""Where keras_vq keeps what it downloads, prepares and trains: `$KERAS_HOME/keras_vq`."""

import os
import pathlib

__all__ = ["keras_vq_home"]


def keras_vq_home():
    """`$KERAS_HOME/keras_vq`, by default `~/.keras/keras_vq`."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return pathlib.Path(keras_home) / "keras_vq"
