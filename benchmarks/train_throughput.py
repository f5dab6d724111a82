"""Training steps/s of the VQ-VAE on every installed Keras backend vs plain PyTorch.

The configuration is DeepMind Sonnet's CIFAR-10 VQ-VAE example: two stride-2
4x4 convolutions down to 8x8, 128 hidden channels, 2 residual layers of 32
channels, D = 64, K = 512, EMA decay 0.99, beta 0.25, batch 32, Adam 3e-4.
Each backend runs in its own process (Keras fixes its backend at import) and
trains with `model.fit` as a user would; the baseline is the same
architecture written directly in PyTorch, trained eagerly, in this process.

    python benchmarks/train_throughput.py [--steps 200] [--warmup-steps 30]
                                          [--precisions float32 mixed_bfloat16]

Prints steps/s for each and the ratio to plain PyTorch at the same precision:
float32 everywhere, then mixed bfloat16 (Keras' `mixed_bfloat16` policy
against `torch.autocast("cpu", torch.bfloat16)`; the quantizer's codebook and
distances stay float32 in both).
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

BATCH_SIZE = 32
IMAGE_SHAPE = (32, 32, 3)
HIDDEN_CHANNELS, RESIDUAL_CHANNELS, NUM_RESIDUAL_LAYERS = 128, 32, 2
NUM_EMBEDDINGS, EMBEDDING_DIM, DECAY, BETA, EPSILON = 512, 64, 0.99, 0.25, 1e-5
LEARNING_RATE = 3e-4
BACKEND_MODULES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}

KERAS_WORKER = """
import json, sys, time
import numpy as np, keras, keras_vq
steps, warmup = int(sys.argv[1]), int(sys.argv[2])
keras.config.set_dtype_policy(sys.argv[3])
images = np.random.default_rng(0).uniform(size=((steps + warmup) * {batch},) + {shape}).astype("float32")
model = keras_vq.models.VQVAE()
model.compile(optimizer=keras.optimizers.Adam({lr}))
model.fit(images[: warmup * {batch}], batch_size={batch}, epochs=1, verbose=0, shuffle=False)
start = time.perf_counter()
model.fit(images[warmup * {batch}:], batch_size={batch}, epochs=1, verbose=0, shuffle=False)
print(json.dumps({{"steps_per_second": steps / (time.perf_counter() - start)}}))
""".format(batch=BATCH_SIZE, shape=IMAGE_SHAPE, lr=LEARNING_RATE)


def keras_steps_per_second(backend, precision, steps, warmup_steps):
    environment = dict(os.environ, KERAS_BACKEND=backend)
    result = subprocess.run([sys.executable, "-c", KERAS_WORKER, str(steps), str(warmup_steps), precision],
                            capture_output=True, text=True, env=environment)
    if result.returncode:
        raise RuntimeError(f"{backend} worker failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])["steps_per_second"]


def plain_pytorch_steps_per_second(precision, steps, warmup_steps):
    """The same model and EMA quantizer written directly in PyTorch, run eagerly."""
    import torch
    from torch import nn
    from torch.nn import functional

    class ResidualStack(nn.Module):
        def __init__(self, channels):
            super().__init__()
            self.blocks = nn.ModuleList(
                nn.Sequential(nn.ReLU(), nn.Conv2d(channels, RESIDUAL_CHANNELS, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(RESIDUAL_CHANNELS, channels, 1))
                for _ in range(NUM_RESIDUAL_LAYERS))

        def forward(self, inputs):
            for block in self.blocks:
                inputs = inputs + block(inputs)
            return functional.relu(inputs)

    class EMAQuantizer(nn.Module):
        def __init__(self):
            super().__init__()
            codebook = torch.empty(NUM_EMBEDDINGS, EMBEDDING_DIM).uniform_(-(3 / EMBEDDING_DIM) ** 0.5,
                                                                           (3 / EMBEDDING_DIM) ** 0.5)
            self.register_buffer("codebook", codebook)
            self.register_buffer("cluster_size", torch.ones(NUM_EMBEDDINGS))
            self.register_buffer("embedding_sum", codebook.clone())

        def forward(self, inputs):
            inputs = inputs.float()
            flat = inputs.permute(0, 2, 3, 1).reshape(-1, EMBEDDING_DIM)
            distances = (self.codebook**2).sum(1)[None] - 2 * flat.detach() @ self.codebook.t()
            indices = distances.argmin(1)
            codes = self.codebook[indices]
            if self.training:
                with torch.no_grad():
                    one_hot = functional.one_hot(indices, NUM_EMBEDDINGS).type(flat.dtype)
                    self.cluster_size.mul_(DECAY).add_(one_hot.sum(0), alpha=1 - DECAY)
                    self.embedding_sum.mul_(DECAY).add_(one_hot.t() @ flat, alpha=1 - DECAY)
                    total = self.cluster_size.sum()
                    smoothed = (self.cluster_size + EPSILON) / (total + NUM_EMBEDDINGS * EPSILON) * total
                    self.codebook.copy_(self.embedding_sum / smoothed[:, None])
            commitment = functional.mse_loss(flat, codes.detach())
            quantized = flat + (codes - flat).detach()
            return quantized.reshape(inputs.permute(0, 2, 3, 1).shape).permute(0, 3, 1, 2), BETA * commitment

    half = HIDDEN_CHANNELS // 2
    encoder = nn.Sequential(
        nn.Conv2d(3, half, 4, 2, 1), nn.ReLU(), nn.Conv2d(half, HIDDEN_CHANNELS, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(HIDDEN_CHANNELS, HIDDEN_CHANNELS, 3, padding=1), ResidualStack(HIDDEN_CHANNELS),
        nn.Conv2d(HIDDEN_CHANNELS, EMBEDDING_DIM, 1))
    quantizer = EMAQuantizer()
    decoder = nn.Sequential(
        nn.Conv2d(EMBEDDING_DIM, HIDDEN_CHANNELS, 3, padding=1), ResidualStack(HIDDEN_CHANNELS),
        nn.ConvTranspose2d(HIDDEN_CHANNELS, half, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(half, 3, 4, 2, 1))
    parameters = list(encoder.parameters()) + list(decoder.parameters())
    optimizer = torch.optim.Adam(parameters, lr=LEARNING_RATE)
    images = torch.rand((steps + warmup_steps) * BATCH_SIZE, 3, 32, 32)

    def train_step(batch):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "mixed_bfloat16"):
            features = encoder(batch - 0.5)
        quantized, quantizer_loss = quantizer(features)  # float32, as in keras_vq
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "mixed_bfloat16"):
            reconstructions = decoder(quantized)
        loss = functional.mse_loss(reconstructions.float() + 0.5, batch) + quantizer_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    for step in range(warmup_steps):
        train_step(images[step * BATCH_SIZE : (step + 1) * BATCH_SIZE])
    start = time.perf_counter()
    for step in range(warmup_steps, warmup_steps + steps):
        train_step(images[step * BATCH_SIZE : (step + 1) * BATCH_SIZE])
    return steps / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup-steps", type=int, default=30)
    parser.add_argument("--precisions", nargs="+", default=["float32", "mixed_bfloat16"],
                        choices=["float32", "mixed_bfloat16"])
    arguments = parser.parse_args()
    if importlib.util.find_spec("torch") is None:
        raise SystemExit("the plain-PyTorch baseline needs torch: pip install torch==2.13.0")
    print(f"VQ-VAE training, Sonnet CIFAR-10 configuration, batch {BATCH_SIZE}, {os.cpu_count()} CPU cores, "
          f"{arguments.steps} timed steps after {arguments.warmup_steps} warm-up steps")
    print(f"| precision | implementation | steps/s | vs plain PyTorch |")
    print(f"| --- | --- | ---: | ---: |")
    for precision in arguments.precisions:
        baseline = plain_pytorch_steps_per_second(precision, arguments.steps, arguments.warmup_steps)
        print(f"| {precision} | plain PyTorch (eager) | {baseline:.2f} | 1.00x |")
        for backend, module in BACKEND_MODULES.items():
            if importlib.util.find_spec(module) is None:
                print(f"| {precision} | keras_vq on {backend} | not installed | |")
                continue
            rate = keras_steps_per_second(backend, precision, arguments.steps, arguments.warmup_steps)
            print(f"| {precision} | keras_vq on {backend} | {rate:.2f} | {rate / baseline:.2f}x |")


if __name__ == "__main__":
    main()
