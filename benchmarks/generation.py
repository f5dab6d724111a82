"""WaveNet sampling on every installed backend: the cached loop (per-layer queues) against the naive loop.

    python benchmarks/generation.py [--channels 64 --num-samples 8] [--backends tensorflow jax torch]

For each backend (in a process of its own), builds the same speaker- and
code-conditioned WaveNet (same seed) of 10 layers with dilations 1 .. 512 (a
receptive field of 1,024 samples), runs each generator once to compile it
(timed: the "first call" column; not on PyTorch, which runs eagerly and
compiles nothing), then times each generating
`--num-samples` sequences of 1,024 samples (the receptive field, so the
naive loop's full pass per sample recomputes exactly the receptive field)
from the same seed, checks that they drew the same samples, and prints
seconds, milliseconds a step, and the ratio naive / cached.
"""

import argparse
import json

from backends import add_backend_arguments, installed_backends, run_on_backend, time_each_method

NUM_LAYERS = 10  # Dilations 1 .. 512: 1 + 1023 = 1,024 samples of receptive field.
UPSAMPLING = 64  # Samples per code, as the VQ-VAE's 64x audio encoder.
NUM_SPEAKERS, NUM_CODES = 28, 512


def measure(channels, num_samples):
    """Seconds of the first and of a timed call of each generator, and whether they drew the same samples."""
    import keras
    import numpy as np

    from keras_vq.models import WaveNet

    keras.utils.set_random_seed(0)
    model = WaveNet(
        num_symbols=256,
        channels=channels,
        skip_channels=2 * channels,
        num_layers=NUM_LAYERS,
        layers_per_cycle=NUM_LAYERS,
        num_speakers=NUM_SPEAKERS,
        local_num_embeddings=NUM_CODES,
        upsampling=UPSAMPLING,
    )
    length = model.receptive_field
    rng = np.random.default_rng(0)
    speakers = rng.integers(0, NUM_SPEAKERS, num_samples)
    codes = rng.integers(0, NUM_CODES, (num_samples, length // UPSAMPLING))
    figures, samples = time_each_method(
        lambda method: model.sample(speakers=speakers, local_codes=codes, seed=1, method=method, verbose=0),
        ("cached", "naive"),
    )
    figures["length"] = length
    figures["same_samples"] = float((samples["cached"] == samples["naive"]).mean())
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--num-samples", type=int, default=8)
    add_backend_arguments(parser)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.channels, args.num_samples)))
        return
    print(
        f"WaveNet generation: {NUM_LAYERS} layers (dilations 1 .. 512, receptive field 1,024), "
        f"{args.channels} channels, speaker- and code-conditioned, {args.num_samples} sequences of 1,024 samples"
    )
    print("| backend | cached: first call | naive | cached | cached ms/step | ratio | same samples |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for backend in installed_backends(args.backends):
        figures = run_on_backend(backend, __file__, ["--channels", args.channels, "--num-samples", args.num_samples])
        print(
            f"| {backend} | {figures['cached_first_call_s']:.2f} s | {figures['naive_timed_s']:.2f} s "
            f"| {figures['cached_timed_s']:.3f} s | {1e3 * figures['cached_timed_s'] / figures['length']:.3f} "
            f"| {figures['naive_timed_s'] / figures['cached_timed_s']:.1f}x | {figures['same_samples']:.2%} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
