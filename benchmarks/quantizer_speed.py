"""Training steps/s of Sonnet's CIFAR-10 VQ-VAE with each quantizer, against the VectorQuantizer, same run.

The quantizers of the comparison study (`recipes/compare_quantizers.py`), 10 bits at each of the 8x8
positions: VQ (K = 1,024, EMA, restarts), VQ with the rotation trick, residual VQ (2 x 32), FSQ
[8, 5, 5, 5] and LFQ (10 bits); batch 32, Adam 3e-4, `model.fit` on random images, after warm-up steps
(which include compilation). The rounds alternate the quantizers, and each figure is the median over
rounds, so a slow spell of the machine falls on all of them alike.

    KERAS_BACKEND=tensorflow python benchmarks/quantizer_speed.py [--steps 60] [--rounds 3]
                                                                  [--dtype-policy mixed_bfloat16]

Prints steps/s for each quantizer and its ratio to the VectorQuantizer's.
"""

import argparse
import statistics
import time

import keras
import numpy as np

import keras_vq
from keras_vq.layers import FiniteScalarQuantizer, LookupFreeQuantizer, ResidualVectorQuantizer, VectorQuantizer

BATCH_SIZE = 32
QUANTIZERS = {
    "vq": lambda: VectorQuantizer(1024, 64, dead_code_threshold=1.0, seed=0),
    "vq-rotation": lambda: VectorQuantizer(1024, 64, dead_code_threshold=1.0, gradient="rotation", seed=0),
    "residual": lambda: ResidualVectorQuantizer(2, 32, 64, stage_options=dict(dead_code_threshold=1.0), seed=0),
    "fsq": lambda: FiniteScalarQuantizer([8, 5, 5, 5]),
    "lfq": lambda: LookupFreeQuantizer(10),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=60, help="timed steps a round")
    parser.add_argument("--warmup-steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dtype-policy", default="float32")
    arguments = parser.parse_args()
    keras.config.set_dtype_policy(arguments.dtype_policy)
    images = np.random.default_rng(0).uniform(size=(arguments.steps * BATCH_SIZE, 32, 32, 3)).astype("float32")
    models = {}
    for name, make in QUANTIZERS.items():
        model = keras_vq.models.VQVAE.from_preset("cifar10", load_weights=False, quantizer=make(), dtype=None)
        model.compile(optimizer=keras.optimizers.Adam(3e-4))
        model.fit(images[: arguments.warmup_steps * BATCH_SIZE], batch_size=BATCH_SIZE, verbose=0, shuffle=False)
        models[name] = model
    rates = {name: [] for name in QUANTIZERS}
    for _ in range(arguments.rounds):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(images, batch_size=BATCH_SIZE, verbose=0, shuffle=False)
            rates[name].append(arguments.steps / (time.perf_counter() - start))
    baseline = statistics.median(rates["vq"])
    print(
        f"backend {keras.backend.backend()}, {arguments.dtype_policy}, batch {BATCH_SIZE}, median of "
        f"{arguments.rounds} rounds of {arguments.steps} steps"
    )
    print("| quantizer | steps/s | vs vq |")
    print("| --- | ---: | ---: |")
    for name, values in rates.items():
        rate = statistics.median(values)
        print(f"| {name} | {rate:.2f} | {rate / baseline:.2f}x |")


if __name__ == "__main__":
    main()
