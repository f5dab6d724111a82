"""WaveNet generation: incremental (per-layer queues) against the naive loop (a full pass per sample).

    KERAS_BACKEND=jax python benchmarks/generation.py [--channels 64 --num-samples 8]

Builds a speaker- and code-conditioned WaveNet of 10 layers with dilations
1 .. 512 (a receptive field of 1,024 samples), compiles both generators (a
first, untimed call), then times each generating `--num-samples` sequences
of 1,024 samples (the receptive field, so the naive loop's full pass per
sample recomputes exactly the receptive field) from the same seed, checks
that they drew the same samples, and prints seconds and the ratio.
"""

import argparse
import time

import keras
import numpy as np

from keras_vq.models import WaveNet

NUM_LAYERS = 10  # Dilations 1 .. 512: 1 + 1023 = 1,024 samples of receptive field.
UPSAMPLING = 64  # Samples per code, as the VQ-VAE's 64x audio encoder.


def time_generator(model, method, speakers, codes):
    model.generate(None, speakers=speakers, local_codes=codes, seed=0, method=method)  # compile
    start = time.perf_counter()
    samples = model.generate(None, speakers=speakers, local_codes=codes, seed=1, method=method)
    return time.perf_counter() - start, samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--num-samples", type=int, default=8)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    model = WaveNet(num_symbols=256, channels=args.channels, skip_channels=2 * args.channels,
                    num_layers=NUM_LAYERS, layers_per_cycle=NUM_LAYERS, num_speakers=28,
                    local_num_embeddings=512, upsampling=UPSAMPLING)
    length = model.receptive_field
    rng = np.random.default_rng(0)
    speakers = rng.integers(0, 28, args.num_samples)
    codes = rng.integers(0, 512, (args.num_samples, length // UPSAMPLING))
    print(f"backend {keras.backend.backend()}, {NUM_LAYERS} layers, channels {args.channels}, receptive field "
          f"{model.receptive_field}, {args.num_samples} sequences of {length} samples")
    incremental_seconds, incremental = time_generator(model, "incremental", speakers, codes)
    naive_seconds, naive = time_generator(model, "naive", speakers, codes)
    print(f"naive {naive_seconds:.3f} s, incremental {incremental_seconds:.3f} s, "
          f"ratio {naive_seconds / incremental_seconds:.1f}x, same samples {(naive == incremental).mean():.2%}")


if __name__ == "__main__":
    main()
