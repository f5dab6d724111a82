"""How fast each data pipeline delivers, against how fast VQ-VAE training consumes.

For CIFAR-10 (the real 50,000 training PNGs), KaoKore (synthetic 256x256
JPEGs written in the KaoKore layout, since the real images cannot be fetched
here) and LibriSpeech (the real subset), in one run on this machine:

- pipeline: examples/s (images/s, or audio seconds/s) from `keras_vq.data.load`
  in steady state (after `--warmup-batches`, so the shuffle buffer is full and
  TFDS has prepared its copy), without and with `cache=True`; and from
  `keras_vq.data.load_numpy`;
- training: the rate a VQ-VAE's `model.fit` consumes the same batches, timed
  on in-memory arrays so that data loading is not in it;
- ratio: pipeline rate / training rate. The target is >= 10x.

    python benchmarks/pipelines.py --data-dir ../shared/data [--batches 200]

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
        split="train", batch_size=16, options={},
        model=dict(data_shape=(256, 256, 3), num_downsamples=2),
    ),
    "librispeech": dict(
        split="train-clean-5", batch_size=8, options=dict(crop_length=16_384),
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


def examples_per_second(batches, num_batches, warmup_batches):
    iterator = iter(batches)
    for _ in range(warmup_batches):
        next(iterator)
    start = time.perf_counter()
    count = 0
    for _ in range(num_batches):
        count += len(next(iterator))
    return count / (time.perf_counter() - start)


def numpy_examples_per_second(batches, num_batches):
    start = time.perf_counter()
    count = 0
    for index in range(num_batches):
        if index and index % len(batches) == 0:
            batches.on_epoch_end()
        count += len(batches[index % len(batches)])
    return count / (time.perf_counter() - start)


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
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--warmup-batches", type=int, default=100)
    parser.add_argument("--train-steps", type=int, default=10)
    parser.add_argument("--prepared-dir", type=pathlib.Path, default=None)
    args = parser.parse_args()
    print(f"backend {keras.backend.backend()}")
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        data_dirs = {
            "cifar10": args.data_dir,
            "kaokore": write_synthetic_kaokore(pathlib.Path(scratch) / "kaokore"),
            "librispeech": args.data_dir,
        }
        for name, setting in PIPELINES.items():
            common = dict(data_dir=data_dirs[name], **setting["options"])
            rates = {}
            for cache in (False, True):
                batches = keras_vq.data.load(
                    name, setting["split"], setting["batch_size"], cache=cache,
                    prepared_dir=args.prepared_dir, **common,
                ).repeat()
                rates[f"tf.data cache={cache}"] = examples_per_second(
                    batches, args.batches, args.warmup_batches
                )
            numpy_batches = keras_vq.data.load_numpy(name, setting["split"], setting["batch_size"], **common)
            rates["numpy"] = numpy_examples_per_second(numpy_batches, args.batches)
            training = training_examples_per_second(
                setting["model"], numpy_batches[0], args.train_steps, warmup_steps=2
            )
            unit = "examples/s"
            if name == "librispeech":  # Report audio seconds per second.
                seconds_per_example = setting["options"]["crop_length"] / AUDIO_SAMPLE_RATE
                rates = {key: value * seconds_per_example for key, value in rates.items()}
                training *= seconds_per_example
                unit = "audio s/s"
            for path, rate in rates.items():
                rows.append((name, path, rate, training, unit))
    print(f"{'dataset':<12} {'pipeline':<22} {'delivers':>12} {'training uses':>14} {'ratio':>8}  unit")
    for name, path, rate, training, unit in rows:
        print(f"{name:<12} {path:<22} {rate:>12,.0f} {training:>14,.1f} {rate / training:>7.1f}x  {unit}")


if __name__ == "__main__":
    main()
