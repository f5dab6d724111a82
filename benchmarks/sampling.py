"""Prior sampling on every installed backend: the cached loop against the naive loop.

    python benchmarks/sampling.py [--prior pixelcnn|transformer] [--prior-arguments JSON]
                                  [--num-samples 8 --sizes 8,32] [--backends tensorflow jax torch]
                                  [--jit-compile]

For each backend (in a process of its own) and each code-map size (K = 512
codes), builds the same class-conditional prior (same seed; `--prior` names
it in `keras_vq.models.PRIORS`, `--prior-arguments` its architecture, by
default PixelCNN's 8 blocks of 64 channels or the transformer's 4 blocks of
width 128 with 4 heads), runs each
sampler once to compile it (timed: the "first call" column, which includes
tracing and compiling; not on PyTorch, which runs eagerly and compiles
nothing), then times one call of each drawing `--num-samples` maps from the
same seed, checks that they drew the same codes, and prints
seconds, milliseconds a position, and the ratio naive / cached. The naive
loop runs the whole network once a position (H * W full passes): at 32x32
it takes minutes on a CPU. `--jit-compile` compiles the prior with
`jit_compile=True` first, which the loops follow on TensorFlow (XLA, which
Keras leaves off on a CPU; JAX always compiles with XLA, PyTorch runs eagerly).
"""

import argparse
import json

from backends import add_backend_arguments, installed_backends, run_on_backend, time_each_method

NUM_EMBEDDINGS = 512
NUM_CLASSES = 10
DEFAULT_ARGUMENTS = {
    "pixelcnn": {"channels": 64, "num_blocks": 8},
    "transformer": {"dim": 128, "num_layers": 4, "num_heads": 4},
}


def measure(prior_name, size, arguments, num_samples, jit_compile=False):
    """Seconds of the first and of a timed call of each sampler, and whether they drew the same codes."""
    import keras

    from keras_vq.models import PRIORS

    keras.utils.set_random_seed(0)
    prior = PRIORS[prior_name](
        code_shape=(size, size), num_embeddings=NUM_EMBEDDINGS, num_classes=NUM_CLASSES, **arguments
    )
    if jit_compile:
        prior.compile(optimizer="adam", jit_compile=True)
    labels = [index % NUM_CLASSES for index in range(num_samples)]
    figures, codes = time_each_method(
        lambda method: prior.sample(num_samples, class_labels=labels, seed=1, method=method, verbose=0),
        ("cached", "naive"),
    )
    figures["same_codes"] = float((codes["cached"] == codes["naive"]).mean())
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prior", choices=sorted(DEFAULT_ARGUMENTS), default="pixelcnn")
    parser.add_argument("--prior-arguments", type=json.loads, help="the architecture, as JSON (default: see above)")
    parser.add_argument("--num-samples", type=int, default=8)
    parser.add_argument("--sizes", default="8,32", help="comma-separated map sizes (square)")
    parser.add_argument("--jit-compile", action="store_true", help="compile the prior with jit_compile=True")
    add_backend_arguments(parser)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    arguments = DEFAULT_ARGUMENTS[args.prior] if args.prior_arguments is None else args.prior_arguments
    if args.worker:
        print(json.dumps(measure(args.prior, args.size, arguments, args.num_samples, args.jit_compile)))
        return
    print(
        f"{args.prior} sampling: {json.dumps(arguments)}, K {NUM_EMBEDDINGS}, class-conditional, "
        f"{args.num_samples} samples a call" + (", jit_compile=True" if args.jit_compile else "")
    )
    print("| backend | map | cached: first call | naive | cached | cached ms/position | ratio | same codes |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for backend in installed_backends(args.backends):
        for size in (int(size) for size in args.sizes.split(",")):
            figures = run_on_backend(
                backend,
                __file__,
                [
                    "--size",
                    size,
                    "--prior",
                    args.prior,
                    "--prior-arguments",
                    json.dumps(arguments),
                    "--num-samples",
                    args.num_samples,
                    *(["--jit-compile"] if args.jit_compile else []),
                ],
            )
            print(
                f"| {backend} | {size}x{size} | {figures['cached_first_call_s']:.2f} s | {figures['naive_timed_s']:.2f} s "
                f"| {figures['cached_timed_s']:.3f} s | {1e3 * figures['cached_timed_s'] / size**2:.2f} "
                f"| {figures['naive_timed_s'] / figures['cached_timed_s']:.1f}x | {figures['same_codes']:.2%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
