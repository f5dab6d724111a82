"""TFDS dataset builders and the plain-Python file readers they are built on.

Installed as `keras_vq.datasets` (see `package_dir` in setup.cfg), never as a
top-level `datasets` package, which would shadow HuggingFace's.

The `*_files.py` modules, `downloads`, `archives` and `bad_data` need only
NumPy, Pillow, soundfile and tqdm: the NumPy data path and the inspection
command use them where TensorFlow is absent. Only the
`*_dataset_builder.py` modules import `tensorflow_datasets`.
"""
