"""TFDS dataset builders and the plain-Python file readers they are built on.

Installed as `keras_vq.datasets` (see `package_dir` in setup.cfg), never as a
top-level `datasets` package, which would shadow HuggingFace's.

`registry.py` lists every dataset; each `<name>/` folder holds its reader
(`<name>_files.py`), its TFDS builder (`<name>_dataset_builder.py`) and its
description (`<name>_description.py`: kind, labels, download, what
`inspect` prints; see `dataset_description.py`). The readers, `downloads`,
`archives` and `bad_data` need only NumPy, Pillow, soundfile and tqdm (the
`numpy-data` extra): the NumPy data path and the inspection command use them
where TensorFlow is absent. Only the builders import `tensorflow_datasets`.
"""
