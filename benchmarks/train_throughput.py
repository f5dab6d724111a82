"""Training steps/s of the VQ-VAE: keras_vq on each backend against the same model written by hand in
that backend's framework, and every figure against plain PyTorch.

The model is DeepMind Sonnet's CIFAR-10 VQ-VAE (`keras_vq.models.VQVAE()`;
`handwritten_vqvae.py` states it): batch 32, Adam 3e-4. keras_vq trains with
`model.fit` on NumPy arrays, as a user would; the hand-written baselines are
the same model written directly in PyTorch (eager, channels-first), JAX (one
`jax.jit` step) and TensorFlow (one `tf.function` step). Every run is a
process of its own; each figure is the median of `--rounds` runs, the
implementations of a framework alternating, of `--steps` timed steps after
`--warmup-steps`.

    python benchmarks/train_throughput.py [--steps 100] [--warmup-steps 20] [--rounds 3]
                                          [--precisions float32 mixed_bfloat16] [--frameworks jax ...]

Prints, for float32 and then mixed bfloat16 (Keras' `mixed_bfloat16` policy
against `torch.autocast("cpu", torch.bfloat16)` and bfloat16 convolutions in
JAX and TensorFlow; the quantizer stays float32 in all): steps/s of each,
keras_vq over its own framework by hand (our overhead), and each over
plain PyTorch (the frameworks' kernels: not ours to change).
"""

import argparse
import json
import statistics
import time

from backends import installed_backends, run_on_backend
from handwritten_vqvae import BATCH_SIZE, HANDWRITTEN, IMAGE_SHAPE, LEARNING_RATE

NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def keras_steps_per_second(precision, steps, warmup_steps):
    """keras_vq's VQVAE trained with `fit` on the backend this process runs."""
    import keras
    import numpy as np

    import keras_vq

    keras.config.set_dtype_policy(precision)
    images = np.random.default_rng(0).uniform(size=((steps + warmup_steps) * BATCH_SIZE,) + IMAGE_SHAPE)
    images = images.astype("float32")
    model = keras_vq.models.VQVAE()
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE))
    model.fit(images[: warmup_steps * BATCH_SIZE], batch_size=BATCH_SIZE, epochs=1, verbose=0, shuffle=False)
    start = time.perf_counter()
    model.fit(images[warmup_steps * BATCH_SIZE :], batch_size=BATCH_SIZE, epochs=1, verbose=0, shuffle=False)
    return steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup-steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--precisions", nargs="+", default=["float32", "mixed_bfloat16"], choices=["float32", "mixed_bfloat16"]
    )
    parser.add_argument("--frameworks", nargs="+", choices=list(NAMES))
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--implementation", choices=["keras_vq", "handwritten"], help=argparse.SUPPRESS)
    parser.add_argument("--framework", choices=list(NAMES), help=argparse.SUPPRESS)
    parser.add_argument("--precision", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        measure = keras_steps_per_second if args.implementation == "keras_vq" else HANDWRITTEN[args.framework]
        print(json.dumps({"steps_per_second": measure(args.precision, args.steps, args.warmup_steps)}))
        return

    frameworks = installed_backends(args.frameworks)
    if "torch" not in frameworks:
        raise SystemExit("the plain-PyTorch column needs torch: pip install torch==2.13.0")
    frameworks = ["torch"] + [name for name in frameworks if name != "torch"]

    def rate(implementation, framework, precision):
        arguments = [
            "--implementation",
            implementation,
            "--framework",
            framework,
            "--precision",
            precision,
            "--steps",
            args.steps,
            "--warmup-steps",
            args.warmup_steps,
        ]
        return run_on_backend(framework, __file__, arguments)["steps_per_second"]

    print(
        f"VQ-VAE training, Sonnet's CIFAR-10 configuration, batch {BATCH_SIZE}; median of {args.rounds} "
        f"rounds of {args.steps} steps after {args.warmup_steps} warm-up steps, each run a process of its own"
    )
    print(
        "| precision | framework | by hand, steps/s | keras_vq, steps/s | keras_vq / by hand "
        "| by hand / plain PyTorch | keras_vq / plain PyTorch |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for precision in args.precisions:
        plain_pytorch = None
        for framework in frameworks:
            rounds = {"handwritten": [], "keras_vq": []}
            for _ in range(args.rounds):
                for implementation in rounds:
                    rounds[implementation].append(rate(implementation, framework, precision))
            by_hand, ours = (statistics.median(rounds[name]) for name in ("handwritten", "keras_vq"))
            plain_pytorch = plain_pytorch or by_hand
            print(
                f"| {precision} | {NAMES[framework]} | {by_hand:.2f} | {ours:.2f} | **{ours / by_hand:.2f}x** "
                f"| {by_hand / plain_pytorch:.2f}x | {ours / plain_pytorch:.2f}x |",
                flush=True,
            )


if __name__ == "__main__":
    main()
