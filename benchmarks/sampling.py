"""PixelCNN sampling: the cached loop against the naive loop (one full pass per position).

    KERAS_BACKEND=jax python benchmarks/sampling.py [--channels 64 --num-blocks 8 --num-samples 16]

For 8x8 and 32x32 code maps (K = 512), builds a class-conditional PixelCNN,
compiles both samplers (a first call, not timed), then times one call of
each drawing `--num-samples` maps from the same seed, checks that they drew
the same codes, and prints seconds and the ratio naive / cached.
"""

import argparse
import time

import keras

from keras_vq.models import PixelCNN

CODE_SHAPES = ((8, 8), (32, 32))
NUM_EMBEDDINGS = 512
NUM_CLASSES = 10


def time_sampler(prior, method, num_samples, labels):
    prior.sample(num_samples, class_labels=labels, seed=0, method=method)  # compile
    start = time.perf_counter()
    codes = prior.sample(num_samples, class_labels=labels, seed=1, method=method)
    return time.perf_counter() - start, codes


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--num-blocks", type=int, default=8)
    parser.add_argument("--num-samples", type=int, default=16)
    parser.add_argument("--sizes", default="8,32", help="comma-separated map sizes (square)")
    args = parser.parse_args()
    print(f"backend {keras.backend.backend()}, channels {args.channels}, blocks {args.num_blocks}, "
          f"K {NUM_EMBEDDINGS}, {args.num_samples} samples")
    print(f"{'map':>7} {'naive s':>9} {'cached s':>9} {'ratio':>7} {'same codes':>11}")
    for size in (int(s) for s in args.sizes.split(",")):
        keras.utils.set_random_seed(0)
        prior = PixelCNN(code_shape=(size, size), num_embeddings=NUM_EMBEDDINGS, channels=args.channels,
                         num_blocks=args.num_blocks, num_classes=NUM_CLASSES)
        labels = [index % NUM_CLASSES for index in range(args.num_samples)]
        cached_seconds, cached_codes = time_sampler(prior, "cached", args.num_samples, labels)
        naive_seconds, naive_codes = time_sampler(prior, "naive", args.num_samples, labels)
        same = (cached_codes == naive_codes).mean()
        print(f"{size:>3}x{size:<3} {naive_seconds:>9.3f} {cached_seconds:>9.3f} "
              f"{naive_seconds / cached_seconds:>6.1f}x {same:>10.2%}", flush=True)


if __name__ == "__main__":
    main()
