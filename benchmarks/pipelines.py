"""How fast each data pipeline delivers, against how fast VQ-VAE training consumes.

For CIFAR-10 (the real 50,000 training PNGs), KaoKore (synthetic 256x256
JPEGs written in the KaoKore layout, since the real images cannot be fetched
here) and LibriSpeech (the real subset), in one run on this machine:

- startup: seconds the `load`/`load_numpy` call takes, from nothing prepared
  (TFDS prepares into a fresh folder; the NumPy path reads and decodes every
  file);
- epoch 1 and epoch 2: examples/s (images/s, or audio seconds/s) over a whole
  pass, shuffle-buffer fill included, for `keras_vq.data.load` without and with `cache=True`, and for
  `keras_vq.data.load_numpy`;
- training: the rate a VQ-VAE's `model.fit` consumes the same batches, timed
  on in-memory arrays so that data loading is not in it;
- ratio: the slower epoch's rate / the training rate. The target is >= 10x.

    python benchmarks/pipelines.py --data-dir ../shared/data

The pipeline and the training are timed one after the other; during real
training they share the CPU cores.
"""

import argparse
import pathlib
import tempfile
import time

import keras
import numpy as np
from PIL import Image

import keras_vq

AUDIO_SAMPLE_RATE = 16_000
# name, split, batch size, load() options, model arguments, what one example is worth.
PIPELINES = {
    "cifar10": dict(split="train", batch_size=128, options={}, model=dict(data_shape=(32, 32, 3))),
    "kaokore": dict(
        split="train",
        batch_size=16,
        options={},
        model=dict(data_shape=(256, 256, 3), num_downsamples=2),
    ),
    "librispeech": dict(
        split="train-clean-5",
        batch_size=8,
        options=dict(crop_length=16_384),
        model=dict(data_shape=(16_384, 1), data_range=(-1.0, 1.0), num_downsamples=6),
    ),
}


def write_synthetic_kaokore(root, num_images=512):
    """256x256 JPEGs of smooth random textures, with a labels.csv, in the KaoKore layout."""
    rng = np.random.default_rng(0)
    images_dir = root / "images_256"
    images_dir.mkdir(parents=True)
    lines = ["image,gender,status,set"]
    for index in range(num_images):
        coarse = rng.uniform(0, 255, (16, 16, 3)).astype(np.uint8)
        image = Image.fromarray(coarse).resize((256, 256), Image.BICUBIC)
        name = f"{index:08d}.jpg"
        image.save(images_dir / name, quality=90)
        lines.append(f"{name},{index % 2},{index % 4},train")
    (root / "labels.csv").write_text("\n".join(lines) + "\n")
    return root


def timed_epochs(make_batches, epochs=2):
    """`(startup seconds, [examples/s of each whole epoch])`; `make_batches()` builds the pipeline.

    Startup is the `load` call (TFDS preparation, or reading every file on the
    NumPy path); each epoch is timed whole, from a fresh iterator (so the
    shuffle buffer's fill is in it) to the last batch.
    """
    start = time.perf_counter()
    batches = make_batches()
    startup = time.perf_counter() - start
    rates = []
    for _ in range(epochs):
        count, epoch_start = 0, time.perf_counter()
        if isinstance(batches, keras.utils.PyDataset):
            for index in range(len(batches)):
                count += len(batches[index])
            batches.on_epoch_end()
        else:
            for batch in batches:
                count += len(batch)
        rates.append(count / (time.perf_counter() - epoch_start))
    return startup, rates


def training_examples_per_second(model_arguments, batch, steps, warmup_steps):
    model = keras_vq.models.VQVAE(**model_arguments)
    model.compile(optimizer=keras.optimizers.Adam(3e-4))
    repeated = lambda count: np.concatenate([batch] * count)  # noqa: E731
    model.fit(repeated(warmup_steps), batch_size=len(batch), epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(repeated(steps), batch_size=len(batch), epochs=1, verbose=0, shuffle=False)
    return steps * len(batch) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=pathlib.Path, required=True)
    parser.add_argument("--train-steps", type=int, default=10)
    args = parser.parse_args()
    print(f"backend {keras.backend.backend()}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        data_dirs = {
            "cifar10": args.data_dir,
            "kaokore": write_synthetic_kaokore(scratch / "kaokore"),
            "librispeech": args.data_dir,
        }
        for name, setting in PIPELINES.items():
            common = dict(data_dir=data_dirs[name], **setting["options"])
            results = {}
            for cache in (False, True):
                results[f"tf.data cache={cache}"] = timed_epochs(
                    lambda: keras_vq.data.load(
                        name,
                        setting["split"],
                        setting["batch_size"],
                        cache=cache,
                        prepared_dir=scratch / f"prepared-cache-{cache}",
                        **common,
                    )
                )
            numpy_batches = None

            def make_numpy_batches():
                nonlocal numpy_batches
                numpy_batches = keras_vq.data.load_numpy(
                    name, setting["split"], setting["batch_size"], progress=False, **common
                )
                return numpy_batches

            results["numpy"] = timed_epochs(make_numpy_batches)
            training = training_examples_per_second(
                setting["model"], numpy_batches[0], args.train_steps, warmup_steps=2
            )
            scale, unit = 1.0, "images/s"
            if name == "librispeech":
                scale, unit = setting["options"]["crop_length"] / AUDIO_SAMPLE_RATE, "audio s/s"
            for path, (startup, rates) in results.items():
                rows.append((name, path, startup, [rate * scale for rate in rates], training * scale, unit))
    print(
        f"{'dataset':<12} {'pipeline':<20} {'startup s':>9} {'epoch 1':>9} {'epoch 2':>9} "
        f"{'training':>9} {'ratio':>7}  unit"
    )
    for name, path, startup, (first, second), training, unit in rows:
        print(
            f"{name:<12} {path:<20} {startup:>9.1f} {first:>9,.0f} {second:>9,.0f} "
            f"{training:>9,.1f} {min(first, second) / training:>6.1f}x  {unit}"
        )


if __name__ == "__main__":
    main()
