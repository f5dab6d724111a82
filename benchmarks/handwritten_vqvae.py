"""The benchmark VQ-VAE written directly in each framework, without Keras: the baselines of
`train_throughput.py`.

DeepMind Sonnet's CIFAR-10 configuration, as `keras_vq.models.VQVAE()`
builds it: the input centred, two stride-2 4x4 convolutions (64, 128
channels, ReLU) down to 8x8, a 3x3 convolution, 2 residual layers (ReLU, 3x3
to 32, ReLU, 1x1 back, added; a ReLU after the stack), a 1x1 convolution to
D = 64; K = 512 codes with EMA updates (decay 0.99, epsilon 1e-5; the
codebook statistics start as if every code had been picked once), beta 0.25,
straight-through gradients; the mirror-image decoder (3x3, residual stack,
two stride-2 4x4 transposed convolutions); squared error; Adam 3e-4; batch 32
of 32x32x3 images. Mixed bfloat16 runs the convolutions in bfloat16 and the
quantizer, losses and weights in float32, as Keras' `mixed_bfloat16` does.

Each `*_steps_per_second(precision, steps, warmup_steps)` trains on random
images held in the framework's memory and returns the timed steps a second:
PyTorch eagerly in channels-first layout (its native one), JAX as one
`jax.jit`-compiled step (buffers donated), TensorFlow as one `tf.function`
step (graph mode, no XLA, as Keras runs TensorFlow on a CPU), both
channels-last. These do only the model's maths: none of the per-step metrics
(perplexity, codebook usage, loss means) keras_vq reports.
"""

import time

BATCH_SIZE = 32
IMAGE_SHAPE = (32, 32, 3)
HIDDEN_CHANNELS, RESIDUAL_CHANNELS, NUM_RESIDUAL_LAYERS = 128, 32, 2
NUM_EMBEDDINGS, EMBEDDING_DIM, DECAY, BETA, EPSILON = 512, 64, 0.99, 0.25, 1e-5
LEARNING_RATE, ADAM_BETAS, ADAM_EPSILON = 3e-4, (0.9, 0.999), 1e-7

# (kernel, input channels, output channels, stride) of each convolution, in order.
HALF = HIDDEN_CHANNELS // 2
RESIDUAL_LAYERS = [
    ((3, HIDDEN_CHANNELS, RESIDUAL_CHANNELS, 1), (1, RESIDUAL_CHANNELS, HIDDEN_CHANNELS, 1))
    for _ in range(NUM_RESIDUAL_LAYERS)
]
ENCODER_STEM = [(4, 3, HALF, 2), (4, HALF, HIDDEN_CHANNELS, 2), (3, HIDDEN_CHANNELS, HIDDEN_CHANNELS, 1)]
TO_LATENT = (1, HIDDEN_CHANNELS, EMBEDDING_DIM, 1)
DECODER_STEM = (3, EMBEDDING_DIM, HIDDEN_CHANNELS, 1)
UPSAMPLING = [(4, HIDDEN_CHANNELS, HALF, 2), (4, HALF, 3, 2)]  # transposed


def _time_steps(train_step, batches, steps, warmup_steps, wait=lambda result: None):
    result = None
    for step in range(warmup_steps):
        result = train_step(batches(step))
    wait(result)
    start = time.perf_counter()
    for step in range(warmup_steps, warmup_steps + steps):
        result = train_step(batches(step))
    wait(result)
    return steps / (time.perf_counter() - start)


