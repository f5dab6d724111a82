"""The pictures recipes write: reconstruction, sample and snapshot grids, loss and comparison curves,
audio plots (matplotlib, no display)."""

import numpy as np

from keras_vq.utils.atomic import atomic_path
from keras_vq.utils.extras import naming_the_extra

__all__ = [
    "save_reconstruction_grid",
    "save_loss_curves",
    "save_sample_grid",
    "save_audio_comparison",
    "save_comparison_curves",
    "save_snapshot_grid",
]

with naming_the_extra("keras_vq.plots"):
    import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

GRID_COLUMNS = 8


def _save(figure, path, dpi):
    """Writes `figure` to `path` atomically (matplotlib picks the format by the suffix) and closes it."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=dpi)
    plt.close(figure)


def save_reconstruction_grid(originals, reconstructions, path, data_range=(0.0, 1.0)):
    """Rows of originals, each followed by a row of their reconstructions, as a PNG."""
    low, high = data_range
    rows = 2 * -(-len(originals) // GRID_COLUMNS)
    figure, axes = plt.subplots(rows, GRID_COLUMNS, figsize=(GRID_COLUMNS * 1.2, rows * 1.25), squeeze=False)
    for axis in axes.flat:
        axis.axis("off")
    for index, (original, reconstruction) in enumerate(zip(originals, reconstructions)):
        row, column = 2 * (index // GRID_COLUMNS), index % GRID_COLUMNS
        for offset, image in ((0, original), (1, reconstruction)):
            axes[row + offset, column].imshow(np.clip((np.asarray(image) - low) / (high - low), 0.0, 1.0))
        axes[row, 0].set_title("original", fontsize=7, loc="left")
        axes[row + 1, 0].set_title("reconstruction", fontsize=7, loc="left")
    figure.tight_layout()
    _save(figure, path, dpi=120)


def save_loss_curves(history, path, keys=None):
    """One panel per logged quantity (all but `loss` unless `keys` says), against epoch."""
    keys = keys or [key for key in history if key != "loss" and not key.startswith("val_")]
    figure, axes = plt.subplots(1, len(keys), figsize=(3.2 * len(keys), 2.8), squeeze=False)
    for axis, key in zip(axes[0], keys):
        values = history[key]
        axis.plot(np.arange(1, len(values) + 1), values, label="training")
        if f"val_{key}" in history:
            axis.plot(np.arange(1, len(values) + 1), history[f"val_{key}"], label="held out")
            axis.legend(fontsize=7)
        axis.set_title(key.replace("_", " "), fontsize=9)
        axis.set_xlabel("epoch")
    figure.tight_layout()
    _save(figure, path, dpi=120)


def save_sample_grid(images, row_names, path, data_range=(0.0, 1.0)):
    """Generated images in one row per name (e.g. per class), in order, as a PNG."""
    low, high = data_range
    rows = len(row_names)
    columns = -(-len(images) // rows)
    figure, axes = plt.subplots(rows, columns, figsize=(columns * 1.0 + 0.8, rows * 1.0), squeeze=False)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_frame_on(False)
    for index, image in enumerate(images):
        axes[index // columns, index % columns].imshow(np.clip((np.asarray(image) - low) / (high - low), 0.0, 1.0))
    for row, name in enumerate(row_names):
        axes[row, 0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    figure.tight_layout()
    _save(figure, path, dpi=120)


def save_audio_comparison(rows, path, sample_rate=16_000):
    """One row per named clip: its waveform (left) and spectrogram (right), as a PNG.

    `rows` maps a name (e.g. "original", "reconstruction", "speaker 19") to
    float audio in [-1, 1]. Spectrograms: 512-sample Hann windows (32 ms at
    16 kHz), hop 128, power in dB, one colour scale for all rows.
    """
    figure, axes = plt.subplots(
        len(rows), 2, figsize=(10, 1.8 * len(rows)), squeeze=False, gridspec_kw={"width_ratios": [1, 1.2]}
    )
    for (name, audio), (wave_axis, spectrum_axis) in zip(rows.items(), axes):
        audio = np.asarray(audio, np.float32).reshape(-1)
        seconds = np.arange(len(audio)) / sample_rate
        wave_axis.plot(seconds, audio, linewidth=0.4)
        wave_axis.set_ylim(-1, 1)
        wave_axis.set_ylabel(name, fontsize=8)
        spectrum_axis.specgram(audio, NFFT=512, Fs=sample_rate, noverlap=384, cmap="magma", vmin=-140, vmax=-20)
        spectrum_axis.set_ylabel("Hz", fontsize=7)
    axes[-1, 0].set_xlabel("seconds")
    axes[-1, 1].set_xlabel("seconds")
    axes[0, 0].set_title("waveform", fontsize=9)
    axes[0, 1].set_title("spectrogram (dB)", fontsize=9)
    figure.tight_layout()
    _save(figure, path, dpi=110)


def save_comparison_curves(curves, path, titles):
    """One panel per figure: each model's mean over seeds against epoch, with a band of ± sd.

    `curves` maps a figure's key to `{model: (mean, sd)}` (arrays, one value an
    epoch; `keras_vq.comparison.curve_over_seeds`); `titles` maps each key to
    its panel title. The y axis is logarithmic where every value is positive
    and they span more than a factor of 10.
    """
    figure, axes = plt.subplots(1, len(curves), figsize=(4.6 * len(curves), 3.4), squeeze=False)
    for axis, (key, by_model) in zip(axes[0], curves.items()):
        everything = np.concatenate([np.asarray(mean) for mean, _ in by_model.values()])
        for model, (mean, sd) in by_model.items():
            mean, sd = np.asarray(mean), np.asarray(sd)
            epochs = np.arange(1, len(mean) + 1)
            axis.plot(epochs, mean, label=model, marker="o", markersize=2.5, linewidth=1.2)
            axis.fill_between(epochs, mean - sd, mean + sd, alpha=0.25)
        if everything.min() > 0 and everything.max() / everything.min() > 10:
            axis.set_yscale("log")
        axis.set_title(titles[key], fontsize=9)
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    _save(figure, path, dpi=120)


def save_snapshot_grid(originals, snapshots, path, data_range=(0.0, 1.0)):
    """The same images across training: a row of originals, then for each model one row per snapshot epoch.

    `snapshots` maps a model's name to `{epoch: reconstructions}` (e.g.
    `keras_vq.callbacks.ReconstructionSnapshots.snapshots`); rows are labelled
    "model, epoch n".
    """
    low, high = data_range
    rows = [("original", originals)] + [
        (f"{model}, epoch {epoch}", images)
        for model, by_epoch in snapshots.items()
        for epoch, images in sorted(by_epoch.items())
    ]
    columns = len(originals)
    figure, axes = plt.subplots(len(rows), columns, figsize=(columns * 0.9 + 1.4, len(rows) * 0.9), squeeze=False)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
        axis.set_frame_on(False)
    for row, (name, images) in enumerate(rows):
        for column, image in enumerate(images):
            axes[row, column].imshow(np.clip((np.asarray(image) - low) / (high - low), 0.0, 1.0))
        axes[row, 0].set_ylabel(name, fontsize=7, rotation=0, ha="right", va="center")
    figure.tight_layout(pad=0.3)
    _save(figure, path, dpi=120)
