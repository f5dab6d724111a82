"""The dataset that ships inside keras_vq: 3,000 CIFAR-10 training images.

300 images of each class, the first by file name in the CIFAR-10 train split,
built by `scripts/make_cifar10_sample.py`. It lets the quick start and the
tests train on real images with nothing to download. The held-out CIFAR-10
test split is not in it.

CIFAR-10: Krizhevsky, "Learning Multiple Layers of Features from Tiny
Images", technical report, University of Toronto, 2009.
"""

import pathlib

import numpy as np

__all__ = ["load_cifar10_sample", "to_pixel_scale"]

CIFAR10_SAMPLE_PATH = pathlib.Path(__file__).with_name("cifar10_sample.npz")


def to_pixel_scale(images):
    """uint8 images -> float32 on the models' [0, 1] pixel scale (other dtypes are refused).

    Example:
        ```python
        import numpy as np

        import keras_vq

        print(keras_vq.data.to_pixel_scale(np.array([0, 51, 255], np.uint8)))  # [0.  0.2 1. ]
        ```
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images, got dtype {images.dtype}")
    return images.astype(np.float32) / 255.0


def load_cifar10_sample():
    """Returns `(images, labels, class_names)`.

    `images` is float32 `(3000, 32, 32, 3)` on the [0, 1] pixel scale the
    models expect; `labels` int32 class indices into `class_names`.

    Example:
        ```python
        import keras_vq

        images, labels, class_names = keras_vq.data.load_cifar10_sample()
        print(images.shape, images.dtype, labels[:3], class_names[labels[0]])  # (3000, 32, 32, 3) float32 ...
        ```
    """
    with np.load(CIFAR10_SAMPLE_PATH) as archive:
        images = to_pixel_scale(archive["images"])
        labels = archive["labels"].astype(np.int32)
        class_names = tuple(str(name) for name in archive["class_names"])
    return images, labels, class_names