def torch_steps_per_second(precision, steps, warmup_steps):
    """Plain PyTorch, eager, channels-first, on the GPU if there is one (as Keras' torch backend)."""
    import torch
    from torch import nn
    from torch.nn import functional

    class ResidualStack(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = nn.ModuleList(
                nn.Sequential(
                    nn.ReLU(),
                    nn.Conv2d(HIDDEN_CHANNELS, RESIDUAL_CHANNELS, 3, padding=1),
                    nn.ReLU(),
                    nn.Conv2d(RESIDUAL_CHANNELS, HIDDEN_CHANNELS, 1),
                )
                for _ in range(NUM_RESIDUAL_LAYERS)
            )

        def forward(self, inputs):
            for block in self.blocks:
                inputs = inputs + block(inputs)
            return functional.relu(inputs)

    class EMAQuantizer(nn.Module):
        def __init__(self):
            super().__init__()
            limit = (3 / EMBEDDING_DIM) ** 0.5
            codebook = torch.empty(NUM_EMBEDDINGS, EMBEDDING_DIM).uniform_(-limit, limit)
            self.register_buffer("codebook", codebook)
            self.register_buffer("cluster_size", torch.ones(NUM_EMBEDDINGS))
            self.register_buffer("embedding_sum", codebook.clone())

        def forward(self, inputs):
            inputs = inputs.float()
            flat = inputs.permute(0, 2, 3, 1).reshape(-1, EMBEDDING_DIM)
            distances = (self.codebook**2).sum(1)[None] - 2 * flat.detach() @ self.codebook.t()
            indices = distances.argmin(1)
            codes = self.codebook[indices]
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

    device = "cuda" if torch.cuda.is_available() else "cpu"
    encoder = nn.Sequential(
        nn.Conv2d(3, HALF, 4, 2, 1),
        nn.ReLU(),
        nn.Conv2d(HALF, HIDDEN_CHANNELS, 4, 2, 1),
        nn.ReLU(),
        nn.Conv2d(HIDDEN_CHANNELS, HIDDEN_CHANNELS, 3, padding=1),
        ResidualStack(),
        nn.Conv2d(HIDDEN_CHANNELS, EMBEDDING_DIM, 1),
    )
    quantizer = EMAQuantizer()
    decoder = nn.Sequential(
        nn.Conv2d(EMBEDDING_DIM, HIDDEN_CHANNELS, 3, padding=1),
        ResidualStack(),
        nn.ConvTranspose2d(HIDDEN_CHANNELS, HALF, 4, 2, 1),
        nn.ReLU(),
        nn.ConvTranspose2d(HALF, 3, 4, 2, 1),
    )
    for module in (encoder, quantizer, decoder):
        module.to(device)
    optimizer = torch.optim.Adam(
        list(encoder.parameters()) + list(decoder.parameters()), lr=LEARNING_RATE, betas=ADAM_BETAS, eps=ADAM_EPSILON
    )
    images = torch.rand((steps + warmup_steps) * BATCH_SIZE, 3, 32, 32, device=device)
    mixed = precision == "mixed_bfloat16"

    def train_step(batch):
        with torch.autocast(device, dtype=torch.bfloat16, enabled=mixed):
            features = encoder(batch - 0.5)
        quantized, quantizer_loss = quantizer(features)  # float32, as in keras_vq
        with torch.autocast(device, dtype=torch.bfloat16, enabled=mixed):
            reconstructions = decoder(quantized)
        loss = functional.mse_loss(reconstructions.float() + 0.5, batch) + quantizer_loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return _time_steps(
        train_step,
        lambda step: images[step * BATCH_SIZE : (step + 1) * BATCH_SIZE],
        steps,
        warmup_steps,
        wait=lambda result: torch.cuda.synchronize() if device == "cuda" else None,
    )


def _initial_state(normal, uniform, zeros):
    """Weights (He-normal kernels, zero biases) and EMA quantizer state, built with the framework's
    `normal(shape, stddev)`, `uniform(shape, limit)` and `zeros(shape)`."""

    def convolution(kernel, inputs, outputs, stride, transposed=False):
        shape = (kernel, kernel, outputs, inputs) if transposed else (kernel, kernel, inputs, outputs)
        return {"kernel": normal(shape, (2.0 / (kernel * kernel * inputs)) ** 0.5), "bias": zeros((outputs,))}

    def residual_stack():
        return [[convolution(*wide), convolution(*narrow)] for wide, narrow in RESIDUAL_LAYERS]

    weights = {
        "encoder_stem": [convolution(*layer) for layer in ENCODER_STEM],
        "encoder_residual": residual_stack(),
        "to_latent": convolution(*TO_LATENT),
        "decoder_stem": convolution(*DECODER_STEM),
        "decoder_residual": residual_stack(),
        "upsampling": [convolution(*layer, transposed=True) for layer in UPSAMPLING],
    }
    codebook = uniform((NUM_EMBEDDINGS, EMBEDDING_DIM), (3 / EMBEDDING_DIM) ** 0.5)
    quantizer = {
        "codebook": codebook,
        "cluster_size": zeros((NUM_EMBEDDINGS,)) + 1.0,
        "embedding_sum": codebook * 1.0,
    }  # a copy: the two are updated apart
    return weights, quantizer


def _forward(
    weights, quantizer, images, np_like, convolve, convolve_transposed, stop_gradient, segment_sum, compute_dtype
):
    """Loss and new EMA state, in any framework's array functions (`np_like` its NumPy-like module)."""

    def relu(values):
        return np_like.maximum(values, 0)

    def conv(values, layer, stride=1):
        return convolve(values, np_like.asarray(layer["kernel"], compute_dtype), stride) + np_like.asarray(
            layer["bias"], compute_dtype
        )

    def conv_transposed(values, layer):
        return convolve_transposed(values, np_like.asarray(layer["kernel"], compute_dtype)) + np_like.asarray(
            layer["bias"], compute_dtype
        )

    def residual_stack(values, layers):
        for wide, narrow in layers:
            values = values + conv(relu(conv(relu(values), wide)), narrow)
        return relu(values)

    hidden = np_like.asarray(images - 0.5, compute_dtype)
    for layer, (_, _, _, stride) in zip(weights["encoder_stem"][:2], ENCODER_STEM):
        hidden = relu(conv(hidden, layer, stride))
    hidden = residual_stack(conv(hidden, weights["encoder_stem"][2]), weights["encoder_residual"])
    latent = np_like.asarray(conv(hidden, weights["to_latent"]), "float32")

    flat = np_like.reshape(latent, (-1, EMBEDDING_DIM))
    codebook = quantizer["codebook"]
    distances = np_like.sum(codebook**2, axis=1)[None] - 2 * stop_gradient(flat) @ np_like.transpose(codebook)
    indices = np_like.argmin(distances, axis=1)
    codes = np_like.take(codebook, indices, axis=0)
    commitment = np_like.mean((flat - stop_gradient(codes)) ** 2)
    quantized = np_like.reshape(flat + stop_gradient(codes - flat), latent.shape)

    counts = segment_sum(np_like.ones_like(indices, "float32"), indices)
    cluster_size = DECAY * quantizer["cluster_size"] + (1 - DECAY) * counts
    embedding_sum = DECAY * quantizer["embedding_sum"] + (1 - DECAY) * segment_sum(stop_gradient(flat), indices)
    total = np_like.sum(cluster_size)
    smoothed = (cluster_size + EPSILON) / (total + NUM_EMBEDDINGS * EPSILON) * total
    new_quantizer = {
        "codebook": embedding_sum / smoothed[:, None],
        "cluster_size": cluster_size,
        "embedding_sum": embedding_sum,
    }

    hidden = residual_stack(
        conv(np_like.asarray(quantized, compute_dtype), weights["decoder_stem"]), weights["decoder_residual"]
    )
    first, last = weights["upsampling"]
    reconstructions = np_like.asarray(conv_transposed(relu(conv_transposed(hidden, first)), last), "float32") + 0.5
    loss = np_like.mean((reconstructions - images) ** 2) + BETA * commitment
    return loss, new_quantizer


def jax_steps_per_second(precision, steps, warmup_steps):
    """JAX: the whole step (forward, gradients, EMA, Adam) one `jax.jit` program, channels-last."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    rng = np.random.default_rng(0)
    weights, quantizer = _initial_state(
        lambda shape, stddev: jnp.asarray(rng.normal(0, stddev, shape), jnp.float32),
        lambda shape, limit: jnp.asarray(rng.uniform(-limit, limit, shape), jnp.float32),
        lambda shape: jnp.zeros(shape, jnp.float32),
    )
    compute_dtype = jnp.bfloat16 if precision == "mixed_bfloat16" else jnp.float32
    dimensions = ("NHWC", "HWIO", "NHWC")

    def convolve(values, kernel, stride):
        return jax.lax.conv_general_dilated(values, kernel, (stride, stride), "SAME", dimension_numbers=dimensions)

    def convolve_transposed(values, kernel):  # kernel (k, k, out, in), as TensorFlow's
        return jax.lax.conv_transpose(values, jnp.swapaxes(kernel, 2, 3), (2, 2), "SAME", dimension_numbers=dimensions)

    def loss_and_state(weights, quantizer, images):
        return _forward(
            weights,
            quantizer,
            images,
            jnp,
            convolve,
            convolve_transposed,
            jax.lax.stop_gradient,
            lambda values, indices: jax.ops.segment_sum(values, indices, NUM_EMBEDDINGS),
            compute_dtype,
        )

    def train_step(state, images):
        weights, quantizer, first, second, step = state
        (loss, quantizer), gradients = jax.value_and_grad(loss_and_state, has_aux=True)(weights, quantizer, images)
        step = step + 1
        first = jax.tree.map(lambda m, g: ADAM_BETAS[0] * m + (1 - ADAM_BETAS[0]) * g, first, gradients)
        second = jax.tree.map(lambda v, g: ADAM_BETAS[1] * v + (1 - ADAM_BETAS[1]) * g * g, second, gradients)
        rate = LEARNING_RATE * jnp.sqrt(1 - ADAM_BETAS[1] ** step) / (1 - ADAM_BETAS[0] ** step)
        weights = jax.tree.map(lambda w, m, v: w - rate * m / (jnp.sqrt(v) + ADAM_EPSILON), weights, first, second)
        return weights, quantizer, first, second, step

    zeros = jax.tree.map(jnp.zeros_like, weights)
    state = [(weights, quantizer, zeros, jax.tree.map(jnp.zeros_like, weights), jnp.zeros((), jnp.float32))]
    compiled = jax.jit(train_step, donate_argnums=0)
    images = jnp.asarray(rng.uniform(size=((steps + warmup_steps) * BATCH_SIZE,) + IMAGE_SHAPE), jnp.float32)

    def step_on(batch):
        state[0] = compiled(state[0], batch)
        return state[0]

    return _time_steps(
        step_on,
        lambda step: images[step * BATCH_SIZE : (step + 1) * BATCH_SIZE],
        steps,
        warmup_steps,
        wait=jax.block_until_ready,
    )


def tensorflow_steps_per_second(precision, steps, warmup_steps):
    """TensorFlow: the whole step one `tf.function` (graph, no XLA), channels-last."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    weights, quantizer = tf.nest.map_structure(
        tf.Variable,
        _initial_state(
            lambda shape, stddev: rng.normal(0, stddev, shape).astype("float32"),
            lambda shape, limit: rng.uniform(-limit, limit, shape).astype("float32"),
            lambda shape: np.zeros(shape, "float32"),
        ),
    )
    variables = tf.nest.flatten(weights)
    first = [tf.Variable(tf.zeros_like(variable)) for variable in variables]
    second = [tf.Variable(tf.zeros_like(variable)) for variable in variables]
    step_count = tf.Variable(0.0)
    compute_dtype = tf.bfloat16 if precision == "mixed_bfloat16" else tf.float32

    class NumpyLike:  # The few NumPy names `_forward` uses, as TensorFlow ops.
        maximum, reshape, transpose, ones_like = tf.maximum, tf.reshape, tf.transpose, tf.ones_like
        sum, mean, argmin = tf.reduce_sum, tf.reduce_mean, tf.argmin
        asarray = staticmethod(lambda values, dtype: tf.cast(values, dtype))
        take = staticmethod(lambda values, indices, axis: tf.gather(values, indices, axis=axis))

    def convolve(values, kernel, stride):
        return tf.nn.conv2d(values, kernel, stride, "SAME")

    def convolve_transposed(values, kernel):
        shape = tf.shape(values)
        return tf.nn.conv2d_transpose(
            values, kernel, [shape[0], 2 * shape[1], 2 * shape[2], kernel.shape[2]], 2, "SAME"
        )

    @tf.function
    def train_step(images):
        with tf.GradientTape() as tape:
            loss, new_quantizer = _forward(
                weights,
                {name: variable.read_value() for name, variable in quantizer.items()},
                images,
                NumpyLike,
                convolve,
                convolve_transposed,
                tf.stop_gradient,
                lambda values, indices: tf.math.unsorted_segment_sum(values, indices, NUM_EMBEDDINGS),
                compute_dtype,
            )
        gradients = tape.gradient(loss, variables)
        for name, value in new_quantizer.items():
            quantizer[name].assign(value)
        step_count.assign_add(1.0)
        rate = LEARNING_RATE * tf.sqrt(1 - ADAM_BETAS[1] ** step_count) / (1 - ADAM_BETAS[0] ** step_count)
        for variable, gradient, m, v in zip(variables, gradients, first, second):
            m.assign(ADAM_BETAS[0] * m + (1 - ADAM_BETAS[0]) * gradient)
            v.assign(ADAM_BETAS[1] * v + (1 - ADAM_BETAS[1]) * gradient * gradient)
            variable.assign_sub(rate * m / (tf.sqrt(v) + ADAM_EPSILON))
        return loss

    images = tf.constant(rng.uniform(size=((steps + warmup_steps) * BATCH_SIZE,) + IMAGE_SHAPE).astype("float32"))
    return _time_steps(
        train_step,
        lambda step: images[step * BATCH_SIZE : (step + 1) * BATCH_SIZE],
        steps,
        warmup_steps,
        wait=lambda loss: loss.numpy(),
    )


HANDWRITTEN = {"torch": torch_steps_per_second, "jax": jax_steps_per_second, "tensorflow": tensorflow_steps_per_second}
